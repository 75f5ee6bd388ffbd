"""Microsoft.Kubernetes/connectedClusters: GET and lists (azure-mgmt-hybridkubernetes 2.0.0, api 2026-05-01).

Arc clusters are created by seeding (POST /_sandbox/clusters), since connecting one needs an agent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ..protocol import json_response, not_found_arm
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from ..state.world import World


NS = "Microsoft.Kubernetes"
RTYPE = "Microsoft.Kubernetes/connectedClusters"


class ConnectedClusters:
    def __init__(self, world: "World") -> None:
        self.world = world

    async def get_cc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        key = f"/subscriptions/{p['sub']}/resourcegroups/{p['rg']}/providers/{RTYPE}/{p['name']}".lower()
        c = self.world.clusters.get(key)
        if c is None:
            raise not_found_arm(RTYPE, p["name"], p["rg"])
        return json_response(c["body"])

    async def list_cc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        sub, rg = p["sub"].lower(), p.get("rg", "").lower()
        out = [c["body"] for c in self.world.clusters.values()
               if c["cluster_type"] == "connectedClusters" and c["subscription"].lower() == sub
               and (not rg or c["resource_group"].lower() == rg)]
        return json_response({"value": sorted(out, key=lambda b: b["name"].lower()), "nextLink": None})

    def routes(self) -> list[Route]:
        return [
            Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": self.list_cc}, "connectedclusters", NS),
            Route(SUB + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": self.list_cc}, "connectedclusters", NS),
            Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters/(?P<name>[^/]+)", {"GET": self.get_cc},
                  "connectedclusters", NS),
        ]
