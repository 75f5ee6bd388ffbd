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

from ..protocol import (ArmError, base_url, iso_from_epoch, json_response, opt_bool, opt_object, opt_string, read_json,
                  require_object, string_map)
from ..state.operations import times
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from ..state.operations import Operations
    from ..state.world import World


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


class Relay:
    """Microsoft.Relay: the world's relay records and the operations (namespace PUT/DELETE are LROs)."""

    def __init__(self, world: "World", ops: "Operations") -> None:
        self.world = world
        self.ops = ops

    def _namespace(self, p: dict[str, str], ready: bool = False) -> dict[str, Any]:
        rec = self.world.relay.get(_ns_key(p))
        if rec is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource 'Microsoft.Relay/namespaces/{p['ns']}' under resource "
                           f"group '{p['rg']}' was not found. For more details please go to "
                           "https://aka.ms/ARMResourceNotFoundFix")
        if ready and rec["body"]["properties"]["provisioningState"] != "Succeeded":
            raise ArmError(409, "Conflict", f"Namespace '{p['ns']}' is in state "
                           f"{rec['body']['properties']['provisioningState']}; retry when it is Succeeded.")
        return rec

    def _hc(self, p: dict[str, str]) -> dict[str, Any]:
        self._namespace(p)
        rec = self.world.relay.get(_hc_key(p))
        if rec is None:
            raise ArmError(404, "NotFound",
                           f"The messaging entity '{p['ns']}:hybridconnection:{p['hc']}' could not be found.")
        return rec

    def _ns_headers(self, request: web.Request, loc: str, sub: str, op_id: str) -> dict[str, str]:
        url = f"{base_url(request)}/subscriptions/{sub}/providers/{NS}/locations/{loc}/operationStatuses/{op_id}" \
              f"?api-version={request['api_version']}"
        return {"Azure-AsyncOperation": url, **self.ops.retry_after()}

    def apply(self, op: dict[str, Any]) -> None:
        rec = self.world.relay.get(op["target"])
        if rec is None:
            return
        if op["action"] == "delete":
            for k in [k for k in self.world.relay if k == op["target"] or k.startswith(op["target"] + "/")]:
                del self.world.relay[k]
            return
        rec["body"]["properties"]["provisioningState"] = "Succeeded"
        rec["body"]["properties"]["status"] = "Active"

    async def put_namespace(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = require_object(await read_json(request))
        _common(body)
        if not body.get("location"):
            raise ArmError(400, "InvalidParameter", "The location is required.", target="location")
        sub = self.world.subscriptions[p["sub"].lower()]
        rg = sub["resourceGroups"][p["rg"].lower()]["name"]
        key = _ns_key(p)
        now = iso_from_epoch(time.time())
        rec = self.world.relay.get(key)
        if rec is not None:
            if self.ops.is_running(key):
                raise ArmError(409, "Conflict", "Another operation is in progress on this namespace.")
            rec["body"]["tags"] = body.get("tags") or {}
            rec["body"]["properties"]["updatedAt"] = now
            self.world.mark_dirty()
            return json_response(rec["body"], status=200)
        loc = str(body["location"]).replace(" ", "").lower()
        nsb = {"id": f"/subscriptions/{sub['subscriptionId']}/resourceGroups/{rg}/providers/Microsoft.Relay/namespaces/{p['ns']}",
               "name": p["ns"], "type": "Microsoft.Relay/Namespaces", "location": body["location"],
               "tags": body.get("tags") or {}, "sku": body.get("sku") or {"name": "Standard", "tier": "Standard"},
               "properties": {"provisioningState": "Creating", "status": "Activating", "createdAt": now, "updatedAt": now,
                              "serviceBusEndpoint": f"https://{p['ns']}.servicebus.windows.net:443/",
                              "metricId": f"{sub['subscriptionId']}:{p['ns'].lower()}", "publicNetworkAccess": "Enabled",
                              "privateEndpointConnections": []}}
        self.world.relay[key] = {"kind": "namespace", "body": nsb}
        op = self.ops.start("relay", key, "create", "InProgress")
        return json_response(nsb, status=201, headers=self._ns_headers(request, loc, sub["subscriptionId"], op["id"]))

    async def get_namespace(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response(self._namespace(p)["body"])

    async def delete_namespace(self, request: web.Request, p: dict[str, str]) -> web.Response:
        key = _ns_key(p)
        rec = self.world.relay.get(key)
        if rec is None:
            return web.Response(status=204)
        running = self.ops.is_running(key)
        if running is not None and running["action"] == "delete":
            op = running
        elif running is not None:
            raise ArmError(409, "Conflict", "Another operation is in progress on this namespace.")
        else:
            rec["body"]["properties"]["provisioningState"] = "Deleting"
            op = self.ops.start("relay", key, "delete", "InProgress")
        loc = str(rec["body"]["location"]).replace(" ", "").lower()
        sub = self.world.subscriptions[p["sub"].lower()]["subscriptionId"]
        headers = self._ns_headers(request, loc, sub, op["id"])
        headers["Location"] = headers["Azure-AsyncOperation"]
        return web.Response(status=202, headers=headers)

    async def list_namespaces(self, request: web.Request, p: dict[str, str]) -> web.Response:
        prefix = f"/subscriptions/{p['sub']}/resourcegroups/{p['rg']}/providers/microsoft.relay/namespaces/".lower()
        out = [r["body"] for k, r in self.world.relay.items() if r["kind"] == "namespace" and k.startswith(prefix)]
        return json_response({"value": out})

    async def put_hc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = require_object(await read_json(request, required=False))
        props = _common(body)
        opt_bool(props, "requiresClientAuthorization", "properties.requiresClientAuthorization")
        opt_string(props, "userMetadata", "properties.userMetadata")
        ns = self._namespace(p, ready=True)
        key = _hc_key(p)
        now = iso_from_epoch(time.time())
        rec = self.world.relay.get(key)
        created = rec["body"]["properties"]["createdAt"] if rec else now
        hcb = {"id": f"{ns['body']['id']}/hybridConnections/{p['hc']}", "name": p["hc"],
               "type": "Microsoft.Relay/Namespaces/HybridConnections", "location": ns["body"]["location"],
               "properties": {"createdAt": created, "updatedAt": now, "listenerCount": 0,
                              "requiresClientAuthorization": props.get("requiresClientAuthorization") is not False,
                              "userMetadata": props.get("userMetadata")}}
        self.world.relay[key] = {"kind": "hybridConnection", "body": hcb}
        self.world.mark_dirty()
        return json_response(hcb, status=200)

    async def get_hc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response(self._hc(p)["body"])

    async def delete_hc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self._namespace(p)
        key = _hc_key(p)
        if key not in self.world.relay:
            return web.Response(status=204)
        for k in [k for k in self.world.relay if k == key or k.startswith(key + "/")]:
            del self.world.relay[k]
        self.world.mark_dirty()
        return web.Response(status=200)

    async def list_hc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self._namespace(p)
        prefix = _ns_key(p) + "/hybridconnections/"
        return json_response({"value": [r["body"] for k, r in self.world.relay.items()
                                        if r["kind"] == "hybridConnection" and k.startswith(prefix)]})

    async def put_rule(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = require_object(await read_json(request))
        hc = self._hc(p)
        rights = _rights(body)
        key = _rule_key(p)
        rec = self.world.relay.get(key)
        keys = rec["keys"] if rec else {"primary": _new_key(), "secondary": _new_key()}
        rb = {"id": f"{hc['body']['id']}/authorizationRules/{p['rule']}", "name": p["rule"],
              "type": "Microsoft.Relay/Namespaces/HybridConnections/AuthorizationRules",
              "location": hc["body"]["location"], "properties": {"rights": rights}}
        self.world.relay[key] = {"kind": "rule", "body": rb, "keys": keys}
        self.world.mark_dirty()
        return json_response(rb, status=200)

    def _rule(self, p: dict[str, str]) -> dict[str, Any]:
        self._hc(p)
        rec = self.world.relay.get(_rule_key(p))
        if rec is None:
            raise ArmError(404, "NotFound", f"The authorization rule '{p['rule']}' could not be found.")
        return rec

    async def get_rule(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return json_response(self._rule(p)["body"])

    async def delete_rule(self, request: web.Request, p: dict[str, str]) -> web.Response:
        self._hc(p)
        if self.world.relay.pop(_rule_key(p), None) is None:
            return web.Response(status=204)
        self.world.mark_dirty()
        return web.Response(status=200)

    async def list_keys(self, request: web.Request, p: dict[str, str]) -> web.Response:
        rec = self._rule(p)
        name = rec["body"]["name"]
        ep = f"Endpoint=sb://{p['ns'].lower()}.servicebus.windows.net/;SharedAccessKeyName={name};SharedAccessKey="
        tail = f";EntityPath={self._hc(p)['body']['name']}"
        return json_response({"primaryConnectionString": ep + rec["keys"]["primary"] + tail,
                              "secondaryConnectionString": ep + rec["keys"]["secondary"] + tail,
                              "primaryKey": rec["keys"]["primary"], "secondaryKey": rec["keys"]["secondary"],
                              "keyName": name})

    async def get_op(self, request: web.Request, p: dict[str, str]) -> web.Response:
        op = self.world.operations.get(p["op"])
        if op is None or op["kind"] != "relay":
            raise ArmError(404, "NotFound", f"Operation '{p['op']}' was not found.")
        doc: dict[str, Any] = {"id": request.path, "name": op["id"], "status": op["status"], **times(op)}
        headers = self.ops.retry_after() if op["status"] == "InProgress" else {}
        return json_response(doc, headers=headers)

    def routes(self) -> list[Route]:
        return [
            Route(RG + r"/providers/Microsoft\.Relay/namespaces", {"GET": self.list_namespaces}, "relay", NS),
            Route(NSP, {"GET": self.get_namespace, "PUT": self.put_namespace, "DELETE": self.delete_namespace}, "relay", NS),
            Route(NSP + r"/hybridConnections", {"GET": self.list_hc}, "relay", NS),
            Route(HCP, {"GET": self.get_hc, "PUT": self.put_hc, "DELETE": self.delete_hc}, "relay", NS),
            Route(RULEP, {"GET": self.get_rule, "PUT": self.put_rule, "DELETE": self.delete_rule}, "relay", NS),
            Route(RULEP + r"/listKeys", {"POST": self.list_keys}, "relay", NS),
            Route(SUB + r"/providers/Microsoft\.Relay/locations/(?P<loc>[^/]+)/operationStatuses/(?P<op>[^/]+)",
                  {"GET": self.get_op}, "relay", NS),
        ]
