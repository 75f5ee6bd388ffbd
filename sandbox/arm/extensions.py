"""Microsoft.KubernetesConfiguration/extensions under managedClusters and connectedClusters.

Protocol per arm-protocol.md §1–§3 and recording R1: PUT new -> 201 Creating with Azure-AsyncOperation
(``api-Version`` casing) and Location; PUT existing -> 200 (Updating + Azure-AsyncOperation if it
changes); PATCH -> 202 or 200 when nothing changes; DELETE -> 202, 204 when absent, 200 at once with
``forceDelete=true``; list pages with nextLink (null on the last page); protected settings always
returned as ``{}``.
"""
from __future__ import annotations

import copy
import re
import time
from typing import TYPE_CHECKING, Any, Optional

from aiohttp import web

from ..hooks import ExtensionOperationEvent
from ..protocol import (ArmError, base_url, iso_from_epoch, json_response, not_found_arm, opt_bool, opt_object,
                        opt_string, query_get, read_json, require_object, string_map)
from ..state.constants import TENANT_ID
from ..state.seeds import stable_guid
from ..state.world import cluster_info
from .routing import RG, Route

if TYPE_CHECKING:
    from ..hooks import Hooks
    from ..state.operations import Operations
    from ..state.world import World


NS = "Microsoft.KubernetesConfiguration"
RTYPE = "Microsoft.KubernetesConfiguration/extensions"
CLUSTER = RG + r"/providers/(?P<crp>Microsoft\.ContainerService/managedClusters|Microsoft\.Kubernetes/connectedClusters)/(?P<cluster>[^/]+)"
EXT_BASE = CLUSTER + r"/providers/Microsoft\.KubernetesConfiguration/extensions"
CANONICAL_RP = {"microsoft.containerservice/managedclusters": "Microsoft.ContainerService/managedClusters",
                "microsoft.kubernetes/connectedclusters": "Microsoft.Kubernetes/connectedClusters"}
# The RP echoes the cluster type capitalised in its operation URLs (recording R1: ".../ConnectedClusters/...").
OP_RP = {"microsoft.containerservice/managedclusters": "Microsoft.ContainerService/ManagedClusters",
         "microsoft.kubernetes/connectedclusters": "Microsoft.Kubernetes/ConnectedClusters"}
DEFAULT_VERSIONS = {"microsoft.azureml.kubernetes": "1.1.70", "microsoft.dapr": "1.14.4", "microsoft.flux": "1.15.1"}
PATCHABLE = ("autoUpgradeMinorVersion", "releaseTrain", "version", "configurationSettings",
             "configurationProtectedSettings")
# api-versions from which the resource carries autoUpgradeMode, extensionState, additionalDetails (recording R2).
NEW_FIELDS_FROM = "2025-03-01"
# arm-protocol.md §3 (Azure/AKS#3283): a write during another operation is accepted, and its op ends like this.
CONFLICT_ERROR = {"code": "UpdateFailed", "message": "Update failed for this resource, as there is a conflicting "
                  "operation in progress. Please try after sometime."}
FORCE_DELETE_BODY = {"version": "1.1", "content": {"headers": []}, "statusCode": 200, "reasonPhrase": "OK",
                     "headers": [], "trailingHeaders": [], "requestMessage": None, "isSuccessStatusCode": True}


# ---- lookups -----------------------------------------------------------------------------------------------

# The sandbox's rule for extension names (the name becomes a Helm release and Kubernetes object names): 1 to 253
# letters, digits, '-' and '.', starting and ending with a letter or digit.
NAME_RULE = ("1 to 253 characters: letters, digits, '-' and '.', starting and ending with a letter or digit")
NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def check_name(name: str) -> None:
    """ARM's 400 for an extension name outside the rule (before anything is stored)."""
    if not NAME_RE.fullmatch(name):
        raise ArmError(400, "InvalidResourceName", f"The resource name '{name}' is invalid. An extension name must be "
                       f"{NAME_RULE}.", target="name")


def _ext_key(cluster_key: str, name: str) -> str:
    return f"{cluster_key}/providers/microsoft.kubernetesconfiguration/extensions/{name.lower()}"


def _ext_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceNotFound", f"Extension with name '{name}' not found.")


def _paths(request: web.Request, ext: dict[str, Any], op_id: str, api_version: str) -> dict[str, str]:
    """Azure-AsyncOperation and Location headers as the RP sends them."""
    base = base_url(request)
    c = ext["cluster"]
    rp_path = (f"/subscriptions/{c['subscription']}/resourceGroups/{c['resource_group']}/providers/"
               f"{OP_RP[c['crp'].lower()]}/{c['name']}/providers/{NS}/extensions/{ext['name']}")
    # R1 (2023-05-01) has "?api-Version=", R2 (2025-03-01) "?api-version=".
    qname = "api-version" if api_version >= NEW_FIELDS_FROM else "api-Version"
    return {"Azure-AsyncOperation": f"{base}{rp_path}/operations/{op_id}?{qname}={api_version}",
            "Location": f"{base}{rp_path}"}


# ---- rendering -------------------------------------------------------------------------------------------

def render(ext: dict[str, Any], api_version: str = "") -> dict[str, Any]:
    """The resource as PUT/GET/LIST return it; protected settings are never echoed (x-ms-secret).

    Shapes follow R1 (2023-05-01) and R2 (2025-03-01): errorInfo, customLocationSettings and packageUri
    are left out when null, as the real RP does. Tolerates legacy records stored without a
    provisioningState by an older sandbox (they show as Failed, so a PUT or DELETE repairs them).
    """
    props = ext.get("properties") or {}
    auto = props.get("autoUpgradeMinorVersion")
    auto = True if auto is None else auto
    out_props: dict[str, Any] = {"extensionType": props.get("extensionType"), "autoUpgradeMinorVersion": auto}
    new_fields = api_version >= NEW_FIELDS_FROM
    if new_fields:
        out_props["autoUpgradeMode"] = "compatible" if auto else None
    out_props.update({
        "releaseTrain": props.get("releaseTrain") or "Stable",
        "version": props.get("version"),
        "currentVersion": ext.get("currentVersion"),
        "scope": props.get("scope"),
        "provisioningState": ext.get("provisioningState") or "Failed",
        "configurationSettings": props.get("configurationSettings") or {},
        "configurationProtectedSettings": {},
        "statuses": ext.get("statuses") or [],
    })
    if ext.get("errorInfo"):
        out_props["errorInfo"] = ext["errorInfo"]
    out_props["aksAssignedIdentity"] = ext.get("aksAssignedIdentity")
    out_props["isSystemExtension"] = False
    if new_fields:
        out_props["extensionState"] = None
        out_props["additionalDetails"] = {"docs": None, "releaseNotes": None, "troubleshootingGuide": None}
    body: dict[str, Any] = {"id": ext.get("id"), "name": ext.get("name"), "type": RTYPE, "properties": out_props,
                            "systemData": ext.get("systemData")}
    if ext.get("identity"):
        body["identity"] = ext["identity"]
    if ext.get("plan"):
        body["plan"] = ext["plan"]
    return body


# ---- validation ------------------------------------------------------------------------------------------

def _norm_scope(scope: Any) -> Optional[tuple[str, str]]:
    if not isinstance(scope, dict):
        return None
    if isinstance(scope.get("cluster"), dict):
        return "cluster", str(scope["cluster"].get("releaseNamespace") or "").lower()
    if isinstance(scope.get("namespace"), dict):
        return "namespace", str(scope["namespace"].get("targetNamespace") or "").lower()
    return None


def _validate(body: Any, patch: bool) -> dict[str, Any]:
    """Type checks at the door (400 InvalidRequestContent naming the field); returns the properties."""
    body = require_object(body)
    ident = opt_object(body, "identity", "identity")
    if ident is not None:
        opt_string(ident, "type", "identity.type")
    string_map(body.get("plan"), "plan")
    props = body.get("properties")
    if props is None and patch:
        props = {}
    if not isinstance(props, dict):
        raise ArmError(400, "InvalidRequestContent", "The request body must contain 'properties' (an object).",
                       target="properties")
    for k in ("extensionType", "releaseTrain", "version"):
        opt_string(props, k, f"properties.{k}")
    opt_bool(props, "autoUpgradeMinorVersion", "properties.autoUpgradeMinorVersion")
    # PATCH: a null value removes that configuration setting (modelled); protected settings are replaced whole.
    string_map(props.get("configurationSettings"), "properties.configurationSettings", allow_null_values=patch)
    string_map(props.get("configurationProtectedSettings"), "properties.configurationProtectedSettings")
    scope = opt_object(props, "scope", "properties.scope")
    if scope is not None:
        for kind, field in (("cluster", "releaseNamespace"), ("namespace", "targetNamespace")):
            inner = opt_object(scope, kind, f"properties.scope.{kind}")
            if inner is not None:
                opt_string(inner, field, f"properties.scope.{kind}.{field}")
        if scope and _norm_scope(scope) is None:
            raise ArmError(400, "InvalidParameter", "properties.scope must be {'cluster': {...}} or "
                           "{'namespace': {...}}.", target="properties.scope")
    return props


def _immutable(old: dict[str, Any], new_props: dict[str, Any]) -> None:
    """extensionType, scope and releaseNamespace cannot change after creation."""
    old_type = str(old.get("extensionType") or "")
    if "extensionType" in new_props and new_props["extensionType"] is not None and \
            old_type and str(new_props["extensionType"]).lower() != old_type.lower():
        raise ArmError(400, "PropertyChangeNotAllowed",
                       f"Changing property 'extensionType' is not allowed: the extension was created with "
                       f"'{old_type}', the request has '{new_props['extensionType']}'. Delete and "
                       f"recreate the extension to change its type.", target="properties.extensionType")
    if new_props.get("scope") is not None:
        o, n = _norm_scope(old.get("scope")), _norm_scope(new_props["scope"])
        if n is None:
            raise ArmError(400, "InvalidParameter", "properties.scope must be {'cluster': {...}} or "
                           "{'namespace': {...}}.", target="properties.scope")
        if o is not None and o[0] != n[0]:
            raise ArmError(400, "PropertyChangeNotAllowed", f"Changing property 'scope' is not allowed: the "
                           f"extension has {o[0]} scope, the request asks for {n[0]} scope.",
                           target="properties.scope")
        if o is not None and n[1] and o[1] != n[1]:
            what = "releaseNamespace" if n[0] == "cluster" else "targetNamespace"
            raise ArmError(400, "PropertyChangeNotAllowed", f"Changing property '{what}' is not allowed: "
                           f"'{o[1]}' -> '{n[1]}'.", target=f"properties.scope.{n[0]}.{what}")


def _check_version_rule(props: dict[str, Any]) -> None:
    # The RP (api 2023-05-01+) refuses a pinned version together with auto-upgrade (absent/null means true).
    if props.get("version") and props.get("autoUpgradeMinorVersion") in (True, None):
        raise ArmError(400, "InvalidParameter", "Version cannot be specified when autoUpgradeMinorVersion is "
                       "true. Set autoUpgradeMinorVersion to false to pin a version.",
                       target="properties.version")


# ---- operations ------------------------------------------------------------------------------------------

def _version_of(ext: dict[str, Any]) -> str:
    """The version an install/update ends with: the pinned one, else the current one, else the type's default."""
    props = ext["properties"]
    return props.get("version") or ext.get("currentVersion") or \
        DEFAULT_VERSIONS.get(str(props.get("extensionType") or "").lower(), "1.0.0")


def _conflict_response(request: web.Request, ext: dict[str, Any], op: dict[str, Any], status: int) -> web.Response:
    headers = _paths(request, ext, op["id"], request["api_version"])
    if status == 200:
        headers.pop("Location")
    body = render(ext, request["api_version"]) if status != 202 or request.method != "DELETE" else None
    if body is None:
        return web.Response(status=status, headers=headers)
    return json_response(body, status=status, headers=headers)


class Extensions:
    """Extensions: the world, the operations, and the hooks asked as each operation ends."""

    def __init__(self, world: "World", ops: "Operations", hooks: "Hooks") -> None:
        self.world = world
        self.ops = ops
        self.hooks = hooks

    def _cluster(self, p: dict[str, str]) -> tuple[str, dict[str, Any]]:
        crp = CANONICAL_RP[p["crp"].lower()]
        key, cluster = self.world.cluster(crp, p["sub"], p["rg"], p["cluster"])
        if cluster is None:
            raise not_found_arm(crp, p["cluster"], p["rg"])
        return key, cluster

    def _conflict_op(self, key: str, action: str) -> Optional[dict[str, Any]]:
        """A write while another operation runs: accepted, its own operation ends Failed/UpdateFailed at once."""
        running = self.ops.is_running(key)
        if running is None:
            return None
        status = {"update": "Updating", "delete": "Deleting"}[action]
        return self.ops.start("extension", key, "conflict", status, error=dict(CONFLICT_ERROR), delay=0)

    def _start(self, key: str, ext: dict[str, Any], cluster: dict[str, Any], action: str) -> dict[str, Any]:
        """Start the operation; it ends after the cluster's delay, when the hooks decide its outcome.

        The caller stores a new record only after this returned, so a record never exists without its
        provisioningState and operation. R1: currentVersion is already set while Creating/Updating (the
        previous one comes back if the operation fails).
        """
        running = {"create": "Creating", "update": "Updating", "delete": "Deleting"}[action]
        op = self.ops.start("extension", key, action, running, extra={"previous_version": ext.get("currentVersion")},
                            delay=self.ops.delay_for(cluster))
        ext["provisioningState"] = running
        ext["op"] = op["id"]
        if action != "delete":
            ext["currentVersion"] = _version_of(ext)
        return op

    async def ending(self, op: dict[str, Any]) -> Optional[dict[str, str]]:
        """The operation is about to end: ask the hooks (health check, agent) whether it fails."""
        ext = self.world.extensions.get(op["target"])
        if ext is None or ext.get("op") != op["id"]:
            return None
        event = self._event(ext, op["action"], op["id"])
        failure = None if event is None else await self.hooks.extension_operation_ending(event)
        return None if failure is None else {"code": failure.code, "message": failure.message}

    def _event(self, ext: dict[str, Any], action: str, op_id: str) -> Optional[ExtensionOperationEvent]:
        cluster = self.world.clusters.get(ext["cluster"]["key"])
        if cluster is None:
            return None
        props = ext["properties"]
        scope = props.get("scope") or {}
        namespace = (scope.get("cluster") or {}).get("releaseNamespace") or \
            (scope.get("namespace") or {}).get("targetNamespace")
        return ExtensionOperationEvent(
            operation_id=op_id, action=action, extension_id=ext["id"], extension_name=ext["name"],
            extension_type=str(props.get("extensionType") or ""), release_namespace=namespace,
            version=ext.get("currentVersion"), settings=dict(props.get("configurationSettings") or {}),
            protected=dict(ext.get("protected") or {}), cluster=cluster_info(ext["cluster"]["key"], cluster))

    def apply(self, op: dict[str, Any]) -> None:
        ext = self.world.extensions.get(op["target"])
        if ext is None or ext.get("op") != op["id"]:
            return
        err = op.get("error")
        if op["action"] == "delete" and not err:
            del self.world.extensions[op["target"]]
            return
        if err:
            ext["provisioningState"] = "Failed"
            # R2: a failed install has no currentVersion; a failed update keeps the one it had.
            ext["currentVersion"] = None if op["action"] == "create" else op["extra"].get("previous_version")
            # R2 shape (level, displayStatus and time are null); the code stays the health-check code.
            ext["statuses"] = [{"code": err["code"], "displayStatus": None, "level": None,
                                "message": err["message"], "time": None}]
            ext["errorInfo"] = {"code": err["code"], "message": err["message"]}
            # The op status document carries the RP's generic code (terraform-provider-azurerm#24547).
            op["error"] = {"code": "ExtensionOperationFailed",
                           "message": f"The extension operation failed with the following error: Error: "
                                      f"{{{err['code']}}} {err['message']}", "rule_code": err["code"]}
        else:
            ext["provisioningState"] = "Succeeded"
            ext["statuses"] = []
            ext["errorInfo"] = None
            ext["currentVersion"] = _version_of(ext)

    async def get_ext(self, request: web.Request, p: dict[str, str]) -> web.Response:
        ckey, _ = self._cluster(p)
        ext = self.world.extensions.get(_ext_key(ckey, p["name"]))
        if ext is None:
            raise _ext_not_found(p["name"])
        return json_response(render(ext, request["api_version"]))

    async def list_ext(self, request: web.Request, p: dict[str, str]) -> web.Response:
        ckey, _ = self._cluster(p)
        prefix = ckey + "/providers/microsoft.kubernetesconfiguration/extensions/"
        items = sorted((e for k, e in self.world.extensions.items() if k.startswith(prefix)),
                       key=lambda e: str(e.get("name") or "").lower())
        size = max(1, int(self.world.settings.get("page_size", 50)))
        try:
            skip = max(0, int(query_get(request, "$skipToken") or 0))
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", "The $skipToken is invalid.") from None
        page = items[skip: skip + size]
        next_link = None
        if skip + size < len(items):
            next_link = f"{base_url(request)}{request.path}?api-version={request['api_version']}&$skipToken={skip + size}"
        return json_response({"value": [render(e, request["api_version"]) for e in page], "nextLink": next_link})

    async def put_ext(self, request: web.Request, p: dict[str, str]) -> web.Response:
        check_name(p["name"])
        ckey, cluster = self._cluster(p)
        body = await read_json(request)
        props = _validate(body, patch=False)
        key = _ext_key(ckey, p["name"])
        existing = self.world.extensions.get(key)
        settings = dict(props.get("configurationSettings") or {})
        protected = dict(props.get("configurationProtectedSettings") or {})
        auto = props.get("autoUpgradeMinorVersion")
        auto = True if auto is None else auto
        now = time.time()
        api = request["api_version"]
        if existing is None:
            if not props.get("extensionType"):
                raise ArmError(400, "InvalidParameter", "properties.extensionType is required.",
                               target="properties.extensionType")
            new_props = {
                "extensionType": props["extensionType"],
                "autoUpgradeMinorVersion": auto,
                "releaseTrain": props.get("releaseTrain") or "Stable",
                "version": props.get("version"),
                "scope": props.get("scope") or {"cluster": {"releaseNamespace": p["name"]}},
                "configurationSettings": settings,
            }
            _check_version_rule(new_props)
            cb = cluster["body"]
            ext: dict[str, Any] = {
                "id": f"/subscriptions/{cluster['subscription']}/resourceGroups/{cluster['resource_group']}/providers/"
                      f"{CANONICAL_RP[p['crp'].lower()]}/{cb['name']}/providers/{RTYPE}/{p['name']}",
                "name": p["name"],
                "cluster": {"key": ckey, "crp": CANONICAL_RP[p["crp"].lower()], "name": cb["name"],
                            "subscription": cluster["subscription"], "resource_group": cluster["resource_group"]},
                "properties": new_props, "protected": protected, "currentVersion": None, "statuses": [],
                "errorInfo": None, "plan": body.get("plan"),
                "identity": None,
                "aksAssignedIdentity": ({"principalId": stable_guid(key, "aks"), "tenantId": TENANT_ID,
                                         "type": "SystemAssigned"} if cluster["cluster_type"] == "managedClusters" else None),
                "systemData": {"createdBy": None, "createdByType": None, "createdAt": iso_from_epoch(now),
                               "lastModifiedBy": None, "lastModifiedByType": None, "lastModifiedAt": iso_from_epoch(now)},
            }
            ident = body.get("identity")
            if isinstance(ident, dict) and str(ident.get("type") or "").lower() == "systemassigned":
                ext["identity"] = {"principalId": stable_guid(key, "identity"), "tenantId": TENANT_ID,
                                   "type": "SystemAssigned"}
            op = self._start(key, ext, cluster, "create")  # before the record exists: nothing half-stored on error
            rendered = render(ext, api)
            rendered["properties"]["currentVersion"] = None  # R1: null in the 201, set in the GETs while Creating
            self.world.extensions[key] = ext
            return json_response(rendered, status=201, headers=_paths(request, ext, op["id"], api))

        old = existing.get("properties") or {}
        _immutable(old, props)
        desired = copy.deepcopy(old)
        desired["autoUpgradeMinorVersion"] = auto
        desired["releaseTrain"] = props.get("releaseTrain") or "Stable"
        desired["version"] = props.get("version")
        desired["configurationSettings"] = settings  # PUT replaces the whole resource
        _check_version_rule(desired)
        conflict = self._conflict_op(key, "update")
        if conflict is not None:
            return _conflict_response(request, existing, conflict, 200)
        changed = desired != old or protected != (existing.get("protected") or {}) \
            or existing.get("provisioningState") in ("Failed", None)
        if not changed:
            return json_response(render(existing, api), status=200)
        trial = dict(existing, properties=desired, protected=protected)
        op = self._start(key, trial, cluster, "update")
        existing.update(trial)
        existing.setdefault("systemData", {})["lastModifiedAt"] = iso_from_epoch(now)
        headers = _paths(request, existing, op["id"], api)
        return json_response(render(existing, api), status=200,
                             headers={"Azure-AsyncOperation": headers["Azure-AsyncOperation"]})

    async def patch_ext(self, request: web.Request, p: dict[str, str]) -> web.Response:
        ckey, cluster = self._cluster(p)
        body = await read_json(request)
        props = _validate(body, patch=True)
        key = _ext_key(ckey, p["name"])
        ext = self.world.extensions.get(key)
        if ext is None:
            raise _ext_not_found(p["name"])
        old = ext.get("properties") or {}
        _immutable(old, props)
        if "releaseNamespace" in props or "identity" in body and body["identity"] != ext.get("identity"):
            raise ArmError(400, "PropertyChangeNotAllowed", "Only autoUpgradeMinorVersion, releaseTrain, version, "
                           "configurationSettings and configurationProtectedSettings can be patched.")
        desired = copy.deepcopy(old)
        for k in ("autoUpgradeMinorVersion", "releaseTrain", "version"):
            if k in props and props[k] is not None:
                desired[k] = props[k]
        if props.get("configurationSettings") is not None:
            merged = dict(old.get("configurationSettings") or {})
            for k, v in props["configurationSettings"].items():
                if v is None:
                    merged.pop(k, None)  # a null value removes the key
                else:
                    merged[k] = v
            desired["configurationSettings"] = merged
        protected = ext.get("protected") or {}
        if props.get("configurationProtectedSettings") is not None:
            # PATCH replaces protected settings whole (az-cli-azureml-handler.md §2).
            protected = dict(props["configurationProtectedSettings"])
        if desired.get("autoUpgradeMinorVersion") is True and "version" in props and props["version"] is None:
            desired["version"] = None
        _check_version_rule(desired)
        conflict = self._conflict_op(key, "update")
        if conflict is not None:
            return _conflict_response(request, ext, conflict, 202)
        if desired == old and protected == (ext.get("protected") or {}):
            return json_response(render(ext, request["api_version"]), status=200)
        trial = dict(ext, properties=desired, protected=protected)
        op = self._start(key, trial, cluster, "update")
        ext.update(trial)
        ext.setdefault("systemData", {})["lastModifiedAt"] = iso_from_epoch(time.time())
        return json_response(render(ext, request["api_version"]), status=202,
                             headers=_paths(request, ext, op["id"], request["api_version"]))

    async def delete_ext(self, request: web.Request, p: dict[str, str]) -> web.Response:
        ckey, cluster = self._cluster(p)
        key = _ext_key(ckey, p["name"])
        ext = self.world.extensions.get(key)
        if ext is None:
            return web.Response(status=204)
        if str(query_get(request, "forceDelete") or "").lower() == "true":
            running = self.ops.is_running(key)
            if running is not None:
                self.ops.cancel(running)
            event = self._event(ext, "delete", "")
            if event is not None:  # the agent removes what it created; a forced delete cannot fail
                await self.hooks.extension_operation_ending(event)
            self.world.extensions.pop(key, None)
            self.world.mark_dirty()
            return json_response(FORCE_DELETE_BODY, status=200)
        running = self.ops.is_running(key)
        if running is not None and running["action"] == "delete":
            op = running  # a repeated DELETE follows the same operation
        elif running is not None:
            op = self._conflict_op(key, "delete")
            return _conflict_response(request, ext, op, 202)
        else:
            op = self._start(key, ext, cluster, "delete")
        return web.Response(status=202, headers=_paths(request, ext, op["id"], request["api_version"]))

    async def get_op(self, request: web.Request, p: dict[str, str]) -> web.Response:
        ckey, _ = self._cluster(p)
        key = _ext_key(ckey, p["name"])
        op = self.world.operations.get(p["op"])
        if op is None or op["target"] != key:
            raise ArmError(404, "ResourceNotFound", f"Operation '{p['op']}' was not found for extension '{p['name']}'.")
        doc = {"id": request.path, "name": op["id"], "status": op["status"], "properties": {},
               "error": None}
        if op["status"] == "Failed" and op.get("error"):
            doc["error"] = {"code": op["error"]["code"], "message": op["error"]["message"]}
        headers = self.ops.retry_after() if self.ops.is_pending(op["id"]) else {}
        return json_response(doc, headers=headers)

    def routes(self) -> list[Route]:
        return [
            Route(EXT_BASE, {"GET": self.list_ext}, "extensions", NS),
            Route(EXT_BASE + r"/(?P<name>[^/]+)", {"GET": self.get_ext, "PUT": self.put_ext, "PATCH": self.patch_ext, "DELETE": self.delete_ext},
                  "extensions", NS),
            Route(EXT_BASE + r"/(?P<name>[^/]+)/operations/(?P<op>[^/]+)", {"GET": self.get_op}, "extensions", NS),
        ]
