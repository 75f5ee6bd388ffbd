"""The few Kubernetes calls the agent and the seeds make, over the official client's ``ApiClient``.

Objects are plain dicts (what the API server answers). Paths are built from ``apiVersion`` and ``kind``
(no discovery round trips, so a call from a thread costs one request). Writes are server-side apply
with a named field manager, so re-applying is idempotent and two writers (the chart's ``helm`` and the
health check) can own different fields of one object.

Every function takes the ``ApiClient`` it should use; nothing here is global. Errors are the client's
``kubernetes.client.exceptions.ApiException`` (``status``, ``reason``, ``body``).
"""
from __future__ import annotations

import json
import time
from typing import Any, Iterable, Optional

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

# Kinds whose plural is not ``lower(kind) + "s"``.
_PLURALS = {
    "SecurityContextConstraints": "securitycontextconstraints",
    "Endpoints": "endpoints",
    "Prometheus": "prometheuses",
}

# Cluster-scoped kinds among those this package reads or writes.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "SecurityContextConstraints", "InstanceType", "Queue", "PriorityClass",
})


def plural(kind: str) -> str:
    if kind in _PLURALS:
        return _PLURALS[kind]
    low = kind.lower()
    if low.endswith("y"):
        return low[:-1] + "ies"
    if low.endswith("s"):
        return low + "es"
    return low + "s"


def path(api_version: str, kind: str, name: Optional[str] = None, namespace: Optional[str] = None) -> str:
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespace and kind not in CLUSTER_SCOPED:
        base += f"/namespaces/{namespace}"
    base += "/" + plural(kind)
    return base + (f"/{name}" if name else "")


def obj_path(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return path(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))


def request(api: ApiClient, method: str, url: str, body: Any = None,
            query: Optional[Iterable[tuple[str, str]]] = None,
            content_type: str = "application/json", timeout: float = 30) -> dict[str, Any]:
    """One API call; the parsed JSON answer. Non-2xx raises ``ApiException``."""
    headers = {"Accept": "application/json", "Content-Type": content_type}
    req = api.param_serialize(method.upper(), url, query_params=list(query or []), header_params=headers,
                              body=body, auth_settings=["BearerToken"])
    resp = api.call_api(*req, _request_timeout=timeout)
    resp.read()
    if not 200 <= resp.status <= 299:
        raise ApiException(http_resp=resp)
    data = resp.data
    return json.loads(data) if data else {}


def get(api: ApiClient, api_version: str, kind: str, name: str,
        namespace: Optional[str] = None) -> Optional[dict[str, Any]]:
    """The object, or None when it does not exist (or its kind is not served)."""
    try:
        return request(api, "GET", path(api_version, kind, name, namespace))
    except ApiException as e:
        if e.status == 404:
            return None
        raise


def list_(api: ApiClient, api_version: str, kind: str, namespace: Optional[str] = None,
          label_selector: Optional[str] = None, field_selector: Optional[str] = None) -> list[dict[str, Any]]:
    """Items of a kind (all namespaces when ``namespace`` is None); [] when the kind is not served."""
    query = []
    if label_selector:
        query.append(("labelSelector", label_selector))
    if field_selector:
        query.append(("fieldSelector", field_selector))
    try:
        return request(api, "GET", path(api_version, kind, None, namespace), query=query).get("items") or []
    except ApiException as e:
        if e.status == 404:
            return []
        raise


def apply(api: ApiClient, obj: dict[str, Any], field_manager: str = "helm",
          dry_run: bool = False) -> dict[str, Any]:
    """Server-side apply of ``obj`` (created when absent), forcing ownership of the fields it names."""
    query = [("fieldManager", field_manager), ("force", "true")]
    if dry_run:
        query.append(("dryRun", "All"))
    return request(api, "PATCH", obj_path(obj), body=obj, query=query,
                   content_type="application/apply-patch+yaml")


def create_if_absent(api: ApiClient, obj: dict[str, Any]) -> dict[str, Any]:
    """POST ``obj``; the existing object when it is already there (for values generated once)."""
    meta = obj["metadata"]
    try:
        return request(api, "POST", path(obj["apiVersion"], obj["kind"], None, meta.get("namespace")), body=obj)
    except ApiException as e:
        if e.status != 409:
            raise
    return get(api, obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")) or {}


def delete(api: ApiClient, api_version: str, kind: str, name: str, namespace: Optional[str] = None,
           propagation: str = "Background") -> bool:
    """Delete one object; False when it was already gone."""
    try:
        request(api, "DELETE", path(api_version, kind, name, namespace),
                body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation})
        return True
    except ApiException as e:
        if e.status == 404:
            return False
        raise


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll ``predicate()`` until it returns something truthy; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def crd_established(crd: Optional[dict[str, Any]]) -> bool:
    conds = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conds)


def wait_crds_established(api: ApiClient, names: Iterable[str], timeout: float = 30) -> None:
    """Wait until each named CRD serves its resource (its ``Established`` condition is True)."""
    for name in names:
        wait_for(lambda n=name: crd_established(get(api, "apiextensions.k8s.io/v1", "CustomResourceDefinition", n)),
                 timeout, what=f"CustomResourceDefinition {name} to be Established")


def is_terminating(obj: Optional[dict[str, Any]]) -> bool:
    return bool(obj) and bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def error_message(e: ApiException) -> str:
    """The API server's own ``message`` from a Status body (the raw body when it is not one)."""
    try:
        return str(json.loads(e.body or "{}").get("message") or e.reason or e.status)
    except ValueError:
        return str(e.body or e.reason or e.status)
