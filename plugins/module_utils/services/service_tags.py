# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Service tags and region pairs: from Azure, or from a downloaded Service Tags file (raises, never exits).

``GET /subscriptions/{s}/providers/Microsoft.Network/locations/{l}/serviceTags`` lists every tag of the cloud
(the location only selects the cloud), so one call serves the workspace region and its pair. Pairs come from
``GET /subscriptions/{s}/locations`` (``metadata.pairedRegion``).
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import NotFound, Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call, to_rest


def read_service_tags_file(path: str) -> dict[str, Any]:
    """The JSON document of an "Azure IP Ranges and Service Tags" download (ServiceTags_Public_YYYYMMDD.json)."""
    full = os.path.expanduser(path)
    try:
        with open(full, encoding="utf-8-sig") as handle:
            document = json.load(handle)
    except FileNotFoundError as exc:
        raise NotFound(f"service_tags_file {path} does not exist. Download 'Azure IP Ranges and Service Tags' "
                       "(ServiceTags_Public_<date>.json) or leave service_tags_file out to ask Azure.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"service_tags_file {path} cannot be read: {exc}.") from exc
    except ValueError as exc:  # json.JSONDecodeError
        raise Refused(f"service_tags_file {path} is not JSON ({exc}): expected the 'Azure IP Ranges and Service "
                      "Tags' download.") from exc
    if not isinstance(document, dict):
        raise Refused(f"service_tags_file {path} holds no JSON object: expected the 'Azure IP Ranges and Service "
                      "Tags' download, {\"values\": [...]}.")
    return document


class ServiceTags:
    """The subscription's view of service tags and locations."""

    def __init__(self, azure: Any) -> None:
        self.azure = azure

    @cached_property
    def _network(self) -> Any:
        from azure.mgmt.network import NetworkManagementClient

        return self.azure.client(NetworkManagementClient)

    def service_tags(self, location: str) -> dict[str, Any]:
        """The service-tags answer as ARM JSON (``values[].properties.addressPrefixes``)."""
        return to_rest(call(lambda: self._network.service_tags.list(location),
                            f"list the service tags of location {location}"))

    def locations(self) -> list[dict[str, Any]]:
        """The subscription's locations as ARM JSON (``metadata.pairedRegion``)."""
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        client = self.azure.client(SubscriptionClient, with_subscription=False)
        subscription = self.azure.subscription_id
        return call(lambda: [to_rest(loc) for loc in client.subscriptions.list_locations(subscription)],
                    f"list the locations of subscription {subscription}")
