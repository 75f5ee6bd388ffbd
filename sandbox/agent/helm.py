"""How Helm marks the objects of a release, and how it refuses objects it does not own.

The texts are Helm v3's (``pkg/action/validate.go``: ``checkOwnership``/``requireValue`` and
``existingResourceConflict``, wrapped by install and upgrade), which the troubleshooting page quotes as
"invalid ownership metadata".
"""
from __future__ import annotations

from typing import Any, Optional

NAMESPACE = "azureml"
MANAGED_BY = "app.kubernetes.io/managed-by"
INSTANCE = "app.kubernetes.io/instance"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
CHART = "helm.sh/chart"
CHART_NAME = "azureml-extension"     # the chart's name is not documented; this one is the sandbox's
DEFAULT_VERSION = "1.1.64"


def labels(extension_name: str, version: Optional[str] = None) -> dict[str, str]:
    version = version or DEFAULT_VERSION
    return {
        MANAGED_BY: "Helm",
        INSTANCE: extension_name,
        CHART: f"{CHART_NAME}-{version}",
        "app.kubernetes.io/version": version,
    }


def annotations(extension_name: str) -> dict[str, str]:
    return {RELEASE_NAME: extension_name, RELEASE_NAMESPACE: NAMESPACE}


def selector(extension_name: str) -> str:
    """The label selector of this release's objects."""
    return f"{MANAGED_BY}=Helm,{INSTANCE}={extension_name}"


def _require(meta: dict[str, str], key: str, value: str) -> Optional[str]:
    if key not in meta:
        return f"missing key {_q(key)}: must be set to {_q(value)}"
    if meta[key] != value:
        return f"key {_q(key)} must equal {_q(value)}: current value is {_q(meta[key])}"
    return None


def _q(s: str) -> str:
    """Go's %q for the plain strings that occur here."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ownership_error(existing: dict[str, Any], release_name: str,
                    release_namespace: str = NAMESPACE) -> Optional[str]:
    """Helm's "invalid ownership metadata; ..." for an object it may not adopt, else None."""
    meta = existing.get("metadata") or {}
    errs = []
    err = _require(meta.get("labels") or {}, MANAGED_BY, "Helm")
    if err:
        errs.append(f"label validation error: {err}")
    for key, value in ((RELEASE_NAME, release_name), (RELEASE_NAMESPACE, release_namespace)):
        err = _require(meta.get("annotations") or {}, key, value)
        if err:
            errs.append(f"annotation validation error: {err}")
    if not errs:
        return None
    return "; ".join(["invalid ownership metadata", *errs])


def conflict_message(existing: dict[str, Any], release_name: str, operation: str) -> Optional[str]:
    """The whole refusal for ``existing`` (install or update), or None when Helm may adopt it."""
    err = ownership_error(existing, release_name)
    if err is None:
        return None
    meta = existing.get("metadata") or {}
    verb = "update" if operation in ("update", "upgrade") else "install"
    return (f"rendered manifests contain a resource that already exists. Unable to continue with {verb}: "
            f"{existing.get('kind')} {_q(meta.get('name', ''))} in namespace {_q(meta.get('namespace', ''))} "
            f"exists and cannot be imported into the current release: {err}")


def owned_by(obj: dict[str, Any], release_name: str) -> bool:
    return ownership_error(obj, release_name) is None
