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

from .arm import DEFAULT_LIMITS, ArmError, is_int, json_response, read_json
from .reqlog import MASK
from .world import (DEFAULT_RG, DEFAULT_SETTINGS, DEFAULT_SUBSCRIPTION, VALID_TYPES, seed_cluster,
                    subscription_record, validate_spec)

if TYPE_CHECKING:
    from .core import Sandbox

NUMERIC_SETTINGS = ("provisioning_delay_seconds", "retry_after_seconds", "registration_delay_seconds",
                    "page_size", "token_lifetime_seconds")


def _check_rules(rules: Any) -> list[dict[str, Any]]:
    """failure_rules entries: objects with a string code; optional string filters and setting_equals strings."""
    if not isinstance(rules, list):
        raise ArmError(400, "InvalidSettings", "failure_rules must be a list.")
    for r in rules:
        if not isinstance(r, dict) or not isinstance(r.get("code"), str) or not r["code"]:
            raise ArmError(400, "InvalidSettings", "A failure rule is an object with at least a code (a string).")
        for k in ("message", "extension_type", "cluster_name"):
            if r.get(k) is not None and not isinstance(r[k], str):
                raise ArmError(400, "InvalidSettings", f"failure rule {k} must be a string.")
        se = r.get("setting_equals")
        if se is not None and (not isinstance(se, dict) or not all(isinstance(v, str) for v in se.values())):
            raise ArmError(400, "InvalidSettings", "failure rule setting_equals must be an object of strings.")
    return rules


def _masked_extension(ext: dict[str, Any]) -> dict[str, Any]:
    props = ext.get("properties") or {}
    return {"id": ext.get("id"), "name": ext.get("name"), "provisioningState": ext.get("provisioningState") or "Failed",
            "extensionType": props.get("extensionType"),
            "configurationSettings": props.get("configurationSettings") or {},
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
            if k in body and (isinstance(body[k], bool) or not isinstance(body[k], (int, float)) or body[k] < 0
                              or body[k] > 10 ** 9):
                raise ArmError(400, "InvalidSettings", f"{k} must be a non-negative number.")
        if "page_size" in body and (not is_int(body["page_size"]) or body["page_size"] < 1):
            raise ArmError(400, "InvalidSettings", "page_size must be an integer >= 1.")
        if "failure_rules" in body:
            _check_rules(body["failure_rules"])
        if "ratelimits" in body:
            rl = body["ratelimits"]
            if not isinstance(rl, dict):
                raise ArmError(400, "InvalidSettings", "ratelimits must be an object such as {\"writes\": 100}.")
            for k, v in rl.items():
                if k not in DEFAULT_LIMITS or not is_int(v) or v < 0:
                    raise ArmError(400, "InvalidSettings", f"ratelimits: {k!r} must be one of {sorted(DEFAULT_LIMITS)} "
                                   "with a non-negative integer budget.")
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
        for s in specs:
            validate_spec(s)  # all of them first: a bad spec in a batch seeds nothing
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
        sid = body["subscription_id"]
        if not isinstance(sid, str) or "/" in sid or len(sid) > 128:
            raise ArmError(400, "InvalidSubscription", "subscription_id must be a string id without '/'.")
        if body.get("display_name") is not None and not isinstance(body["display_name"], str):
            raise ArmError(400, "InvalidSubscription", "display_name must be a string.")
        provs = body.get("providers") or {}
        if not isinstance(provs, dict):
            raise ArmError(400, "InvalidSubscription", "providers must be an object {namespace: state}.")
        rgs = body.get("resource_groups") or []
        if not isinstance(rgs, list) or not all(isinstance(r, str) and r and "/" not in r for r in rgs):
            raise ArmError(400, "InvalidSubscription", "resource_groups must be a list of names (strings).")
        bad = [v for v in provs.values() if not isinstance(v, str) or
               v not in ("Registered", "NotRegistered", "Registering", "Unregistering")]
        if bad:
            raise ArmError(400, "InvalidSubscription", f"Invalid registration states: {bad}.")
        rec = subscription_record(sid, body.get("display_name"), provs)
        old = sb.data["subscriptions"].get(sid.lower())
        if old is not None:
            rec["resourceGroups"] = old["resourceGroups"]
        for rg in rgs:
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
            for s in specs:
                if not isinstance(s, dict):
                    raise ArmError(400, "InvalidFault", "The fault must be a JSON object.")
                sb.faults.validate(s)
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
        rules = _check_rules(body if isinstance(body, list) else [body])
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
