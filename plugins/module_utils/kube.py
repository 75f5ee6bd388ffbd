# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thin adapter over kubernetes.core's client, for the modules that read a cluster as well as Azure.

Nothing here talks to Kubernetes by itself: the client is kubernetes.core's ``get_api_client`` (its auth
options, ``K8S_AUTH_*`` variables, kubeconfig and in-cluster loading, client cache), reads go through its
``K8sService.find`` and readiness is its ``waiter`` predicates. What this file adds:

- ``auth_argument_spec()``: kubernetes.core's ``AUTH_ARG_SPEC`` (documented by its doc fragment
  ``kubernetes.core.k8s_auth_options``), to merge into a module's spec;
- ``Kube(params, cluster)``: ``list(kind, namespace, ...)`` and ``get(kind, name, namespace)`` returning
  plain dicts; every failure is one ``KubeError`` whose message names the cluster, the context and the fix
  (a context missing from the kubeconfig, no kubeconfig, an API server that does not answer, refused
  credentials, a forbidden read), never a stack trace; ``delete(kind, name, namespace, preconditions=...)``
  for the one write a module makes itself (aml_legacy_cleanup);
- ``is_ready(kind, obj)``: kubernetes.core's predicate for Deployment, DaemonSet, StatefulSet and Pod,
  over a plain dict.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cached_property
from typing import Any, Mapping

IMPORT_ERROR: Exception | None
try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import (
        AUTH_ARG_SPEC,
        extract_sensitive_values_from_kubeconfig,
    )
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import waiter
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService
except ImportError as exc:  # kubernetes.core not installed: the module reports it
    IMPORT_ERROR = exc
    AUTH_ARG_SPEC = {}
    CoreException = Exception
else:
    IMPORT_ERROR = None

try:
    import kubernetes
    from kubernetes.dynamic.exceptions import DynamicApiError
    from kubernetes.dynamic.resource import ResourceField
    from urllib3.exceptions import HTTPError
except ImportError as exc:  # the kubernetes Python client: reported by the module
    IMPORT_ERROR = IMPORT_ERROR or exc
    DynamicApiError = HTTPError = ResourceField = None

# What a Kubernetes call can fail with (the API's answer, the connection, the kubeconfig, kubernetes.core's
# own errors); a programming error is none of these and surfaces as itself.
KUBE_FAILURES: tuple = tuple(t for t in (CoreException, DynamicApiError, HTTPError, OSError, ValueError) if t)
if IMPORT_ERROR is None:
    KUBE_FAILURES += (kubernetes.client.exceptions.ApiException, kubernetes.config.ConfigException)

READY_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "Pod")
RBAC_HINT = ("get and list on deployments, daemonsets and statefulsets (apps), and on pods, events and "
             "configmaps")


class KubeError(Exception):
    """A Kubernetes read that failed; the message says which cluster and what to do."""


def auth_argument_spec() -> dict[str, Any]:
    """kubernetes.core's auth options (doc fragment ``kubernetes.core.k8s_auth_options``)."""
    return copy.deepcopy(AUTH_ARG_SPEC)


def sensitive_values(params: Mapping[str, Any]) -> set[str]:
    """Secrets of an inline kubeconfig, to mask in the output (as kubernetes.core's modules do)."""
    kubeconfig = params.get("kubeconfig")
    return extract_sensitive_values_from_kubeconfig(kubeconfig) if isinstance(kubeconfig, dict) else set()


def _field(value: Any) -> Any:
    if isinstance(value, dict):
        return ResourceField({k: _field(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_field(v) for v in value]
    return value


def is_ready(kind: str, obj: Mapping[str, Any] | None) -> bool:
    """kubernetes.core's readiness predicate for ``kind`` (Deployment, DaemonSet, StatefulSet, Pod)."""
    if not obj or not obj.get("status"):
        return False
    predicate = waiter.RESOURCE_PREDICATES[kind]
    return bool(predicate(_field(dict(obj))))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _api_message(exc: Any) -> str:
    """The API server's own message of a refused request (its Status object), else the reason."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body).get("message") or body
        except ValueError:
            return body.strip()[:500]
    return str(getattr(exc, "reason", "") or exc)


class Kube:
    """Reads one cluster through kubernetes.core's client.

    ``params``: the module's parameters (only the auth options are read; unset ones fall back to
    ``K8S_AUTH_*`` inside kubernetes.core). ``cluster``: the cluster's name, for messages.
    """

    def __init__(self, params: Mapping[str, Any], cluster: str) -> None:
        self.auth = {k: params[k] for k in AUTH_ARG_SPEC if params.get(k) not in (None, "")}
        self.cluster = cluster

    # --- naming the target in messages
    @property
    def context(self) -> str | None:
        return self.auth.get("context") or os.environ.get("K8S_AUTH_CONTEXT")

    @property
    def kubeconfig(self) -> str:
        given = self.auth.get("kubeconfig") or os.environ.get("K8S_AUTH_KUBECONFIG")
        if isinstance(given, dict):
            return "the kubeconfig given inline"
        return given or os.environ.get("KUBECONFIG") or "~/.kube/config"

    @property
    def where(self) -> str:
        parts = [f"cluster {self.cluster}"]
        if self.context:
            parts.append(f"context {self.context}")
        host = self._host()
        if host:
            parts.append(f"API server {host}")
        return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")

    def _host(self) -> str | None:
        client = self.__dict__.get("client")
        if client is not None:
            return client.configuration.host
        return self._server or self.auth.get("host")

    # --- the client
    _server: str | None = None

    @cached_property
    def client(self) -> Any:
        """kubernetes.core's client; creating it already asks the API server for its version and APIs."""
        try:
            return get_api_client(**self.auth)
        except (CoreException, kubernetes.config.ConfigException, ValueError, TypeError) as exc:
            raise KubeError(self._config_message(exc)) from None
        # the first request (discovery) failed: unreachable, refused, forbidden
        except KUBE_FAILURES as exc:  # pylint: disable=catching-non-exception
            # kubernetes.core loaded the kubeconfig into the default configuration before that request.
            self._server = kubernetes.client.Configuration.get_default_copy().host
            raise KubeError(self._read_message(exc, "read its API discovery")) from None

    def _config_message(self, exc: BaseException) -> str:
        text = str(exc).replace("Could not create API client: ", "").rstrip(".")
        if self.context and "Expected object with name" in text:
            known = self._contexts()
            listed = f" (it has: {', '.join(known)})" if known else ""
            return (f"Context {self.context} for cluster {self.cluster} is not in {self.kubeconfig}{listed}. "
                    "Set context (or K8S_AUTH_CONTEXT) to one of its contexts, or point kubeconfig at the file "
                    "that has it.")
        if "No configuration found" in text or "Invalid kube-config file" in text:
            return (f"No usable kubeconfig for cluster {self.cluster}: {self.kubeconfig}: {text}. Set kubeconfig "
                    "(or K8S_AUTH_KUBECONFIG) to the cluster's kubeconfig file, or give host and api_key.")
        return f"Cannot build a Kubernetes client for {self.where}: {text}. Check the kubeconfig and context."

    def _contexts(self) -> list[str]:
        path = self.auth.get("kubeconfig")
        try:
            if isinstance(path, dict):
                return [c.get("name") for c in path.get("contexts") or [] if isinstance(c, dict)]
            contexts, _active = kubernetes.config.list_kube_config_contexts(config_file=path)
            return [c["name"] for c in contexts]
        # only decorates a message; the original failure is reported either way
        except KUBE_FAILURES:  # pylint: disable=catching-non-exception
            return []

    # --- reads
    def list(self, kind: str, namespace: str | None, *, api_version: str = "v1",
             field_selectors: list[str] | None = None, label_selectors: list[str] | None = None) -> list[dict]:
        """Every object of ``kind`` in ``namespace`` (all namespaces when None), as plain dicts."""
        what = f"list {kind} objects" + (f" in namespace {namespace}" if namespace else "")
        return self._find(what, kind, api_version, namespace=namespace, field_selectors=field_selectors,
                          label_selectors=label_selectors)

    def get(self, kind: str, name: str, namespace: str | None, *, api_version: str = "v1") -> dict | None:
        """One object, or None when it does not exist."""
        found = self._find(f"read {kind} {namespace + '/' if namespace else ''}{name}", kind, api_version,
                           name=name, namespace=namespace)
        return found[0] if found else None

    # --- writes
    def delete(self, kind: str, name: str, namespace: str | None, *, api_version: str = "v1",
               preconditions: Mapping[str, str] | None = None) -> bool:
        """Delete one object; False when it was already gone. ``preconditions`` (``uid``, ``resourceVersion``)
        make the API server refuse (409) when the object is no longer the one that was read."""
        what = f"delete {kind} {namespace + '/' if namespace else ''}{name}"
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if preconditions:
            body["preconditions"] = dict(preconditions)
        try:
            resource = K8sService(self.client, None).find_resource(kind, api_version, fail=True)
            self.client.delete(resource, name=name, namespace=namespace, body=body)
        except KubeError:
            raise
        # classified below, as for reads
        except KUBE_FAILURES as exc:  # pylint: disable=catching-non-exception
            if any(getattr(cause, "status", None) == 404 for cause in _chain(exc)):
                return False
            raise KubeError(self._read_message(exc, what)) from None
        return True

    def _find(self, what: str, kind: str, api_version: str, **params: Any) -> list[dict]:
        try:
            service = K8sService(self.client, None)
            result = service.find(kind, api_version, **params)
        except KubeError:
            raise
        # classified below
        except KUBE_FAILURES as exc:  # pylint: disable=catching-non-exception
            raise KubeError(self._read_message(exc, what)) from None
        if not result.get("api_found", True):
            raise KubeError(f"The API server of {self.where} does not serve {api_version} {kind}: cannot {what}.")
        return [dict(r) for r in result.get("resources") or []]

    def _read_message(self, exc: BaseException, what: str) -> str:
        for cause in _chain(exc):
            status = getattr(cause, "status", None)
            if (DynamicApiError is not None and isinstance(cause, DynamicApiError)) or isinstance(status, int):
                message = _api_message(cause).rstrip(".")
                if status == 403 and what.startswith("delete "):
                    return (f"Forbidden: the identity of {self.where} may not {what}: {message}. Grant it get, "
                            "list and delete on that resource, or use a context that has them.")
                if status == 403:
                    return (f"Forbidden: the identity of {self.where} may not {what}: {message}. Grant it "
                            f"{RBAC_HINT} in namespace azureml (a Role and RoleBinding, or the view ClusterRole), or "
                            "use a context that has them.")
                if status == 401:
                    return (f"The API server of {self.where} refused the credentials (401 Unauthorized): {message}. "
                            "Renew the token or certificate in the kubeconfig, or choose another context.")
                return f"The API server of {self.where} refused to {what} ({status}): {message}."
            if (HTTPError is not None and isinstance(cause, HTTPError)) or isinstance(cause, OSError):
                reason = str(getattr(cause, "reason", None) or cause).rstrip(".")
                return (f"Cannot reach the API server of {self.where} to {what}: {reason}. Check that the cluster "
                        "is running and reachable from here (VPN, firewall, authorized IP ranges), and that the "
                        "kubeconfig and context point at it.")
        return f"Cannot {what} on {self.where}: {exc}."
