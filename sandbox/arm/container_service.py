"""Microsoft.ContainerService/managedClusters: GET, full PUT (LRO), lists, the AKS operation status, and the
cluster's Trusted Access role bindings (``.../trustedAccessRoleBindings[/{name}]``: list, GET, PUT, DELETE;
api-versions 2023-09-01 and newer).

Shapes follow azure-mgmt-containerservice 41.8.0 (api 2026-08-01). A PUT replaces the writable
properties and keeps the read-only ones (fqdn, nodeResourceGroup, powerState ...). Authorized IP
ranges are checked the way AKS does (at most 200, each a CIDR or an address).
"""
from __future__ import annotations

import copy
import ipaddress
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..protocol import (ArmError, bad_type, base_url, iso_from_epoch, json_response, is_int, not_found_arm, opt_bool,
                        opt_object, opt_string, read_json, require_object, string_map)
from ..state.constants import TENANT_ID
from ..state.operations import times
from ..state.seeds import KUBERNETES_VERSION, managed_cluster_body, stable_guid, trusted_access_binding_body
from .cluster_reads import ClusterReads
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from ..state.operations import Operations
    from ..state.world import World


NS = "Microsoft.ContainerService"
RTYPE = "Microsoft.ContainerService/managedClusters"
ITEM = RG + r"/providers/Microsoft\.ContainerService/managedClusters/(?P<name>[^/]+)"
READ_ONLY = ("provisioningState", "powerState", "fqdn", "azurePortalFQDN", "currentKubernetesVersion",
             "nodeResourceGroup", "maxAgentPools", "identityProfile", "resourceUID")
MAX_AUTHORIZED_RANGES = 200
BINDINGS = ITEM + r"/trustedAccessRoleBindings"
BINDING_TYPE = "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings"
BINDING_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-_.]{0,22}[A-Za-z0-9])?$")
# The stored bindings of a cluster record: {lower-case name: body}.
BINDINGS_KEY = "trusted_access_role_bindings"


def _validate(body: dict[str, Any]) -> None:
    opt_string(body, "location", "location")
    if not body.get("location"):
        raise ArmError(400, "InvalidParameter", "The value of parameter location is invalid: it is required.",
                       target="location")
    string_map(body.get("tags"), "tags")
    opt_object(body, "sku", "sku")
    ident = opt_object(body, "identity", "identity")
    if ident is not None:
        opt_string(ident, "type", "identity.type")
        opt_object(ident, "userAssignedIdentities", "identity.userAssignedIdentities")
    props = opt_object(body, "properties", "properties") or {}
    for k in ("kubernetesVersion", "dnsPrefix"):
        opt_string(props, k, f"properties.{k}")
    opt_bool(props, "disableLocalAccounts", "properties.disableLocalAccounts")
    for k in ("servicePrincipalProfile", "networkProfile", "podIdentityProfile"):
        opt_object(props, k, f"properties.{k}")
    access = opt_object(props, "apiServerAccessProfile", "properties.apiServerAccessProfile") or {}
    for k in ("enablePrivateCluster", "enableVnetIntegration"):
        opt_bool(access, k, f"properties.apiServerAccessProfile.{k}")
    pools = props.get("agentPoolProfiles")
    if pools is not None and not isinstance(pools, list):
        raise bad_type("properties.agentPoolProfiles", "a list of agent pools")
    for i, pool in enumerate(pools or []):
        if not isinstance(pool, dict):
            raise bad_type(f"properties.agentPoolProfiles[{i}]", "an object")
        opt_string(pool, "name", f"properties.agentPoolProfiles[{i}].name")
        for k in ("vmSize", "mode", "osType"):
            opt_string(pool, k, f"properties.agentPoolProfiles[{i}].{k}")
        for k in ("count", "minCount", "maxCount", "maxPods", "osDiskSizeGB"):
            v = pool.get(k)
            if v is not None and (not is_int(v) or v < 0):
                raise bad_type(f"properties.agentPoolProfiles[{i}].{k}", "a non-negative integer")
    ranges = access.get("authorizedIPRanges") or []
    if not isinstance(ranges, list):
        raise ArmError(400, "InvalidParameter", "apiServerAccessProfile.authorizedIPRanges must be a list.",
                       target="properties.apiServerAccessProfile.authorizedIPRanges")
    if len(ranges) > MAX_AUTHORIZED_RANGES:
        raise ArmError(400, "InvalidParameter", f"The number of authorized IP ranges ({len(ranges)}) exceeds "
                       f"the maximum of {MAX_AUTHORIZED_RANGES}.",
                       target="properties.apiServerAccessProfile.authorizedIPRanges")
    for r in ranges:
        if not isinstance(r, str):
            raise bad_type("properties.apiServerAccessProfile.authorizedIPRanges", "a list of strings")
        try:
            net = ipaddress.ip_network(str(r), strict=False)
        except ValueError:
            raise ArmError(400, "InvalidParameter", f"Invalid authorized IP range '{r}': it must be a CIDR "
                           "(e.g. 20.1.2.0/24) or an IPv4 address.",
                           target="properties.apiServerAccessProfile.authorizedIPRanges") from None
        if net.version != 4:
            raise ArmError(400, "InvalidParameter", f"Authorized IP range '{r}' is IPv6; only IPv4 ranges are "
                           "supported.", target="properties.apiServerAccessProfile.authorizedIPRanges")
    for pool in props.get("agentPoolProfiles") or []:
        if not isinstance(pool, dict) or not pool.get("name"):
            raise ArmError(400, "InvalidParameter", "Each agent pool needs a name.",
                           target="properties.agentPoolProfiles")


class ContainerService:
    """Microsoft.ContainerService: needs the world (clusters) and the operations (AKS PUTs are LROs)."""

    def __init__(self, world: "World", ops: "Operations") -> None:
        self.world = world
        self.ops = ops
        self.reads = ClusterReads(world, "managedClusters", RTYPE)

    def _op_headers(self, request: web.Request, loc: str, sub: str, op_id: str) -> dict[str, str]:
        url = (f"{base_url(request)}/subscriptions/{sub}/providers/{NS}/locations/{loc}/operations/{op_id}"
               f"?api-version={request['api_version']}")
        return {"Azure-AsyncOperation": url, **self.ops.retry_after()}

    def apply(self, op: dict[str, Any]) -> None:
        cluster = self.world.clusters.get(op["target"])
        if cluster is None:
            return
        props = cluster["body"]["properties"]
        props["provisioningState"] = "Failed" if op.get("error") else "Succeeded"
        for pool in props.get("agentPoolProfiles") or []:
            pool["provisioningState"] = props["provisioningState"]
        self.world.mark_dirty()  # the inventory does not depend on provisioningState

    async def put_mc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        body = require_object(await read_json(request))
        _validate(body)
        key, existing = self.world.cluster(RTYPE, p["sub"], p["rg"], p["name"])
        if existing is not None:
            op = self.ops.is_running(key)
            if op is not None:
                raise ArmError(409, "OperationNotAllowed", "Operation is not allowed because there's an in progress "
                               "create node pool operation. Another operation (Updating) is in progress, please wait "
                               "for it to finish before starting a new operation.")
            old = existing["body"]
            if str(old["location"]).replace(" ", "").lower() != str(body["location"]).replace(" ", "").lower():
                raise ArmError(400, "LocationChangeNotAllowed", "Changing the location of a managed cluster is not allowed.",
                               target="location")
        else:
            sub = self.world.subscriptions[p["sub"].lower()]  # the dispatcher checked the resource group
            old = managed_cluster_body({"name": p["name"], "location": body["location"]}, sub["subscriptionId"],
                                       sub["resourceGroups"][p["rg"].lower()]["name"])
        new = copy.deepcopy(old)
        new["location"] = old["location"]
        new["tags"] = body.get("tags") or {}
        if body.get("sku"):
            new["sku"] = body["sku"]
        props = dict(body.get("properties") or {})
        for k in READ_ONLY:
            props.pop(k, None)
            if k in old["properties"]:
                props[k] = old["properties"][k]
        pools = []
        for pool in props.get("agentPoolProfiles") or old["properties"].get("agentPoolProfiles") or []:
            pool = dict(pool)
            pool.setdefault("count", 3)
            pool.setdefault("mode", "System")
            pool.setdefault("osType", "Linux")
            pool.setdefault("vmSize", "Standard_D4s_v3")
            pool["provisioningState"] = "Updating" if existing else "Creating"
            pool.setdefault("powerState", {"code": "Running"})
            pools.append(pool)
        props["agentPoolProfiles"] = pools
        ident = body.get("identity")
        if isinstance(ident, dict) and ident.get("type") and ident.get("type") != "None":
            t = ident["type"]
            if t == "SystemAssigned":
                new["identity"] = {"type": t, "principalId": stable_guid(key, "principal"), "tenantId": TENANT_ID}
            else:
                new["identity"] = {"type": t, "userAssignedIdentities": {
                    uid: {"principalId": stable_guid(uid, "p"), "clientId": stable_guid(uid, "c")}
                    for uid in (ident.get("userAssignedIdentities") or {})}}
            props.setdefault("servicePrincipalProfile", {"clientId": "msi"})
        elif ident is not None:
            new.pop("identity", None)
        # The control plane runs what it runs: the requested version is kept, the current one is real.
        kver = props.get("kubernetesVersion") or old["properties"].get("kubernetesVersion")
        props["kubernetesVersion"] = kver
        props["currentKubernetesVersion"] = KUBERNETES_VERSION["value"]
        props["provisioningState"] = "Updating" if existing else "Creating"
        new["properties"] = props
        now = time.time()
        new.setdefault("systemData", {})["lastModifiedAt"] = iso_from_epoch(now)
        sub_rec = self.world.subscriptions[p["sub"].lower()]
        self.world.ensure_resource_group(sub_rec["subscriptionId"], p["rg"], new["location"])
        record = {"cluster_type": "managedClusters", "subscription": sub_rec["subscriptionId"],
                  "resource_group": (existing or {}).get("resource_group") or
                  sub_rec["resourceGroups"][p["rg"].lower()]["name"], "body": new}
        if (existing or {}).get("provisioning_delay_seconds") is not None:  # a seeded per-cluster delay stays
            record["provisioning_delay_seconds"] = existing["provisioning_delay_seconds"]
        record["seed"] = (existing or {}).get("seed") or {}
        if (existing or {}).get(BINDINGS_KEY):  # bindings are resources of their own: a cluster PUT keeps them
            record[BINDINGS_KEY] = existing[BINDINGS_KEY]
        self.world.put_cluster(key, record)  # a new one is a new host for the inventory and the cluster services
        op = self.ops.start("aks", key, "update" if existing else "create", "InProgress",
                            extra={"location": new["location"]}, delay=self.ops.delay_for(record))
        headers = self._op_headers(request, str(new["location"]).replace(" ", "").lower(), sub_rec["subscriptionId"], op["id"])
        return json_response(new, status=200 if existing else 201, headers=headers)

    async def get_op(self, request: web.Request, p: dict[str, str]) -> web.Response:
        op = self.world.operations.get(p["op"])
        if op is None or op["kind"] != "aks":
            raise ArmError(404, "NotFound", f"Operation id '{p['op']}' was not found.")
        doc: dict[str, Any] = {"name": op["id"], "status": op["status"], **times(op)}
        if not doc["endTime"]:
            del doc["endTime"]
        headers = {}
        if op["status"] == "InProgress":
            headers = self.ops.retry_after()
        elif op.get("error"):
            doc["error"] = op["error"]
        return json_response(doc, headers=headers)

    # --- Trusted Access role bindings (ProxyResource; PUT 200/201 and DELETE 202/204 finish at once)
    def _cluster_of_binding(self, p: dict[str, str]) -> dict[str, Any]:
        _, c = self.world.cluster(RTYPE, p["sub"], p["rg"], p["name"])
        if c is None:
            raise not_found_arm(RTYPE, p["name"], p["rg"])
        return c

    def _binding_not_found(self, p: dict[str, str]) -> ArmError:
        return ArmError(404, "NotFound", f"Trusted access role binding '{p['binding']}' was not found in managed "
                        f"cluster '{p['name']}'.")

    async def list_bindings(self, request: web.Request, p: dict[str, str]) -> web.Response:
        c = self._cluster_of_binding(p)
        found = sorted((c.get(BINDINGS_KEY) or {}).values(), key=lambda b: b["name"].lower())
        return json_response({"value": found, "nextLink": None})

    async def get_binding(self, request: web.Request, p: dict[str, str]) -> web.Response:
        c = self._cluster_of_binding(p)
        found = (c.get(BINDINGS_KEY) or {}).get(p["binding"].lower())
        if found is None:
            raise self._binding_not_found(p)
        return json_response(found)

    async def put_binding(self, request: web.Request, p: dict[str, str]) -> web.Response:
        c = self._cluster_of_binding(p)
        body = require_object(await read_json(request))
        if not BINDING_NAME.match(p["binding"]):
            raise ArmError(400, "InvalidParameter", f"The trusted access role binding name '{p['binding']}' is "
                           "invalid: 1 to 24 letters, digits, '-', '_' or '.', starting and ending with a letter or "
                           "digit.", target="trustedAccessRoleBindingName")
        props = opt_object(body, "properties", "properties") or {}
        source = props.get("sourceResourceId")
        if not isinstance(source, str) or not source.startswith("/subscriptions/"):
            raise ArmError(400, "InvalidParameter", "properties.sourceResourceId is required: the ARM id of the "
                           "resource the binding trusts.", target="properties.sourceResourceId")
        roles = props.get("roles")
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
            raise ArmError(400, "InvalidParameter", "properties.roles must be a non-empty list of role names.",
                           target="properties.roles")
        stored = c.setdefault(BINDINGS_KEY, {})
        existed = p["binding"].lower() in stored
        binding = trusted_access_binding_body(c["body"]["id"], p["binding"], source, roles)
        if existed:
            binding["systemData"]["createdAt"] = stored[p["binding"].lower()]["systemData"]["createdAt"]
        stored[p["binding"].lower()] = binding
        self.world.mark_dirty()
        return json_response(binding, status=200 if existed else 201)

    async def delete_binding(self, request: web.Request, p: dict[str, str]) -> web.Response:
        c = self._cluster_of_binding(p)
        if (c.get(BINDINGS_KEY) or {}).pop(p["binding"].lower(), None) is None:
            return web.Response(status=204)
        self.world.mark_dirty()
        return web.Response(status=202)  # done already: no operation headers, so the poller ends at once

    def routes(self) -> list[Route]:
        return [
            Route(BINDINGS, {"GET": self.list_bindings}, "trustedaccess", NS),
            Route(BINDINGS + r"/(?P<binding>[^/]+)", {"GET": self.get_binding, "PUT": self.put_binding,
                                                      "DELETE": self.delete_binding}, "trustedaccess", NS),
            Route(RG + r"/providers/Microsoft\.ContainerService/managedClusters", {"GET": self.reads.list}, "containerservice", NS),
            Route(SUB + r"/providers/Microsoft\.ContainerService/managedClusters", {"GET": self.reads.list}, "containerservice", NS),
            Route(ITEM, {"GET": self.reads.get, "PUT": self.put_mc}, "containerservice", NS),
            Route(SUB + r"/providers/Microsoft\.ContainerService/locations/(?P<loc>[^/]+)/operations/(?P<op>[^/]+)",
                  {"GET": self.get_op}, "containerservice", NS),
        ]
