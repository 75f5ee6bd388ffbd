# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aml_extension_info run: show one extension or list them, filtered by type (reads only)."""

from __future__ import annotations

from typing import Any, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import extension_view
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.clusters import Clusters
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.extensions import Extensions
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.providers import (
    KUBERNETES_CONFIGURATION,
    Providers,
)


def select(resources: list[dict[str, Any]], extension_type: str | None) -> list[dict[str, Any]]:
    """The extensions as the modules return them, of one type (case-insensitive, as Azure) when given (pure)."""
    wanted = (extension_type or "").lower()
    views = [extension_view(r) for r in resources]
    return [v for v in views if not wanted or (v["extension_type"] or "").lower() == wanted]


def run(azure: Any) -> NoReturn:
    p = azure.params
    clusters = Clusters(azure, p["cluster_type"], p["resource_group"], p["cluster_name"])
    extensions = Extensions(azure, p["cluster_type"], p["resource_group"], p["cluster_name"])
    try:
        resources: list[dict[str, Any]] | None = None
        if Providers(azure).registered(KUBERNETES_CONFIGURATION):
            if p["name"]:
                found = extensions.get(p["name"])
                resources = [found] if found else None
            else:
                resources = extensions.list()
        # Nothing found: a missing cluster is still an error worth reporting.
        if resources is None and not clusters.exists():
            raise clusters.not_found()
    except CollectionError as exc:
        azure.fail_error(exc)
    azure.exit(changed=False, extensions=select(resources or [], p["extension_type"]))
