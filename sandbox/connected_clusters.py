"""Microsoft.Kubernetes/connectedClusters: GET and lists (azure-mgmt-hybridkubernetes 2.0.0, api 2026-05-01).

Arc clusters are created by seeding (POST /_sandbox/clusters), since connecting one needs an agent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .arm import json_response, not_found_arm
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from .core import Sandbox

NS = "Microsoft.Kubernetes"
RTYPE = "Microsoft.Kubernetes/connectedClusters"


async def get_cc(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    key = f"/subscriptions/{p['sub']}/resourcegroups/{p['rg']}/providers/{RTYPE}/{p['name']}".lower()
    c = sb.data["clusters"].get(key)
    if c is None:
        raise not_found_arm(RTYPE, p["name"], p["rg"])
    return json_response(c["body"])


async def list_cc(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    sub, rg = p["sub"].lower(), p.get("rg", "").lower()
    out = [c["body"] for c in sb.data["clusters"].values()
           if c["cluster_type"] == "connectedClusters" and c["subscription"].lower() == sub
           and (not rg or c["resource_group"].lower() == rg)]
    return json_response({"value": sorted(out, key=lambda b: b["name"].lower()), "nextLink": None})


ROUTES = [
    Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": list_cc}, "connectedclusters", NS),
    Route(SUB + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": list_cc}, "connectedclusters", NS),
    Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters/(?P<name>[^/]+)", {"GET": get_cc},
          "connectedclusters", NS),
]
