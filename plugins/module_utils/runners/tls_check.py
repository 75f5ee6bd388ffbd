# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_tls_check``: the verdict of ``aml/tls.check`` on a PEM pair, and on the ``sslSecret`` in a cluster.

Shared with ``runners/tls_secret`` (``aml_tls_secret``): ``material()`` reads the pair from the module's options
(``certificate_file``/``private_key_file`` or ``certificate_content``/``private_key_content``) and names the option in every message;
``protect()`` registers the key and the PEM lines as ``no_log`` values, so Ansible masks them wherever they
could appear; ``secret_pair()`` reads ``cert.pem``/``key.pem`` out of a Secret's data.
``judge_secret()`` is pure: a Secret (a plain dict as the API server returns it) into its verdict, without
ever returning its data. ``apply()`` does the I/O (files, and the Secret through ``kube.Kube``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, Mapping, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import (
    Kube,
    KubeError,
    auth_argument_spec,
    sensitive_values,
)

CERT_KEY, KEY_KEY = "cert.pem", "key.pem"
# The pair's options, shared by aml_tls_check and aml_tls_secret. Not cert_file/key_file: kubernetes.core's
# client_cert/client_key have those aliases.
MUTUALLY_EXCLUSIVE = [("certificate_file", "certificate_content"), ("private_key_file", "private_key_content")]
SECRET_TYPE = "Opaque"
MIN_MASKED = 16  # shorter PEM lines (a base64 tail such as "Ag==") are not masked: they would garble the output


def argument_spec(**more: dict[str, Any]) -> dict[str, Any]:
    """The pair's options, ``more`` and kubernetes.core's auth options."""
    spec: dict[str, Any] = dict(
        certificate_file=dict(type="path"),
        certificate_content=dict(type="str", no_log=True),
        private_key_file=dict(type="path", no_log=False),
        private_key_content=dict(type="str", no_log=True),
        cname=dict(type="str"),
        expiry_warning_days=dict(type="int", default=30),
        namespace=dict(type="str", default="azureml"),
        cluster_name=dict(type="str"),
    )
    spec.update(more)
    spec.update(auth_argument_spec())
    return spec


def labels(params: Mapping[str, Any]) -> tls.Labels:
    """Messages name the option the user gave."""
    return tls.Labels(cert="certificate_content" if params.get("certificate_content") is not None else "certificate_file",
                      key="private_key_content" if params.get("private_key_content") is not None else "private_key_file", cname="cname")


def material(params: Mapping[str, Any]) -> tuple[bytes | None, bytes | None, list[str]]:
    """The certificate and key bytes from the options (None when not given), and why one cannot be read."""
    names = labels(params)
    problems: list[str] = []
    cert = _one(params, "certificate_content", "certificate_file", names.cert, problems)
    key = _one(params, "private_key_content", "private_key_file", names.key, problems)
    return cert, key, problems


def _one(params: Mapping[str, Any], content: str, path: str, label: str, problems: list[str]) -> bytes | None:
    if params.get(content) is not None:
        try:
            return params[content].encode("ascii")
        except UnicodeEncodeError:
            problems.append("%s: the content has non-ASCII characters; it must be plain PEM text" % label)
            return None
    if params.get(path):
        data, problem = tls.read_file(params[path], label)
        if problem:
            problems.append(problem)
        return data
    return None


def protect(module: Any, *pems: bytes | None) -> None:
    """Register each PEM (as text, base64 and line by line) as a no_log value: Ansible masks it everywhere."""
    for pem in pems:
        if not pem:
            continue
        text = pem.decode("ascii", "replace")
        module.no_log_values.update({text, text.strip(), base64.b64encode(pem).decode("ascii"),
                                     tls.base64_content(pem) if text.isascii() else text})
        module.no_log_values.update(line.strip() for line in text.splitlines()
                                    if len(line.strip()) >= MIN_MASKED and not line.startswith("-----"))


def secret_pair(secret: Mapping[str, Any]) -> tuple[bytes | None, bytes | None]:
    """``cert.pem`` and ``key.pem`` of a Secret's data (base64), None when absent or not base64."""
    data = secret.get("data") or {}
    return _decode(data.get(CERT_KEY)), _decode(data.get(KEY_KEY))


def _decode(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def secret_where(name: str, namespace: str) -> str:
    return "Secret %s/%s" % (namespace, name)


def judge_secret(secret: Mapping[str, Any] | None, name: str, namespace: str, *, cname: str | None,
                 expiry_warning_days: int | None) -> dict[str, Any]:
    """The verdict on an existing ``sslSecret`` (pure): its type, its keys and its certificate; never its data."""
    where = secret_where(name, namespace)
    result: dict[str, Any] = {"name": name, "namespace": namespace, "exists": secret is not None, "type": None,
                              "data_keys": [], "certificate": None, "problems": [], "cautions": []}
    if secret is None:
        result["problems"].append("%s does not exist: create it (role azureml.kubernetes.tls) or set sslSecret to "
                                  "the name of the Secret that holds cert.pem and key.pem" % where)
        return result
    kind = secret.get("type") or SECRET_TYPE
    keys = sorted((secret.get("data") or {}).keys())
    result.update(type=kind, data_keys=keys)
    if kind != SECRET_TYPE:
        result["problems"].append("%s is of type %s; the extension's sslSecret is an Opaque Secret with keys cert.pem "
                                  "(the full chain) and key.pem: recreate it as Opaque" % (where, kind))
    missing = [k for k in (CERT_KEY, KEY_KEY) if k not in keys]
    if missing:
        result["problems"].append("%s has no key %s (it has: %s); the extension reads cert.pem (the full chain) and "
                                  "key.pem: recreate it with those keys"
                                  % (where, " and ".join(missing), ", ".join(keys) or "none"))
    cert, key = secret_pair(secret)
    if cert is None and CERT_KEY in keys or key is None and KEY_KEY in keys:
        result["problems"].append("%s: cert.pem or key.pem is not base64 data" % where)
    if cert is not None:
        verdict = tls.check(cert, key, cname=cname, expiry_warning_days=expiry_warning_days,
                            labels=tls.Labels(cert="%s key cert.pem" % where, key="%s key key.pem" % where,
                                              cname="cname"))
        result["certificate"] = _facts(verdict)
        result["problems"].extend(verdict.problems)
        result["cautions"].extend(verdict.warnings)
    return result


def _facts(verdict: tls.Verdict) -> dict[str, Any]:
    facts = verdict.as_dict()
    for name in ("problems", "warnings", "ok"):
        facts.pop(name)
    return facts


def verdict_result(verdict: tls.Verdict, read_problems: list[str]) -> dict[str, Any]:
    """The module's top-level verdict fields: the certificate's facts, ``problems``, ``cautions`` (its warnings:
    a result key ``warnings`` is Ansible's own), ``ok``."""
    result = _facts(verdict)
    problems = list(read_problems) + list(verdict.problems)
    result.update(problems=problems, cautions=list(verdict.warnings), ok=not problems)
    return result


def missing_half(params: Mapping[str, Any]) -> str | None:
    """Why the options do not give a whole pair (a certificate and its key), or None."""
    cert = params.get("certificate_file") is not None or params.get("certificate_content") is not None
    key = params.get("private_key_file") is not None or params.get("private_key_content") is not None
    if cert and not key:
        return "the certificate is given without its key: give private_key_file or private_key_content too"
    if key and not cert:
        return "the key is given without its certificate: give certificate_file or certificate_content too"
    return None


def _given(params: Mapping[str, Any]) -> bool:
    return any(params.get(k) is not None for k in ("certificate_file", "certificate_content", "private_key_file", "private_key_content"))


def apply(module: Any, *, kube: Kube | None = None) -> dict[str, Any]:
    """Check the pair given and/or the Secret; the module's result (it never fails on a verdict)."""
    p = module.params
    result: dict[str, Any] = {"changed": False, "source": None, "secret": None}
    if missing_half(p):
        module.fail_json(msg=missing_half(p), **result)
    cert, key, problems = material(p) if _given(p) else (None, None, [])
    protect(module, cert, key)
    if _given(p):
        verdict = (tls.check(cert, key, cname=p["cname"], expiry_warning_days=p["expiry_warning_days"],
                             labels=labels(p)) if cert is not None else tls.Verdict())
        result.update(verdict_result(verdict, problems), source="content" if p.get("certificate_content") else "files")
    if p.get("secret_name"):
        if kube_adapter.IMPORT_ERROR is not None:
            from ansible.module_utils.basic import missing_required_lib

            module.fail_json(msg=missing_required_lib("kubernetes (the Python client) and the kubernetes.core "
                                                      "collection"), exception=str(kube_adapter.IMPORT_ERROR))
        module.no_log_values.update(sensitive_values(p))
        kube = kube or Kube(p, p.get("cluster_name") or p.get("context") or "the cluster")
        try:
            secret = kube.get("Secret", p["secret_name"], p["namespace"])
        except KubeError as exc:
            module.fail_json(msg=str(exc), **result)
        if secret:
            protect(module, *secret_pair(secret))
        judged = judge_secret(secret, p["secret_name"], p["namespace"], cname=p["cname"],
                              expiry_warning_days=p["expiry_warning_days"])
        if cert is not None and secret is not None:
            held = secret_pair(secret)
            judged["matches"] = (held[0] is not None and tls.normalise_pem(held[0]) == tls.normalise_pem(cert)
                                 and (key is None or (held[1] is not None
                                                      and tls.normalise_pem(held[1]) == tls.normalise_pem(key))))
        else:
            judged["matches"] = None
        result["secret"] = judged
        if result["source"] is None:  # the Secret is what is checked
            certificate = judged["certificate"] or _facts(tls.Verdict())
            result.update(certificate, problems=list(judged["problems"]), cautions=list(judged["cautions"]),
                          ok=not judged["problems"], source="secret")
    for caution in result.get("cautions") or []:
        module.warn(caution)
    return result


def exit_with(module: Any, act: Callable[..., dict[str, Any]]) -> NoReturn:
    """Run ``act(module)`` and exit with its result; a missing ``cryptography`` fails with the usual message."""
    try:
        outcome = act(module)
    except tls.MissingCryptographyError as exc:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib("cryptography"), exception=exc.import_error)
    module.exit_json(**outcome)


def run(module: Any) -> NoReturn:
    exit_with(module, apply)
