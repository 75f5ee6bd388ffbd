# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_tls_secret``: the extension's ``sslSecret`` (Opaque, ``cert.pem`` and ``key.pem`` in ``azureml``).

``decide(namespace, secret, cert, key, ...)`` is pure: from the Namespace and the Secret as read (plain dicts, or
None) and the checked pair, what to do: nothing (the Secret holds this pair), create (with the namespace when
missing), rotate (another pair: ``cert.pem`` and ``key.pem`` replaced, any other key kept), or refuse (a Secret of
another type, which Kubernetes cannot change; a namespace being deleted). Its before/after views show
fingerprints, never PEM. ``apply()`` checks the pair with ``aml/tls.check`` and refuses with every problem before
any request; then reads and writes through kubernetes.core's client (``kube.Kube``); in check mode the writes go
as server-side dry runs (admission and RBAC judge them, nothing is stored).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import Kube, KubeError, sensitive_values
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.tls_check import (
    CERT_KEY,
    KEY_KEY,
    SECRET_TYPE,
    exit_with,
    labels,
    material,
    missing_half,
    protect,
    secret_pair,
    secret_where,
    verdict_result,
)

MANAGED_BY = "azureml.kubernetes"


@dataclass
class Decision:
    action: str  # none | create | rotate | refuse
    create_namespace: bool = False
    reason: str | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def pem_digest(pem: bytes | None) -> str | None:
    """SHA-256 of a PEM's normalised bytes (what the Secret holds), for the diff; None when absent."""
    return None if pem is None else "sha256:" + hashlib.sha256(tls.normalise_pem(pem)).hexdigest()


def view(namespace: str, namespace_exists: bool, name: str, secret_type: str | None, keys: list[str],
         cert: bytes | None, key: bytes | None) -> dict[str, Any]:
    """What the diff shows of one side: names, type, keys, fingerprints; never PEM."""
    secret = None
    if secret_type is not None:
        secret = {"name": name, "type": secret_type, "data_keys": sorted(keys),
                  "cert.pem": {"certificate_sha256": tls.fingerprint(cert) if cert else None,
                               "content_sha256": pem_digest(cert)},
                  "key.pem": {"content_sha256": pem_digest(key)}}
    return {"namespace": {"name": namespace, "exists": namespace_exists}, "secret": secret}


def decide(namespace_obj: Mapping[str, Any] | None, secret: Mapping[str, Any] | None, cert: bytes, key: bytes, *,
           name: str, namespace: str) -> Decision:
    """What to do with the Secret (pure)."""
    where = secret_where(name, namespace)
    ns_exists = namespace_obj is not None
    held_cert, held_key = secret_pair(secret) if secret else (None, None)
    keys = sorted((secret.get("data") or {}).keys()) if secret else []
    kind = (secret.get("type") or SECRET_TYPE) if secret else None
    before = view(namespace, ns_exists, name, kind, keys, held_cert, held_key)
    after = view(namespace, True, name, kind or SECRET_TYPE, sorted(set(keys) | {CERT_KEY, KEY_KEY}), cert, key)
    if ns_exists and (namespace_obj.get("metadata") or {}).get("deletionTimestamp"):
        return Decision("refuse", reason="namespace %s is being deleted (Terminating): wait until it is gone, then run "
                                         "again" % namespace, before=before, after=before)
    if secret is not None and kind != SECRET_TYPE:
        return Decision("refuse", reason="%s exists with type %s, which Kubernetes cannot change; the extension's "
                                         "sslSecret is an Opaque Secret with keys cert.pem and key.pem: delete it, or "
                                         "choose another secret name" % (where, kind), before=before, after=before)
    if secret is None:
        return Decision("create", create_namespace=not ns_exists, before=before, after=after)
    same = (held_cert is not None and held_key is not None and tls.normalise_pem(held_cert) == tls.normalise_pem(cert)
            and tls.normalise_pem(held_key) == tls.normalise_pem(key))
    if same:
        return Decision("none", before=before, after=before)
    return Decision("rotate", before=before, after=after)


def _data(cert: bytes, key: bytes) -> dict[str, str]:
    return {CERT_KEY: base64.b64encode(tls.normalise_pem(cert)).decode("ascii"),
            KEY_KEY: base64.b64encode(tls.normalise_pem(key)).decode("ascii")}


def secret_body(name: str, namespace: str, cert: bytes, key: bytes) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": MANAGED_BY}},
            "data": _data(cert, key)}


def rotation_patch(secret: Mapping[str, Any], cert: bytes, key: bytes) -> dict[str, Any]:
    """A merge patch of the two keys, with the read resourceVersion: a Secret changed since is not overwritten."""
    return {"metadata": {"resourceVersion": (secret.get("metadata") or {}).get("resourceVersion")},
            "data": _data(cert, key)}


class SecretKube(Kube):
    """``Kube`` plus the two writes this module makes, through kubernetes.core's client (server-side dry run in
    check mode)."""

    def create(self, kind: str, body: Mapping[str, Any], namespace: str | None, *, dry_run: bool) -> None:
        what = "create %s %s%s" % (kind, namespace + "/" if namespace else "", body["metadata"]["name"])
        self._write(what, kind, "create", dict(body), namespace=namespace, dry_run=dry_run)

    def merge_patch(self, kind: str, name: str, patch: Mapping[str, Any], namespace: str, *, dry_run: bool) -> None:
        self._write("update %s %s/%s" % (kind, namespace, name), kind, "patch", dict(patch), name=name,
                    namespace=namespace, dry_run=dry_run, content_type="application/merge-patch+json")

    def _write(self, what: str, kind: str, verb: str, body: dict[str, Any], *, dry_run: bool, **params: Any) -> None:
        if dry_run:
            params["dry_run"] = "All"
        try:
            service = kube_adapter.K8sService(self.client, None)
            resource = service.find_resource(kind, "v1", fail=True)
            getattr(self.client, verb)(resource, body, **params)
        except KubeError:
            raise
        # classified as for reads; never the body (it holds the key)
        except kube_adapter.KUBE_FAILURES as exc:  # pylint: disable=catching-non-exception
            statuses = [getattr(cause, "status", None) for cause in kube_adapter._chain(exc)]  # pylint: disable=protected-access
            if 403 in statuses:
                raise KubeError("Forbidden: the identity of %s may not %s. Grant it get, create and patch on secrets, "
                                "and get and create on namespaces, or use a context that has them."
                                % (self.where, what)) from None
            if 409 in statuses:
                raise KubeError("%s on %s: the object changed since it was read (409 Conflict): run again."
                                % (what.capitalize(), self.where)) from None
            raise KubeError(self._read_message(exc, what)) from None


def apply(module: Any, *, kube: Kube | None = None) -> dict[str, Any]:
    """Check, read, decide, write; the module's result. Refusals and API errors fail through ``fail_json``."""
    p = module.params
    name, namespace = p["secret_name"], p["namespace"]
    result: dict[str, Any] = {"changed": False, "secret_name": name, "namespace": namespace, "created": False,
                              "rotated": False, "namespace_created": False, "previous_fingerprint_sha256": None}
    if missing_half(p):
        module.fail_json(msg=missing_half(p), **result)
    cert, key, problems = material(p)
    protect(module, cert, key)
    verdict = tls.check(cert, key, cname=p["cname"], expiry_warning_days=p["expiry_warning_days"],
                        labels=labels(p)) if cert is not None else tls.Verdict()
    result.update(verdict_result(verdict, problems))
    result["fingerprint_sha256"] = verdict.fingerprint_sha256
    if result["problems"]:
        module.fail_json(msg="The certificate and key cannot be used for %s; nothing was written: %s"
                         % (secret_where(name, namespace), "; ".join(result["problems"])), **result)
    if kube_adapter.IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib("kubernetes (the Python client) and the kubernetes.core collection"),
                         exception=str(kube_adapter.IMPORT_ERROR), **result)
    module.no_log_values.update(sensitive_values(p))
    kube = kube or SecretKube(p, p.get("cluster_name") or p.get("context") or "the cluster")
    try:
        ns_obj = kube.get("Namespace", namespace, None)
        secret = kube.get("Secret", name, namespace) if ns_obj is not None else None
    except KubeError as exc:
        module.fail_json(msg=str(exc), **result)
    if secret:
        protect(module, *secret_pair(secret))
    decision = decide(ns_obj, secret, cert, key, name=name, namespace=namespace)
    if secret:
        held_cert = secret_pair(secret)[0]
        result["previous_fingerprint_sha256"] = tls.fingerprint(held_cert) if held_cert else None
    if decision.action == "refuse":
        module.fail_json(msg=decision.reason, **result)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": decision.before, "after": decision.after}
    for caution in result["cautions"]:
        module.warn(caution)
    if decision.action == "none":
        return result
    result.update(changed=True, created=decision.action == "create", rotated=decision.action == "rotate",
                  namespace_created=decision.create_namespace)
    try:
        if decision.create_namespace:
            kube.create("Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, None,
                        dry_run=module.check_mode)
            if module.check_mode:  # the Secret cannot be dry-run into a namespace that does not exist yet
                return result
        if decision.action == "create":
            kube.create("Secret", secret_body(name, namespace, cert, key), namespace, dry_run=module.check_mode)
        else:
            kube.merge_patch("Secret", name, rotation_patch(secret, cert, key), namespace, dry_run=module.check_mode)
    except KubeError as exc:
        module.fail_json(msg=str(exc), **result)
    return result


def run(module: Any) -> NoReturn:
    exit_with(module, apply)
