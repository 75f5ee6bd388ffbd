# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn what Azure Resource Manager answered into one readable failure (pure: no SDK import needed)."""

from __future__ import annotations

from typing import Any

# Causes and fixes of the AzureML extension's health-check codes, from the extension's troubleshooting
# guide (how-to-troubleshoot-kubernetes-extension), so a failed install says what to do next.
HEALTH_CHECK_HINTS: dict[str, str] = {
    "E40001": (
        "LOAD_BALANCER_NOT_SUPPORT: the cluster cannot provision a LoadBalancer service. Set "
        "inferenceRouterServiceType to nodePort or clusterIP, or install a load balancer."
    ),
    "E40002": (
        "INSUFFICIENT_NODE: inferenceRouterHA needs at least three nodes. Set inferenceRouterHA: false "
        "or add nodes."
    ),
    "E40003": (
        "INTERNAL_LOAD_BALANCER_NOT_SUPPORT: internalLoadBalancerProvider works on AKS only. Remove it "
        "on this cluster."
    ),
    "E40007": (
        "INVALID_SSL_SETTING: the TLS certificate, key or sslCname is invalid. Check that the key "
        "matches the certificate and that sslCname is covered by it."
    ),
    "E45002": (
        "PROMETHEUS_CONFLICT: another Prometheus operator is installed. Set installPromOp: false and "
        "follow 'reusing the prometheus operator'."
    ),
    "E45003": (
        "BAD_NETWORK_CONNECTIVITY: the cluster cannot reach the Azure Machine Learning endpoints. "
        "Open the outbound rules listed in 'access Azure ML behind a firewall'."
    ),
    "E45004": (
        "AZUREML_FE_ROLE_CONFLICT: a legacy azureml-fe ClusterRole exists. Run the legacy azureml-fe "
        "cleanup before installing."
    ),
    "E45005": (
        "AZUREML_FE_DEPLOYMENT_CONFLICT: a legacy azureml-fe deployment exists. Run the legacy "
        "azureml-fe cleanup before installing."
    ),
}


def health_check_hints(*texts: str | None) -> list[str]:
    """Return the documented cause and fix of every health-check code mentioned in the texts."""
    joined = " ".join(t for t in texts if t)
    return [f"{code} {hint}" for code, hint in HEALTH_CHECK_HINTS.items() if code in joined]


def _error_detail(error: Any) -> dict[str, Any]:
    """Read an azure-core ODataV4Format error (or a plain dict) into a plain dict."""
    if error is None:
        return {}
    if isinstance(error, dict):
        return {k: error.get(k) for k in ("code", "message", "target", "details") if error.get(k)}
    detail: dict[str, Any] = {}
    for key in ("code", "message", "target"):
        value = getattr(error, key, None)
        if value:
            detail[key] = value
    nested = getattr(error, "details", None) or []
    if nested:
        detail["details"] = [_error_detail(d) for d in nested]
    return detail


def describe_exception(exc: BaseException, action: str) -> tuple[str, dict[str, Any]]:
    """Return (message, error) for an azure-core exception raised while doing `action`.

    The message names the ARM error code, its message and target, and the HTTP status; `error` carries
    the same as data for the task result.
    """
    status = getattr(exc, "status_code", None)
    detail = _error_detail(getattr(exc, "error", None))
    # Class names along the hierarchy, so subclasses (CredentialUnavailableError, ...) get their hint too,
    # without importing azure-core here.
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    # A long-running operation that ended Failed raises with the (successful) status of its last poll.
    operation_failed = status is not None and status < 400
    if kinds & {"ClientAuthenticationError", "CredentialUnavailableError"} or status == 401:
        hint = (
            "Check auth_source and the credentials it reads (subscription_id, client_id, secret, tenant, "
            "profile), and that cloud_environment names the cloud they belong to."
        )
    elif kinds & {"ServiceRequestError", "ServiceResponseError"}:
        hint = (
            "Azure could not be reached. Check cloud_environment, the network or proxy, and the CA "
            "bundle (REQUESTS_CA_BUNDLE) for a private cloud."
        )
    elif detail.get("code") == "MissingSubscriptionRegistration":
        hint = "Register the resource provider it names (az provider register --namespace <name>)."
    elif status == 403:
        hint = "The identity lacks a role on the cluster; the extension needs Contributor or Kubernetes Extension Contributor."
    else:
        hint = ""
    parts = [f"The operation to {action} failed" if operation_failed else f"Azure refused to {action}"]
    if detail.get("code"):
        parts.append(f"{detail['code']}: {detail.get('message', '')}".rstrip(": "))
    else:
        parts.append(str(getattr(exc, "message", None) or exc).splitlines()[0])
    if detail.get("target"):
        parts.append(f"(target: {detail['target']})")
    if status and not operation_failed:
        parts.append(f"[HTTP {status}]")
    message = " ".join([parts[0] + ":"] + parts[1:])
    hints = health_check_hints(detail.get("code"), detail.get("message"))
    if hint:
        hints.insert(0, hint)
    if hints:
        message += " " + " ".join(hints)
    error: dict[str, Any] = dict(detail)
    if status:
        error["status_code"] = status
    return message, error
