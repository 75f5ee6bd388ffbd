"""Resource providers: GET /subscriptions/{s}/providers[/{ns}] and POST .../{ns}/register|unregister.

Registration goes NotRegistered -> Registering -> Registered after ``registration_delay_seconds``
(azure-mgmt-core's auto-registration policy polls GET until Registered). Bodies as in recording R1.
"""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..protocol import API_VERSIONS, ArmError, json_response
from .regions import REGIONS
from .routing import SUB, Route

if TYPE_CHECKING:
    from ..state.world import World


_LOCS = [r.display for r in REGIONS.values()]
# namespace -> [(resourceType, api family or explicit versions, capabilities)]
RESOURCE_TYPES: dict[str, list[tuple[str, str, str]]] = {
    "microsoft.kubernetesconfiguration": [
        ("sourceControlConfigurations", "extensions", "SupportsExtension"),
        ("extensions", "extensions", "SystemAssignedResourceIdentity, SupportsExtension"),
        ("fluxConfigurations", "extensions", "SupportsExtension"),
        ("operations", "extensions", "None")],
    "microsoft.containerservice": [("managedClusters", "containerservice", "CrossResourceGroupResourceMove, "
                                    "SupportsTags, SupportsLocation"),
                                   ("locations/operations", "containerservice", "None")],
    "microsoft.kubernetes": [("connectedClusters", "connectedclusters", "SystemAssignedResourceIdentity, "
                              "SupportsTags, SupportsLocation")],
    "microsoft.relay": [("namespaces", "relay", "SupportsTags, SupportsLocation"),
                        ("namespaces/hybridconnections", "relay", "None")],
    "microsoft.network": [("locations/serviceTags", "network", "None")],
}
AUTHORIZATIONS = {"microsoft.kubernetesconfiguration": [
    {"applicationId": "c699bf69-fb1d-4eaf-999b-99e6b2ae4d85", "roleDefinitionId": "90155430-a360-410f-af5d-89dc284d85c6"},
    {"applicationId": "03db181c-e9d3-4868-9097-f0b728327182", "roleDefinitionId": "DE2ADB97-42D8-49C8-8FCF-DBB53EF936AC"}]}
_NS_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$")


def provider_body(sub_id: str, rec: dict[str, Any]) -> dict[str, Any]:
    ns = rec["namespace"]
    types = []
    for rtype, fam, caps in RESOURCE_TYPES.get(ns.lower(), []):
        versions = sorted(API_VERSIONS[fam], reverse=True)
        t: dict[str, Any] = {"resourceType": rtype, "locations": [] if rtype == "operations" else _LOCS,
                             "apiVersions": versions, "capabilities": caps}
        stable = [v for v in versions if "preview" not in v]
        if stable and rtype != "operations":
            t["defaultApiVersion"] = stable[-1] if len(stable) < 3 else stable[2]
        types.append(t)
    return {"id": f"/subscriptions/{sub_id}/providers/{ns}", "namespace": ns,
            "authorizations": AUTHORIZATIONS.get(ns.lower(), []), "resourceTypes": types,
            "registrationState": rec["state"], "registrationPolicy": "RegistrationRequired"}


class Providers:
    """Resource providers: the world's subscriptions and the registration delay setting."""

    def __init__(self, world: "World") -> None:
        self.world = world

    def _record(self, sub: dict[str, Any], ns: str) -> dict[str, Any]:
        if not _NS_RE.match(ns):
            raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
        rec = sub["providers"].get(ns.lower())
        if rec is None:
            # Namespaces the sandbox has no opinion about count as Registered (documented).
            rec = {"namespace": ns, "state": "Registered", "ready_at": 0.0}
        return rec

    def _sub(self, p: dict[str, str]) -> dict[str, Any]:
        return self.world.subscriptions[p["sub"].lower()]

    async def get_provider(self, request: web.Request, p: dict[str, str]) -> web.Response:
        sub = self._sub(p)
        return json_response(provider_body(sub["subscriptionId"], self._record(sub, p["ns"])))

    async def list_providers(self, request: web.Request, p: dict[str, str]) -> web.Response:
        sub = self._sub(p)
        return json_response({"value": [provider_body(sub["subscriptionId"], rec)
                                        for rec in sorted(sub["providers"].values(), key=lambda r: r["namespace"])]})

    def settle(self) -> None:
        """Finish due registrations (Registering -> Registered once ``ready_at`` has passed)."""
        now = time.time()
        for sub in self.world.subscriptions.values():
            for prov in sub["providers"].values():
                if prov["state"] == "Registering" and prov.get("ready_at", 0) <= now:
                    prov["state"] = "Registered"
                    self.world.mark_dirty()

    async def register(self, request: web.Request, p: dict[str, str]) -> web.Response:
        sub = self._sub(p)
        rec = self._record(sub, p["ns"])
        if rec["state"] != "Registered":
            rec["state"] = "Registering"
            rec["ready_at"] = time.time() + float(self.world.settings.get("registration_delay_seconds", 1.0))
            sub["providers"][p["ns"].lower()] = rec
            self.world.mark_dirty()
        return json_response(provider_body(sub["subscriptionId"], rec))

    async def unregister(self, request: web.Request, p: dict[str, str]) -> web.Response:
        sub = self._sub(p)
        rec = self._record(sub, p["ns"])
        rec["state"] = "NotRegistered"
        sub["providers"][p["ns"].lower()] = rec
        self.world.mark_dirty()
        return json_response(provider_body(sub["subscriptionId"], rec))

    def routes(self) -> list[Route]:
        return [
            Route(SUB + r"/providers", {"GET": self.list_providers}, "resources"),
            Route(SUB + r"/providers/(?P<ns>[^/]+)", {"GET": self.get_provider}, "resources"),
            Route(SUB + r"/providers/(?P<ns>[^/]+)/register", {"POST": self.register}, "resources"),
            Route(SUB + r"/providers/(?P<ns>[^/]+)/unregister", {"POST": self.unregister}, "resources"),
        ]
