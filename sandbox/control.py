"""The control API under /_sandbox/ (no auth, JSON). Control requests are not written to the request log.

GET  health                       liveness and counts
GET|DELETE requests               the request log (?method=&path_contains=&kind=arm|auth&since=<seq>)
GET|POST|DELETE faults            injected faults
GET|POST clusters                 seed one cluster or {"clusters":[...]}; DELETE clusters/{type}/{name}
GET|POST subscriptions            add a subscription with provider states
GET|POST settings                 delays, page size, failure rules, rate limits
POST reset                        default world; clears log, faults, settings and rate-limit counters
GET  extensions                   stored extensions with protected settings masked (keys visible)
GET  state                        the whole state with protected values masked
"""
from __future__ import annotations

import copy
import os
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .arm import ArmError, json_response, read_json
from .reqlog import MASK
from .world import DEFAULT_RG, DEFAULT_SETTINGS, DEFAULT_SUBSCRIPTION, VALID_TYPES, seed_cluster, subscription_record

if TYPE_CHECKING:
    from .core import Sandbox

NUMERIC_SETTINGS = ("provisioning_delay_seconds", "retry_after_seconds", "registration_delay_seconds",
                    "page_size", "token_lifetime_seconds")


def _masked_extension(ext: dict[str, Any]) -> dict[str, Any]:
    return {"id": ext["id"], "name": ext["name"], "provisioningState": ext["provisioningState"],
            "extensionType": ext["properties"]["extensionType"],
            "configurationSettings": ext["properties"].get("configurationSettings") or {},
            "protected_keys": sorted(ext.get("protected") or {}),
            "configurationProtectedSettings": {k: MASK for k in (ext.get("protected") or {})},
            "currentVersion": ext.get("currentVersion"), "statuses": ext.get("statuses") or []}


def _masked_state(sb: "Sandbox") -> dict[str, Any]:
    data = copy.deepcopy(sb.data)
    data.pop("secrets", None)
    for ext in data["extensions"].values():
        ext["protected"] = {k: MASK for k in ext.get("protected") or {}}
    for rec in data["relay"].values():
        if "keys" in rec:
            rec["keys"] = {k: MASK for k in rec["keys"]}
    return data


async def _settings(request: web.Request, sb: "Sandbox") -> web.Response:
    if request.method == "POST":
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidSettings", "Settings must be a JSON object.")
        unknown = set(body) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ArmError(400, "InvalidSettings", f"Unknown settings: {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}.")
        for k in NUMERIC_SETTINGS:
            if k in body and (not isinstance(body[k], (int, float)) or body[k] < 0):
                raise ArmError(400, "InvalidSettings", f"{k} must be a non-negative number.")
        if "failure_rules" in body and not isinstance(body["failure_rules"], list):
            raise ArmError(400, "InvalidSettings", "failure_rules must be a list.")
        if "ratelimits" in body and not isinstance(body["ratelimits"], dict):
            raise ArmError(400, "InvalidSettings", "ratelimits must be an object such as {\"writes\": 100}.")
        sb.settings.update(body)
        sb.store.mark_dirty()
    return json_response(sb.settings)


async def _clusters(request: web.Request, sb: "Sandbox", rest: list[str]) -> web.Response:
    if request.method == "GET":
        return json_response({"value": [dict(c["body"], _sandbox={
            "cluster_type": c["cluster_type"], "subscription": c["subscription"], "resource_group": c["resource_group"],
            "provisioning_delay_seconds": c.get("provisioning_delay_seconds")})
            for c in sb.data["clusters"].values()]})
    if request.method == "POST":
        body = await read_json(request)
        specs = body.get("clusters") if isinstance(body, dict) and "clusters" in body else [body]
        if not isinstance(specs, list):
            raise ArmError(400, "InvalidClusterSpec", "clusters must be a list.")
        created = [seed_cluster(sb.data, s) for s in specs]
        sb.clusters_changed()
        return json_response({"value": created}, status=201)
    if request.method == "DELETE" and len(rest) == 2:
        ctype = VALID_TYPES.get(rest[0].lower())
        if ctype is None:
            raise ArmError(400, "InvalidClusterSpec", "Use DELETE /_sandbox/clusters/{managedClusters|connectedClusters}/{name}.")
        sub = request.query.get("subscription_id", DEFAULT_SUBSCRIPTION)
        rg = request.query.get("resource_group", DEFAULT_RG)
        rp = "microsoft.containerservice/managedclusters" if ctype == "managedClusters" else "microsoft.kubernetes/connectedclusters"
        key = f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{rp}/{rest[1]}".lower()
        if sb.data["clusters"].pop(key, None) is None:
            raise ArmError(404, "NotFound", f"No seeded cluster {key}.")
        for k in [k for k in sb.data["extensions"] if k.startswith(key + "/")]:
            del sb.data["extensions"][k]
        sb.clusters_changed()
        return json_response({"deleted": key})
    raise ArmError(405, "MethodNotAllowed", "Unsupported method for /_sandbox/clusters.")


async def _subscriptions(request: web.Request, sb: "Sandbox") -> web.Response:
    if request.method == "POST":
        body = await read_json(request)
        if not isinstance(body, dict) or not body.get("subscription_id"):
            raise ArmError(400, "InvalidSubscription", "subscription_id is required.")
        provs = body.get("providers") or {}
        bad = [v for v in provs.values() if v not in ("Registered", "NotRegistered", "Registering", "Unregistering")]
        if bad:
            raise ArmError(400, "InvalidSubscription", f"Invalid registration states: {bad}.")
        sid = body["subscription_id"]
        rec = subscription_record(sid, body.get("display_name"), provs)
        old = sb.data["subscriptions"].get(sid.lower())
        if old is not None:
            rec["resourceGroups"] = old["resourceGroups"]
        for rg in body.get("resource_groups") or []:
            rec["resourceGroups"][rg.lower()] = {"name": rg, "location": "eastus"}
        sb.data["subscriptions"][sid.lower()] = rec
        sb.store.mark_dirty()
        return json_response(rec, status=201)
    return json_response({"value": list(sb.data["subscriptions"].values())})


async def handle(request: web.Request, sb: "Sandbox") -> web.Response:
    parts = [p for p in request.path.split("/")[2:] if p]
    if not parts:
        raise ArmError(404, "NotFound", "See sandbox/control.py for the control API.")
    what, rest, m = parts[0], parts[1:], request.method
    if what == "health" and m == "GET":
        return json_response({"status": "ok", "pid": os.getpid(), "url": sb.url,
                              "uptime_seconds": round(time.time() - sb.started, 3),
                              "pending_operations": len(sb.pending_ops),
                              "clusters": len(sb.data["clusters"]), "extensions": len(sb.data["extensions"])})
    if what == "requests":
        if m == "DELETE":
            sb.reqlog.clear()
            return json_response({"cleared": True})
        if m == "GET":
            q = request.query
            since = int(q["since"]) if q.get("since", "").isdigit() else None
            return json_response({"value": sb.reqlog.query(q.get("method"), q.get("path_contains"),
                                                           q.get("kind"), since), "last_seq": sb.reqlog.seq})
    if what == "faults":
        if m == "POST":
            body = await read_json(request)
            specs = body if isinstance(body, list) else [body]
            return json_response({"value": [sb.faults.add(s) for s in specs]}, status=201)
        if m == "DELETE":
            sb.faults.clear()
            return json_response({"cleared": True})
        if m == "GET":
            return json_response({"value": [sb.faults.public(f) for f in sb.faults.items]})
    if what == "clusters":
        return await _clusters(request, sb, rest)
    if what == "subscriptions" and m in ("GET", "POST"):
        return await _subscriptions(request, sb)
    if what == "settings" and m in ("GET", "POST"):
        return await _settings(request, sb)
    if what == "failure_rules" and m == "POST":
        # Appends, unlike POST settings (which replaces the list): tests running side by side each add theirs.
        body = await read_json(request)
        rules = body if isinstance(body, list) else [body]
        if not all(isinstance(r, dict) and r.get("code") for r in rules):
            raise ArmError(400, "InvalidSettings", "A failure rule is an object with at least a code.")
        sb.settings["failure_rules"] = list(sb.settings.get("failure_rules") or []) + rules
        sb.store.mark_dirty()
        return json_response({"value": sb.settings["failure_rules"]}, status=201)
    if what == "reset" and m == "POST":
        sb.reset()
        return json_response({"reset": True})
    if what == "extensions" and m == "GET":
        return json_response({"value": [_masked_extension(e) for e in sb.data["extensions"].values()]})
    if what == "state" and m == "GET":
        return json_response(_masked_state(sb))
    if what == "crash":
        # A deliberate bug, so tests can prove that unhandled exceptions become a 500 ARM envelope.
        raise RuntimeError("deliberate crash for the error-envelope test")
    raise ArmError(404, "NotFound", f"Unknown control endpoint {m} {request.path}.")
