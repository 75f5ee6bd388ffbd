"""Subscriptions: GET /subscriptions, /subscriptions/{s} and /subscriptions/{s}/locations (with pairs)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..protocol import json_response
from .regions import REGIONS
from .routing import SUB, Route

if TYPE_CHECKING:
    from ..state.world import World



def _sub_body(s: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"/subscriptions/{s['subscriptionId']}", "authorizationSource": "RoleBased",
            "managedByTenants": [], "subscriptionId": s["subscriptionId"], "tenantId": s["tenantId"],
            "displayName": s["displayName"], "state": s["state"],
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"}}


class Subscriptions:
    """Subscriptions and locations: reads the world's subscriptions."""

    def __init__(self, world: "World") -> None:
        self.world = world

    async def list_subs(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response({"value": [_sub_body(s) for s in self.world.subscriptions.values()], "count": {
            "type": "Total", "value": len(self.world.subscriptions)}})

    async def get_sub(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response(_sub_body(self.world.subscriptions[p["sub"].lower()]))

    async def list_locations(self, request: web.Request, p: dict[str, str]) -> web.Response:
        sub = self.world.subscriptions[p["sub"].lower()]["subscriptionId"]
        out = []
        for r in REGIONS.values():
            meta: dict[str, Any] = {"regionType": "Physical", "regionCategory": "Recommended",
                                    "geographyGroup": r.geography_group, "geography": r.geography,
                                    "longitude": r.longitude, "latitude": r.latitude, "physicalLocation": r.physical,
                                    "pairedRegion": []}
            if r.pair:
                meta["pairedRegion"] = [{"name": r.pair, "id": f"/subscriptions/{sub}/locations/{r.pair}"}]
            out.append({"id": f"/subscriptions/{sub}/locations/{r.name}", "name": r.name, "type": "Region",
                        "displayName": r.display, "regionalDisplayName": f"({r.geography_group}) {r.display}",
                        "metadata": meta,
                        "availabilityZoneMappings": [{"logicalZone": str(z), "physicalZone": f"{r.name}-az{z}"}
                                                     for z in (1, 2, 3)]})
        return json_response({"value": out})

    def routes(self) -> list[Route]:
        return [
            Route(r"/subscriptions", {"GET": self.list_subs}, "subscriptions"),
            Route(SUB, {"GET": self.get_sub}, "subscriptions"),
            Route(SUB + r"/locations", {"GET": self.list_locations}, "subscriptions"),
        ]
