"""Microsoft.Network serviceTags: made-up but realistic and deterministic address prefixes per region.

Like the real API, the answer lists every tag of the cloud (the location only selects the cloud):
global tags (AzureMachineLearning, AzureCloud, ...) and regional ones (AzureMachineLearning.EastUS ...), each
regional one with IPv4 and IPv6 prefixes. Regions marked ``aml_tag=False`` (regions.py) have no
AzureMachineLearning.<Region> entry, as the documentation notes for US-Virginia, US-Arizona and China-East-2.
"""
from __future__ import annotations

import functools
import hashlib
import ipaddress
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..protocol import ArmError, json_response
from .regions import REGIONS, lookup
from .routing import SUB, Route

if TYPE_CHECKING:
    from ..state.world import World


# systemService -> (first IPv4 octets to draw from, IPv4 per region, IPv6 per region, features)
SERVICES: dict[str, tuple[tuple[int, ...], int, int, list[str]]] = {
    "AzureMachineLearning": ((20, 40, 52), 3, 2, ["API", "NSG", "UDR", "FW"]),
    "AzureCloud": ((13, 20, 40, 52, 104), 6, 2, ["API", "NSG"]),
    "ServiceBus": ((20, 40, 52), 2, 1, ["API", "NSG", "UDR", "FW"]),
    "AzureResourceManager": ((4, 20, 40), 2, 1, ["API", "NSG", "UDR", "FW"]),
    "AzureActiveDirectory": ((20, 40), 2, 1, ["API", "NSG", "UDR", "FW"]),
    "AzureContainerRegistry": ((20, 40, 51), 2, 1, ["API", "NSG", "UDR", "FW"]),
    "Storage": ((20, 52, 57), 3, 1, ["API", "NSG", "UDR", "FW"]),
}
REGIONAL = ("AzureMachineLearning", "AzureCloud", "ServiceBus", "AzureContainerRegistry", "Storage")


def _prefixes(service: str, region: str) -> list[str]:
    firsts, n4, n6, _ = SERVICES[service]
    out = []
    for i in range(n4):
        h = hashlib.sha256(f"{service}|{region}|v4|{i}".encode()).digest()
        size = (24, 26, 27, 28)[h[3] % 4]
        # strict=False masks the host bits, so every prefix is a valid network address.
        out.append(str(ipaddress.ip_network(f"{firsts[h[0] % len(firsts)]}.{h[1]}.{h[4]}.{h[2]}/{size}", strict=False)))
    for i in range(n6):
        h = hashlib.sha256(f"{service}|{region}|v6|{i}".encode()).digest()
        addr = f"2603:10{h[0] % 64:02x}:{h[1]:x}{h[2]:02x}:{h[3]:x}{h[4]:02x}::"
        out.append(str(ipaddress.ip_network(f"{addr}/{(64, 62, 56)[h[5] % 3]}", strict=False)))
    return sorted(set(out))


@functools.lru_cache(maxsize=1)
def _values() -> tuple[dict[str, Any], ...]:
    values: list[dict[str, Any]] = []
    for service, (_f, _a, _b, features) in SERVICES.items():
        all_prefixes: list[str] = []
        regional: list[dict[str, Any]] = []
        for r in REGIONS.values():
            pre = _prefixes(service, r.name)
            all_prefixes += pre
            if service in REGIONAL and (service != "AzureMachineLearning" or r.aml_tag):
                regional.append({"name": f"{service}.{r.tag}", "id": f"{service}.{r.tag}", "properties": {
                    "changeNumber": str(1 + int(hashlib.md5(f'{service}{r.name}'.encode()).hexdigest(), 16) % 9),
                    "region": r.name, "state": "GA", "systemService": service, "addressPrefixes": pre,
                    "networkFeatures": features}})
        values.append({"name": service, "id": service, "properties": {
            "changeNumber": "42", "region": "", "state": "GA", "systemService": service,
            "addressPrefixes": sorted(set(all_prefixes)), "networkFeatures": features}})
        values += regional
    return tuple(values)


class Network:
    """Service tags: the world only to name the subscription."""

    def __init__(self, world: "World") -> None:
        self.world = world

    async def service_tags(self, request: web.Request, p: dict[str, str]) -> web.Response:
        if lookup(p["loc"]) is None:
            raise ArmError(404, "LocationNotAvailableForResourceType", f"The provided location '{p['loc']}' is not "
                           "available for resource type 'Microsoft.Network/locations/serviceTags'.")
        sub = self.world.subscriptions[p["sub"].lower()]["subscriptionId"]
        return json_response({"name": "public",
                              "id": f"/subscriptions/{sub}/providers/Microsoft.Network/serviceTags/public",
                              "type": "Microsoft.Network/serviceTags", "changeNumber": "63", "cloud": "Public",
                              "values": list(_values()), "nextLink": None})

    def routes(self) -> list[Route]:
        return [Route(SUB + r"/providers/Microsoft\.Network/locations/(?P<loc>[^/]+)/serviceTags",
                        {"GET": self.service_tags}, "network", "Microsoft.Network")]
