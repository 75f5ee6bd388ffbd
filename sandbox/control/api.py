"""The control API under /_sandbox/ (no auth, JSON). Control requests are not written to the request log.

GET  health                       liveness and counts
GET|DELETE requests               the request log (?method=&path_contains=&kind=arm|auth&since=<seq>)
GET|POST|DELETE faults            injected faults
GET|POST clusters                 seed one cluster or {"clusters":[...]}; DELETE clusters/{type}/{name}
GET|POST subscriptions            add a subscription with provider states
GET|POST settings                 delays, Retry-After, metadata form, page size, failure rules, rate limits
POST failure_rules                append failure rules
POST reset                        default world; clears log, faults, settings and rate-limit counters
GET  extensions                   stored extensions with protected settings masked (keys visible)
GET  state                        the whole state with protected values masked
"""
from __future__ import annotations

import copy
import os
import time
from typing import Any, Callable

from aiohttp import web

from ..arm.ratelimit import DEFAULT_LIMITS, RateLimiter
from ..arm.routing import CONTROL, Route
from ..protocol import ArmError, is_int, json_response, read_json
from ..state.constants import DEFAULT_RG, DEFAULT_SETTINGS, DEFAULT_SUBSCRIPTION, METADATA_FORMS
from ..state.faults import Faults
from ..state.operations import Operations
from ..state.reqlog import MASK, RequestLog
from ..state.seeds import CLUSTER_RTYPES, VALID_TYPES, subscription_record
from ..state.world import World

NUMERIC_SETTINGS = ("provisioning_delay_seconds", "registration_delay_seconds", "page_size", "cluster_page_size",
                    "token_lifetime_seconds")
PROVIDER_STATES = ("Registered", "NotRegistered", "Registering", "Unregistering")
P = r"/_sandbox"


def _bad_settings(msg: str) -> ArmError:
    return ArmError(400, "InvalidSettings", msg)


def _non_negative_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and 0 <= v <= 10 ** 9


def check_rules(rules: Any) -> list[dict[str, Any]]:
    """failure_rules entries: objects with a string code; optional string filters and setting_equals strings."""
    if not isinstance(rules, list):
        raise _bad_settings("failure_rules must be a list.")
    for r in rules:
        if not isinstance(r, dict) or not isinstance(r.get("code"), str) or not r["code"]:
            raise _bad_settings("A failure rule is an object with at least a code (a string).")
        for k in ("message", "extension_type", "cluster_name"):
            if r.get(k) is not None and not isinstance(r[k], str):
                raise _bad_settings(f"failure rule {k} must be a string.")
        se = r.get("setting_equals")
        if se is not None and (not isinstance(se, dict) or not all(isinstance(v, str) for v in se.values())):
            raise _bad_settings("failure rule setting_equals must be an object of strings.")
    return rules


def check_settings(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad_settings("Settings must be a JSON object.")
    unknown = set(body) - set(DEFAULT_SETTINGS)
    if unknown:
        raise _bad_settings(f"Unknown settings: {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}.")
    for k in NUMERIC_SETTINGS:
        if k in body and not _non_negative_number(body[k]):
            raise _bad_settings(f"{k} must be a non-negative number.")
    if "retry_after_seconds" in body and body["retry_after_seconds"] is not None and \
            not (is_int(body["retry_after_seconds"]) and 0 <= body["retry_after_seconds"] <= 3600):
        raise _bad_settings("retry_after_seconds must be null (no Retry-After header, as recorded) or an integer "
                            "0..3600.")
    if "metadata_form" in body and body["metadata_form"] not in METADATA_FORMS:
        raise _bad_settings(f"metadata_form must be one of {list(METADATA_FORMS)}.")
    for k in ("page_size", "cluster_page_size"):
        if k in body and (not is_int(body[k]) or body[k] < 1):
            raise _bad_settings(f"{k} must be an integer >= 1.")
    if "failure_rules" in body:
        check_rules(body["failure_rules"])
    if "ratelimits" in body:
        rl = body["ratelimits"]
        if not isinstance(rl, dict):
            raise _bad_settings("ratelimits must be an object such as {\"writes\": 100}.")
        for k, v in rl.items():
            if k not in DEFAULT_LIMITS or not is_int(v) or v < 0:
                raise _bad_settings(f"ratelimits: {k!r} must be one of {sorted(DEFAULT_LIMITS)} with a non-negative "
                                    "integer budget.")
    return body


def masked_extension(ext: dict[str, Any]) -> dict[str, Any]:
    props = ext.get("properties") or {}
    return {"id": ext.get("id"), "name": ext.get("name"), "provisioningState": ext.get("provisioningState") or "Failed",
            "extensionType": props.get("extensionType"),
            "configurationSettings": props.get("configurationSettings") or {},
            "protected_keys": sorted(ext.get("protected") or {}),
            "configurationProtectedSettings": {k: MASK for k in (ext.get("protected") or {})},
            "currentVersion": ext.get("currentVersion"), "statuses": ext.get("statuses") or []}


def masked_state(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data.pop("secrets", None)
    for ext in data["extensions"].values():
        ext["protected"] = {k: MASK for k in ext.get("protected") or {}}
    for rec in data["relay"].values():
        if "keys" in rec:
            rec["keys"] = {k: MASK for k in rec["keys"]}
    return data


def check_subscription(body: Any) -> dict[str, Any]:
    def bad(msg: str) -> ArmError:
        return ArmError(400, "InvalidSubscription", msg)
    if not isinstance(body, dict) or not body.get("subscription_id"):
        raise bad("subscription_id is required.")
    sid = body["subscription_id"]
    if not isinstance(sid, str) or "/" in sid or len(sid) > 128:
        raise bad("subscription_id must be a string id without '/'.")
    if body.get("display_name") is not None and not isinstance(body["display_name"], str):
        raise bad("display_name must be a string.")
    provs = body.get("providers") or {}
    if not isinstance(provs, dict):
        raise bad("providers must be an object {namespace: state}.")
    rgs = body.get("resource_groups") or []
    if not isinstance(rgs, list) or not all(isinstance(r, str) and r and "/" not in r for r in rgs):
        raise bad("resource_groups must be a list of names (strings).")
    wrong = [v for v in provs.values() if not isinstance(v, str) or v not in PROVIDER_STATES]
    if wrong:
        raise bad(f"Invalid registration states: {wrong}.")
    return body


class ControlApi:
    """The handlers; each gets the parts it works on."""

    def __init__(self, world: World, ops: Operations, reqlog: RequestLog, faults: Faults, ratelimiter: RateLimiter,
                 url: Callable[[], str]) -> None:
        self.world, self.ops, self.reqlog, self.faults, self.ratelimiter = world, ops, reqlog, faults, ratelimiter
        self.url = url
        self.started = time.time()

    async def health(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response({"status": "ok", "pid": os.getpid(), "url": self.url(),
                              "uptime_seconds": round(time.time() - self.started, 3),
                              "pending_operations": len(self.ops.pending),
                              "clusters": len(self.world.clusters), "extensions": len(self.world.extensions)})

    async def get_requests(self, request: web.Request, p: dict[str, str]) -> web.Response:
        q = request.query
        since = int(q["since"]) if q.get("since", "").isdigit() else None
        return json_response({"value": self.reqlog.query(q.get("method"), q.get("path_contains"), q.get("kind"), since),
                              "last_seq": self.reqlog.seq})

    async def clear_requests(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self.reqlog.clear()
        return json_response({"cleared": True})

    async def add_faults(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = await read_json(request)
        specs = body if isinstance(body, list) else [body]
        for s in specs:  # all of them first: a bad one arms nothing
            if not isinstance(s, dict):
                raise ArmError(400, "InvalidFault", "The fault must be a JSON object.")
            self.faults.validate(s)
        return json_response({"value": [self.faults.add(s) for s in specs]}, status=201)

    async def list_faults(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response({"value": [self.faults.public(f) for f in self.faults.items]})

    async def clear_faults(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self.faults.clear()
        return json_response({"cleared": True})

    async def list_clusters(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response({"value": [dict(c["body"], _sandbox={
            "cluster_type": c["cluster_type"], "subscription": c["subscription"], "resource_group": c["resource_group"],
            "provisioning_delay_seconds": c.get("provisioning_delay_seconds")})
            for c in self.world.clusters.values()]})

    async def seed_clusters(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = await read_json(request)
        specs = body.get("clusters") if isinstance(body, dict) and "clusters" in body else [body]
        if not isinstance(specs, list):
            raise ArmError(400, "InvalidClusterSpec", "clusters must be a list.")
        return json_response({"value": self.world.seed_clusters(specs)}, status=201)

    async def delete_cluster(self, request: web.Request, p: dict[str, str]) -> web.Response:
        ctype = VALID_TYPES.get(p["type"].lower())
        if ctype is None:
            raise ArmError(400, "InvalidClusterSpec",
                           "Use DELETE /_sandbox/clusters/{managedClusters|connectedClusters}/{name}.")
        sub = request.query.get("subscription_id", DEFAULT_SUBSCRIPTION)
        rg = request.query.get("resource_group", DEFAULT_RG)
        rtype = CLUSTER_RTYPES[ctype]
        key, _ = self.world.cluster(rtype, sub, rg, p["name"])
        if not self.world.remove_cluster(key):
            raise ArmError(404, "NotFound", f"No seeded cluster {key}.")
        return json_response({"deleted": key})

    async def add_subscription(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = check_subscription(await read_json(request))
        sid = body["subscription_id"]
        rec = subscription_record(sid, body.get("display_name"), body.get("providers") or {})
        old = self.world.subscription(sid)
        if old is not None:
            rec["resourceGroups"] = old["resourceGroups"]
        for rg in body.get("resource_groups") or []:
            rec["resourceGroups"][rg.lower()] = {"name": rg, "location": "eastus"}
        self.world.subscriptions[sid.lower()] = rec
        self.world.mark_dirty()
        return json_response(rec, status=201)

    async def list_subscriptions(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response({"value": list(self.world.subscriptions.values())})

    async def get_settings(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response(self.world.settings)

    async def post_settings(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self.world.settings.update(check_settings(await read_json(request)))
        self.world.mark_dirty()
        return json_response(self.world.settings)

    async def add_failure_rules(self, request: web.Request, p: dict[str, str]) -> web.Response:
        # Appends, unlike POST settings (which replaces the list): tests running side by side each add theirs.
        body = await read_json(request)
        rules = check_rules(body if isinstance(body, list) else [body])
        self.world.settings["failure_rules"] = list(self.world.settings.get("failure_rules") or []) + rules
        self.world.mark_dirty()
        return json_response({"value": self.world.settings["failure_rules"]}, status=201)

    async def reset(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self.world.reset()
        self.ops.rebuild()
        self.reqlog.clear()
        self.faults.clear()
        self.ratelimiter.reset()
        return json_response({"reset": True})

    async def extensions(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response({"value": [masked_extension(e) for e in self.world.extensions.values()]})

    async def state(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response(masked_state(self.world.data))

    async def crash(self, request: web.Request, p: dict[str, str]) -> web.Response:
        # A deliberate bug, so tests can prove that unhandled exceptions become a 500 ARM envelope.
        raise RuntimeError("deliberate crash for the error-envelope test")

    def routes(self) -> list[Route]:
        def r(path: str, methods: dict[str, Any]) -> Route:
            return Route(P + path, methods, kind=CONTROL)
        return [
            r("/health", {"GET": self.health}),
            r("/requests", {"GET": self.get_requests, "DELETE": self.clear_requests}),
            r("/faults", {"GET": self.list_faults, "POST": self.add_faults, "DELETE": self.clear_faults}),
            r("/clusters", {"GET": self.list_clusters, "POST": self.seed_clusters}),
            r("/clusters/(?P<type>[^/]+)/(?P<name>[^/]+)", {"DELETE": self.delete_cluster}),
            r("/subscriptions", {"GET": self.list_subscriptions, "POST": self.add_subscription}),
            r("/settings", {"GET": self.get_settings, "POST": self.post_settings}),
            r("/failure_rules", {"POST": self.add_failure_rules}),
            r("/reset", {"POST": self.reset}),
            r("/extensions", {"GET": self.extensions}),
            r("/state", {"GET": self.state}),
            r("/crash", {"GET": self.crash, "POST": self.crash}),
        ]
