# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The azureml-fe v1 resources of the legacy cleanup, and the pure functions over them.

The documentation (v1 "Delete azureml-fe related resources", the same list in the troubleshooting page)
names eight objects an AzureML v1 inference router leaves behind; leftovers make the extension's health
check fail with E45004 AZUREML_FE_ROLE_CONFLICT or E45005 AZUREML_FE_DEPLOYMENT_CONFLICT. ``RESOURCES``
is that list, the one place the collection holds it, in restore order (what others refer to first).

Everything here is pure: which of them still serve traffic (``serving()``), how an object read from the
API server becomes one ``kubectl apply -f`` can restore (``restorable()``), the backup file's text
(``backup_text()``) and the references that results show (``ref()``: kind, name, namespace, never data).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

DEFAULT_NAMESPACE = "default"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
ENDPOINTSLICE_API_VERSION = "discovery.k8s.io/v1"


@dataclass(frozen=True)
class Resource:
    kind: str
    api_version: str
    name: str
    namespaced: bool = True

    def namespace(self, namespace: str) -> str | None:
        return namespace if self.namespaced else None


# The documentation's eight, in restore order: what is referred to comes before what refers to it.
RESOURCES: tuple[Resource, ...] = (
    Resource("ServiceAccount", "v1", "azureml-fe"),
    Resource("ClusterRole", "rbac.authorization.k8s.io/v1", "azureml-fe-role", namespaced=False),
    Resource("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "azureml-fe-binding", namespaced=False),
    Resource("ConfigMap", "v1", "azuremlfeconfig"),
    Resource("Secret", "v1", "azuremlfessl"),
    Resource("Service", "v1", "azureml-fe"),
    Resource("Service", "v1", "azureml-fe-int-http"),
    Resource("Deployment", "apps/v1", "azureml-fe"),
)

# Deletion goes the other way: the router stops serving first, what it needed goes last.
DELETE_ORDER: tuple[Resource, ...] = tuple(reversed(RESOURCES))

DEPLOYMENT = next(r for r in RESOURCES if r.kind == "Deployment")
SERVICES = tuple(r for r in RESOURCES if r.kind == "Service")
SECRETS = tuple(r for r in RESOURCES if r.kind == "Secret")

# Set by the API server (or by controllers) and meaningless, or harmful, in a restore.
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                   "deletionGracePeriodSeconds", "managedFields", "selfLink", "ownerReferences", "finalizers",
                   "generateName")
SERVER_ANNOTATIONS = ("deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration")


def ref(resource: Resource, namespace: str) -> dict[str, Any]:
    """What a result shows of one object: never its data."""
    return {"kind": resource.kind, "api_version": resource.api_version, "name": resource.name,
            "namespace": resource.namespace(namespace)}


def label(resource: Resource, namespace: str) -> str:
    where = resource.namespace(namespace)
    return f"{resource.kind} {where + '/' if where else ''}{resource.name}"


def is_terminating(obj: Mapping[str, Any] | None) -> bool:
    return bool(((obj or {}).get("metadata") or {}).get("deletionTimestamp"))


def ready_endpoints(slices: Iterable[Mapping[str, Any]], service: str) -> int:
    """Ready endpoints of ``service`` across its EndpointSlices (label ``kubernetes.io/service-name``).

    An endpoint whose ``conditions.ready`` is unset counts as ready, as the EndpointSlice API asks its
    consumers to read an unknown state; a terminating one does not.
    """
    count = 0
    for piece in slices:
        if (((piece.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL)) != service:
            continue
        for endpoint in piece.get("endpoints") or []:
            conditions = endpoint.get("conditions") or {}
            if conditions.get("ready") is False or conditions.get("terminating") is True:
                continue
            count += max(len(endpoint.get("addresses") or []), 1)
    return count


def serving(found: Mapping[str, Mapping[str, Any]], slices: Iterable[Mapping[str, Any]],
            namespace: str) -> list[str]:
    """Why the v1 router still serves, one sentence per sign; empty when it serves nothing.

    A v1 service is live when the ``azureml-fe`` Deployment has ready replicas, or when either v1 Service
    (``azureml-fe``, ``azureml-fe-int-http``) has a ready endpoint in its EndpointSlices (pods, or
    endpoints someone maintains by hand, still receive its traffic). ``found`` maps ``label()`` to the
    objects read.
    """
    slices = list(slices)
    reasons = []
    deployment = found.get(label(DEPLOYMENT, namespace))
    if deployment is not None and not is_terminating(deployment):
        ready = int(((deployment.get("status") or {}).get("readyReplicas")) or 0)
        if ready > 0:
            reasons.append(f"{label(DEPLOYMENT, namespace)} has {ready} ready replica(s)")
    for service in SERVICES:
        if label(service, namespace) not in found:
            continue
        endpoints = ready_endpoints(slices, service.name)
        if endpoints:
            reasons.append(f"{label(service, namespace)} has {endpoints} ready endpoint(s)")
    return reasons


def restorable(obj: Mapping[str, Any], resource: Resource) -> dict[str, Any]:
    """The object as ``kubectl apply -f`` can create it again: what the API server set is left out.

    Dropped: ``status``; the metadata the server or controllers set (uid, resourceVersion, generation,
    creationTimestamp, managedFields, ownerReferences, finalizers, ...); the Deployment's revision and the
    last-applied annotation (kubectl writes it again); a Service's allocated ``clusterIP``/``clusterIPs``
    (kept when headless, ``None``); a ServiceAccount's generated token ``secrets``. Node ports are kept, so
    a restored Service answers where it did (the ports are freed when it is deleted).
    """
    source = copy.deepcopy(dict(obj))
    meta = dict(source.get("metadata") or {})
    for key in SERVER_METADATA:
        meta.pop(key, None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in SERVER_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    if not meta.get("labels"):
        meta.pop("labels", None)
    if not resource.namespaced:
        meta.pop("namespace", None)
    out: dict[str, Any] = {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": meta}
    for key, value in source.items():
        if key in ("apiVersion", "kind", "metadata", "status") or value is None:
            continue
        out[key] = value
    if resource.kind == "Service":
        spec = dict(out.get("spec") or {})
        if spec.get("clusterIP") != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        out["spec"] = spec
    if resource.kind == "ServiceAccount":
        out.pop("secrets", None)
    template_meta = ((out.get("spec") or {}).get("template") or {}).get("metadata")
    if isinstance(template_meta, dict) and template_meta.get("creationTimestamp") is None:
        template_meta.pop("creationTimestamp", None)
    return out


def secret_values(obj: Mapping[str, Any]) -> set[str]:
    """A Secret's values (base64 as stored, and decoded), to keep out of every output."""
    import base64
    import binascii

    values = set()
    for value in list((obj.get("data") or {}).values()) + list((obj.get("stringData") or {}).values()):
        if not isinstance(value, str) or len(value) < 8:
            continue
        values.add(value)
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        values.update(line for line in decoded.splitlines() if len(line) >= 16)
        values.add(decoded)
    return values


def backup_text(documents: list[dict[str, Any]], *, cluster: str, namespace: str, taken: str,
                context: str | None = None) -> str:
    """The backup file: a comment saying what it is and how to restore it, then one YAML document per object."""
    import yaml  # ansible-core's own dependency, needed only once there is something to back up

    target = f"--context {context} " if context else ""
    header = (f"# The azureml-fe v1 resources of cluster {cluster} (namespace {namespace}), taken {taken} by\n"
              "# azureml.kubernetes.aml_legacy_cleanup before deleting them. Restore with:\n"
              f"#   kubectl {target}apply -f <this file>\n"
              "# It holds Secret azuremlfessl (the v1 router's certificate and private key): keep it private.\n")
    return header + yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, explicit_start=True)
