"""Microsoft.Relay: namespaces (PUT/DELETE as LROs), hybridConnections, their authorization rules and listKeys.

These are the resources an Arc install of the AML extension needs (az-cli-azureml-handler.md §1).
Keys are generated at rule creation and kept in state.json; the request log masks them.
"""
from __future__ import annotations

import base64
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import operations
from .arm import (ArmError, base_url, iso_from_epoch, json_response, opt_bool, opt_object, opt_string, read_json,
                  require_object, string_map)
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from .core import Sandbox

NS = "Microsoft.Relay"
NSP = RG + r"/providers/Microsoft\.Relay/namespaces/(?P<ns>[^/]+)"
HCP = NSP + r"/hybridConnections/(?P<hc>[^/]+)"
RULEP = HCP + r"/authorizationRules/(?P<rule>[^/]+)"
RIGHTS = {"manage": "Manage", "send": "Send", "listen": "Listen"}


def _common(body: Any) -> dict[str, Any]:
    """Type checks shared by the Relay PUTs; returns the properties object ({} when absent)."""
    body = require_object(body)
    opt_string(body, "location", "location")
    string_map(body.get("tags"), "tags")
    sku = opt_object(body, "sku", "sku")
    if sku is not None:
        opt_string(sku, "name", "sku.name")
        opt_string(sku, "tier", "sku.tier")
    return opt_object(body, "properties", "properties") or {}


def _ns_key(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['sub']}/resourcegroups/{p['rg']}/providers/microsoft.relay/namespaces/{p['ns']}".lower()


def _hc_key(p: dict[str, str]) -> str:
    return f"{_ns_key(p)}/hybridconnections/{p['hc'].lower()}"


def _rule_key(p: dict[str, str]) -> str:
    return f"{_hc_key(p)}/authorizationrules/{p['rule'].lower()}"


def _namespace(sb: "Sandbox", p: dict[str, str], ready: bool = False) -> dict[str, Any]:
    rec = sb.data["relay"].get(_ns_key(p))
    if rec is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource 'Microsoft.Relay/namespaces/{p['ns']}' under resource "
                       f"group '{p['rg']}' was not found. For more details please go to "
                       "https://aka.ms/ARMResourceNotFoundFix")
    if ready and rec["body"]["properties"]["provisioningState"] != "Succeeded":
        raise ArmError(409, "Conflict", f"Namespace '{p['ns']}' is in state "
                       f"{rec['body']['properties']['provisioningState']}; retry when it is Succeeded.")
    return rec


def _hc(sb: "Sandbox", p: dict[str, str]) -> dict[str, Any]:
    _namespace(sb, p)
    rec = sb.data["relay"].get(_hc_key(p))
    if rec is None:
        raise ArmError(404, "NotFound",
                       f"The messaging entity '{p['ns']}:hybridconnection:{p['hc']}' could not be found.")
    return rec


def _ns_headers(request: web.Request, sb: "Sandbox", loc: str, sub: str, op_id: str) -> dict[str, str]:
    url = f"{base_url(request)}/subscriptions/{sub}/providers/{NS}/locations/{loc}/operationStatuses/{op_id}" \
          f"?api-version={request['api_version']}"
    return {"Azure-AsyncOperation": url, "Retry-After": str(sb.settings.get("retry_after_seconds", 1))}


def _apply(sb: "Sandbox", op: dict[str, Any]) -> None:
    rec = sb.data["relay"].get(op["target"])
    if rec is None:
        return
    if op["action"] == "delete":
        for k in [k for k in sb.data["relay"] if k == op["target"] or k.startswith(op["target"] + "/")]:
            del sb.data["relay"][k]
        return
    rec["body"]["properties"]["provisioningState"] = "Succeeded"
    rec["body"]["properties"]["status"] = "Active"


operations.register("relay", _apply)


async def put_namespace(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    body = require_object(await read_json(request))
    _common(body)
    if not body.get("location"):
        raise ArmError(400, "InvalidParameter", "The location is required.", target="location")
    sub = sb.data["subscriptions"][p["sub"].lower()]
    if p["rg"].lower() not in sub["resourceGroups"]:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{p['rg']}' could not be found.")
    rg = sub["resourceGroups"][p["rg"].lower()]["name"]
    key = _ns_key(p)
    now = iso_from_epoch(time.time())
    rec = sb.data["relay"].get(key)
    if rec is not None:
        if operations.is_running(sb, key):
            raise ArmError(409, "Conflict", "Another operation is in progress on this namespace.")
        rec["body"]["tags"] = body.get("tags") or {}
        rec["body"]["properties"]["updatedAt"] = now
        sb.store.mark_dirty()
        return json_response(rec["body"], status=200)
    loc = str(body["location"]).replace(" ", "").lower()
    nsb = {"id": f"/subscriptions/{sub['subscriptionId']}/resourceGroups/{rg}/providers/Microsoft.Relay/namespaces/{p['ns']}",
           "name": p["ns"], "type": "Microsoft.Relay/Namespaces", "location": body["location"],
           "tags": body.get("tags") or {}, "sku": body.get("sku") or {"name": "Standard", "tier": "Standard"},
           "properties": {"provisioningState": "Creating", "status": "Activating", "createdAt": now, "updatedAt": now,
                          "serviceBusEndpoint": f"https://{p['ns']}.servicebus.windows.net:443/",
                          "metricId": f"{sub['subscriptionId']}:{p['ns'].lower()}", "publicNetworkAccess": "Enabled",
                          "privateEndpointConnections": []}}
    sb.data["relay"][key] = {"kind": "namespace", "body": nsb}
    op = operations.start(sb, "relay", key, "create", "InProgress")
    return json_response(nsb, status=201, headers=_ns_headers(request, sb, loc, sub["subscriptionId"], op["id"]))


async def get_namespace(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    return json_response(_namespace(sb, p)["body"])


async def delete_namespace(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    key = _ns_key(p)
    rec = sb.data["relay"].get(key)
    if rec is None:
        return web.Response(status=204)
    running = operations.is_running(sb, key)
    if running is not None and running["action"] == "delete":
        op = running
    elif running is not None:
        raise ArmError(409, "Conflict", "Another operation is in progress on this namespace.")
    else:
        rec["body"]["properties"]["provisioningState"] = "Deleting"
        op = operations.start(sb, "relay", key, "delete", "InProgress")
    loc = str(rec["body"]["location"]).replace(" ", "").lower()
    sub = sb.data["subscriptions"][p["sub"].lower()]["subscriptionId"]
    headers = _ns_headers(request, sb, loc, sub, op["id"])
    headers["Location"] = headers["Azure-AsyncOperation"]
    return web.Response(status=202, headers=headers)


async def list_namespaces(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    prefix = f"/subscriptions/{p['sub']}/resourcegroups/{p['rg']}/providers/microsoft.relay/namespaces/".lower()
    out = [r["body"] for k, r in sb.data["relay"].items() if r["kind"] == "namespace" and k.startswith(prefix)]
    return json_response({"value": out})


async def put_hc(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    body = require_object(await read_json(request, required=False))
    props = _common(body)
    opt_bool(props, "requiresClientAuthorization", "properties.requiresClientAuthorization")
    opt_string(props, "userMetadata", "properties.userMetadata")
    ns = _namespace(sb, p, ready=True)
    key = _hc_key(p)
    now = iso_from_epoch(time.time())
    rec = sb.data["relay"].get(key)
    created = rec["body"]["properties"]["createdAt"] if rec else now
    hcb = {"id": f"{ns['body']['id']}/hybridConnections/{p['hc']}", "name": p["hc"],
           "type": "Microsoft.Relay/Namespaces/HybridConnections", "location": ns["body"]["location"],
           "properties": {"createdAt": created, "updatedAt": now, "listenerCount": 0,
                          "requiresClientAuthorization": props.get("requiresClientAuthorization") is not False,
                          "userMetadata": props.get("userMetadata")}}
    sb.data["relay"][key] = {"kind": "hybridConnection", "body": hcb}
    sb.store.mark_dirty()
    return json_response(hcb, status=200)


async def get_hc(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    return json_response(_hc(sb, p)["body"])


async def delete_hc(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    _namespace(sb, p)
    key = _hc_key(p)
    if key not in sb.data["relay"]:
        return web.Response(status=204)
    for k in [k for k in sb.data["relay"] if k == key or k.startswith(key + "/")]:
        del sb.data["relay"][k]
    sb.store.mark_dirty()
    return web.Response(status=200)


async def list_hc(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    _namespace(sb, p)
    prefix = _ns_key(p) + "/hybridconnections/"
    return json_response({"value": [r["body"] for k, r in sb.data["relay"].items()
                                    if r["kind"] == "hybridConnection" and k.startswith(prefix)]})


def _rights(body: dict[str, Any]) -> list[str]:
    rights = _common(body).get("rights")
    if not isinstance(rights, list) or not rights:
        raise ArmError(400, "InvalidParameter", "properties.rights must be a non-empty list of Manage, Send, Listen.",
                       target="properties.rights")
    out = []
    for r in rights:
        norm = RIGHTS.get(str(r).lower())
        if norm is None:
            raise ArmError(400, "InvalidParameter", f"'{r}' is not a valid access right (Manage, Send, Listen).",
                           target="properties.rights")
        out.append(norm)
    if "Manage" in out and not {"Send", "Listen"} <= set(out):
        raise ArmError(400, "InvalidParameter", "The 'Manage' right requires 'Send' and 'Listen'.",
                       target="properties.rights")
    return out


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


async def put_rule(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    body = require_object(await read_json(request))
    hc = _hc(sb, p)
    rights = _rights(body)
    key = _rule_key(p)
    rec = sb.data["relay"].get(key)
    keys = rec["keys"] if rec else {"primary": _new_key(), "secondary": _new_key()}
    rb = {"id": f"{hc['body']['id']}/authorizationRules/{p['rule']}", "name": p["rule"],
          "type": "Microsoft.Relay/Namespaces/HybridConnections/AuthorizationRules",
          "location": hc["body"]["location"], "properties": {"rights": rights}}
    sb.data["relay"][key] = {"kind": "rule", "body": rb, "keys": keys}
    sb.store.mark_dirty()
    return json_response(rb, status=200)


def _rule(sb: "Sandbox", p: dict[str, str]) -> dict[str, Any]:
    _hc(sb, p)
    rec = sb.data["relay"].get(_rule_key(p))
    if rec is None:
        raise ArmError(404, "NotFound", f"The authorization rule '{p['rule']}' could not be found.")
    return rec


async def get_rule(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    return json_response(_rule(sb, p)["body"])


async def delete_rule(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    _hc(sb, p)
    if sb.data["relay"].pop(_rule_key(p), None) is None:
        return web.Response(status=204)
    sb.store.mark_dirty()
    return web.Response(status=200)


async def list_keys(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    rec = _rule(sb, p)
    name = rec["body"]["name"]
    ep = f"Endpoint=sb://{p['ns'].lower()}.servicebus.windows.net/;SharedAccessKeyName={name};SharedAccessKey="
    tail = f";EntityPath={_hc(sb, p)['body']['name']}"
    return json_response({"primaryConnectionString": ep + rec["keys"]["primary"] + tail,
                          "secondaryConnectionString": ep + rec["keys"]["secondary"] + tail,
                          "primaryKey": rec["keys"]["primary"], "secondaryKey": rec["keys"]["secondary"],
                          "keyName": name})


async def get_op(request: web.Request, sb: "Sandbox", p: dict[str, str]) -> web.Response:
    op = sb.data["operations"].get(p["op"])
    if op is None or op["kind"] != "relay":
        raise ArmError(404, "NotFound", f"Operation '{p['op']}' was not found.")
    doc: dict[str, Any] = {"id": request.path, "name": op["id"], "status": op["status"], **operations.times(op)}
    headers = {"Retry-After": str(sb.settings.get("retry_after_seconds", 1))} if op["status"] == "InProgress" else {}
    return json_response(doc, headers=headers)


ROUTES = [
    Route(RG + r"/providers/Microsoft\.Relay/namespaces", {"GET": list_namespaces}, "relay", NS),
    Route(NSP, {"GET": get_namespace, "PUT": put_namespace, "DELETE": delete_namespace}, "relay", NS),
    Route(NSP + r"/hybridConnections", {"GET": list_hc}, "relay", NS),
    Route(HCP, {"GET": get_hc, "PUT": put_hc, "DELETE": delete_hc}, "relay", NS),
    Route(RULEP, {"GET": get_rule, "PUT": put_rule, "DELETE": delete_rule}, "relay", NS),
    Route(RULEP + r"/listKeys", {"POST": list_keys}, "relay", NS),
    Route(SUB + r"/providers/Microsoft\.Relay/locations/(?P<loc>[^/]+)/operationStatuses/(?P<op>[^/]+)",
          {"GET": get_op}, "relay", NS),
]
