# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's typed errors, and what Azure Resource Manager answered as one readable message (pure).

Services raise these; only a runner turns one into ``fail_json``, once. ``describe_exception`` needs no SDK
import: it reads azure-core exceptions by their attributes and class names.
"""

from __future__ import annotations

from typing import Any


class CollectionError(Exception):
    """A failure to report to the user: ``message`` says what happened and what to do; ``details`` go in the result."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class AuthError(CollectionError):
    """A credential or cloud problem the user fixes through the auth options."""


class AzureCallError(CollectionError):
    """Azure refused a request, could not be reached, or an operation ended Failed."""

    def __init__(self, exc: BaseException, action: str) -> None:
        message, error = describe_exception(exc, action)
        super().__init__(message, error=error)
        self.exception = exc
        self.action = action


class WaitTimeout(CollectionError):
    """wait_timeout passed; the operation goes on in Azure."""


class NotFound(CollectionError):
    """A resource the task needs does not exist."""


class Refused(CollectionError):
    """The task's options cannot be applied (checked before any write)."""


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
            "bundle (REQUESTS_CA_BUNDLE) for a private cloud (or cert_validation_mode: ignore for a test cloud)."
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
    if hint:
        message += " " + hint
    error: dict[str, Any] = dict(detail)
    if status:
        error["status_code"] = status
    return message, error
