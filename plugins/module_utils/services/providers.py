# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource provider registrations: read once per run, registered only when asked (raises, never exits).

The one place for registration logic. The SDK's own automatic registration is off (arm/client), so a
provider is registered here or not at all. A read of a provider's resource that ARM answers with 409
``MissingSubscriptionRegistration`` says as much as a read of the registration (``missing_registration``),
so callers read a resource first and the registration only when they are about to create something.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import CollectionError, Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call

KUBERNETES_CONFIGURATION = "Microsoft.KubernetesConfiguration"
RELAY = "Microsoft.Relay"
MISSING_REGISTRATION = "MissingSubscriptionRegistration"


def missing_registration(exc: CollectionError) -> str | None:
    """The provider namespace an error says the subscription has not registered (409 MissingSubscriptionRegistration:
    its target, else the last quoted name of its message, as azure-mgmt-core reads it), or None for another error."""
    error = exc.details.get("error") or {}
    if error.get("code") != MISSING_REGISTRATION:
        return None
    if error.get("target"):
        return str(error["target"])
    quoted = re.findall(r"'([^']+)'", str(error.get("message") or ""))
    return quoted[-1] if quoted else ""


class Providers:
    """The registration state of the subscription's providers, cached for the run."""

    def __init__(self, azure: Any) -> None:
        self.azure = azure
        self._registered: dict[str, bool] = {}

    @cached_property
    def _providers(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self.azure.client(ResourceManagementClient).providers

    def _read(self, namespace: str) -> bool:
        return self.state(namespace).lower() == "registered"

    def state(self, namespace: str) -> str:
        """The registration state as Azure reports it (NotRegistered, Registering, Registered, Unregistering)."""
        provider = call(lambda: self._providers.get(namespace), f"read provider {namespace}")
        state = provider.registration_state or "NotRegistered"
        self._registered[namespace] = state.lower() == "registered"
        return state

    def register(self, namespace: str, *, wait: bool = True) -> None:
        """Register `namespace` and (unless not `wait`) wait within wait_timeout until it is Registered."""
        call(lambda: self._providers.register(namespace), f"register provider {namespace}")
        if wait:
            self.wait(namespace)

    def wait(self, namespace: str) -> None:
        """Wait (within wait_timeout, adaptive polling) until `namespace` is Registered."""
        self.azure.waiter.until(lambda: self._read(namespace), bool, f"resource provider {namespace} to be registered")
        self._registered[namespace] = True

    def learned(self, namespace: str, registered: bool) -> None:
        """Record what another answer said (a MissingSubscriptionRegistration, or a resource that exists)."""
        self._registered[namespace] = registered

    def is_missing(self, exc: CollectionError, namespace: str) -> bool:
        """Whether `exc` says `namespace` is not registered (recorded, so ensure() needs no read)."""
        if (missing_registration(exc) or "").lower() != namespace.lower():
            return False
        self.learned(namespace, False)
        return True

    def registered(self, namespace: str) -> bool:
        if namespace not in self._registered:
            self._registered[namespace] = self._read(namespace)
        return self._registered[namespace]

    def ensure(self, namespace: str, *, allowed: bool, check_mode: bool) -> bool:
        """Register `namespace` unless it is (in check mode only say so); return whether it had to be.

        Raises Refused when it is not registered and registering is not `allowed` (register_provider: false).
        """
        if self.registered(namespace):
            return False
        if not allowed:
            raise Refused(f"The subscription has not registered resource provider {namespace}. Register it (az "
                          f"provider register --namespace {namespace}) or set register_provider: true.")
        if not check_mode:
            self.register(namespace)
        return True
