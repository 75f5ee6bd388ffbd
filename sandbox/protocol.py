"""ARM wire protocol helpers shared by every building: error envelope, api-versions, JSON bodies, type checks.

Every error the sandbox returns goes through :class:`ArmError` so that clients always see
``{"error": {"code", "message", ...}}`` (arm-protocol.md §3).
"""
from __future__ import annotations

import datetime as _dt
import json
import uuid
from typing import Any, Optional

from aiohttp import web

# api-versions accepted per family. Unknown versions -> 400 InvalidApiVersionParameter, listing these.
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "extensions": ("2020-07-01-preview", "2021-05-01-preview", "2021-09-01", "2021-11-01-preview",
                   "2022-01-01-preview", "2022-03-01", "2022-04-02-preview", "2022-07-01", "2022-11-01",
                   "2023-05-01", "2024-11-01", "2025-03-01"),
    "containerservice": ("2021-03-01", "2022-01-01", "2022-04-01", "2022-09-01", "2022-11-01", "2023-01-01",
                         "2023-05-01", "2023-08-01", "2024-01-01", "2024-05-01", "2024-09-01", "2025-01-01",
                         "2025-05-01", "2025-07-01", "2025-10-01", "2026-01-01", "2026-05-01", "2026-08-01"),
    # AKS Trusted Access role bindings: GA from 2023-09-01 (earlier previews are not served).
    "trustedaccess": ("2023-09-01", "2023-10-01", "2024-01-01", "2024-05-01", "2024-09-01", "2025-01-01",
                      "2025-05-01", "2025-07-01", "2025-10-01", "2026-01-01", "2026-05-01", "2026-08-01"),
    "connectedclusters": ("2021-03-01", "2021-10-01", "2022-10-01-preview", "2023-11-01-preview",
                          "2024-01-01", "2024-07-01-preview", "2024-12-01-preview", "2025-08-01-preview",
                          "2026-05-01"),
    "resources": ("2016-02-01", "2016-09-01", "2019-05-10", "2019-10-01", "2020-06-01", "2021-01-01",
                  "2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01",
                  "2025-03-01", "2025-04-01"),
    "subscriptions": ("2016-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01"),
    "network": ("2021-05-01", "2022-01-01", "2022-07-01", "2023-02-01", "2023-09-01", "2024-01-01",
                "2024-05-01", "2024-07-01", "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01",
                "2025-07-01", "2026-01-01", "2026-03-01"),
    "relay": ("2017-04-01", "2018-01-01-preview", "2021-11-01", "2024-01-01", "2026-01-01"),
}


class ArmError(Exception):
    """An error rendered as the ARM envelope."""

    def __init__(self, status: int, code: str, message: str, *, target: Optional[str] = None,
                 details: Optional[list[dict[str, Any]]] = None,
                 headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.target, self.details, self.headers = target, details, headers or {}

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            err["target"] = self.target
        if self.details:
            err["details"] = self.details
        return {"error": err}

    def response(self) -> web.Response:
        return json_response(self.body(), status=self.status, headers=self.headers)


def json_response(body: Any, status: int = 200, headers: Optional[dict[str, str]] = None) -> web.Response:
    """A JSON response with the content type ARM uses."""
    text = json.dumps(body, separators=(",", ":"))
    resp = web.Response(text=text, status=status, content_type="application/json", charset="utf-8")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    resp.headers.setdefault("Cache-Control", "no-cache")
    resp.headers.setdefault("Pragma", "no-cache")
    resp.headers.setdefault("Expires", "-1")
    return resp


def query_get(request: web.Request, name: str) -> Optional[str]:
    """A query parameter matched case-insensitively (clients send both api-version and api-Version)."""
    lname = name.lower()
    for k, v in request.query.items():
        if k.lower() == lname:
            return v
    return None


def check_api_version(request: web.Request, family: str) -> str:
    """Return the request's api-version, or raise the ARM 400 errors for a missing/unknown one."""
    version = query_get(request, "api-version")
    if not version:
        raise ArmError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    supported = API_VERSIONS[family]
    if version not in supported:
        raise ArmError(400, "InvalidApiVersionParameter",
                       f"The api-version '{version}' is invalid. The supported versions are "
                       f"'{','.join(reversed(supported))}'.")
    return version


# Request bodies above this size get 413 (ARM's own limit is 4 MB).
MAX_BODY_BYTES = 4 * 1024 * 1024
# Deeper JSON is refused before it can exhaust the interpreter stack anywhere (parsing, masking, dumping).
MAX_JSON_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, computed without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


def parse_json(raw: bytes | str) -> Any:
    """json.loads that refuses NaN/Infinity and over-deep nesting (ValueError for all of them)."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("the JSON nesting is too deep") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"the JSON nesting is deeper than {MAX_JSON_DEPTH} levels")
    return value


async def read_json(request: web.Request, required: bool = True) -> Any:
    """Parse the request body; malformed JSON -> 400 InvalidRequestContent, too big -> 413."""
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise too_large()
    if not raw.strip():
        if required:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           "deserialized: 'The request body is empty.'")
        return {}
    try:
        return parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                       f"deserialized: '{str(exc)[:300]}'.") from None


def too_large() -> ArmError:
    return ArmError(413, "RequestEntityTooLarge", f"The request content length exceeds the limit of "
                    f"{MAX_BODY_BYTES} bytes.")


# ---- type checks at the door (400 with the field as target, never a 500 later) --------------------------------

def bad_type(field: str, what: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be "
                    f"deserialized: '{field}' must be {what}.", target=field)


def opt_object(body: dict[str, Any], key: str, field: str) -> Optional[dict[str, Any]]:
    v = body.get(key)
    if v is not None and not isinstance(v, dict):
        raise bad_type(field, "an object")
    return v


def opt_string(body: dict[str, Any], key: str, field: str) -> Optional[str]:
    v = body.get(key)
    if v is not None and not isinstance(v, str):
        raise bad_type(field, "a string")
    return v


def opt_bool(body: dict[str, Any], key: str, field: str) -> Optional[bool]:
    v = body.get(key)
    if v is not None and not isinstance(v, bool):
        raise bad_type(field, "a boolean (true or false)")
    return v


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def string_map(v: Any, field: str, allow_null_values: bool = False) -> Optional[dict[str, Optional[str]]]:
    """An object whose values are strings (or null when allowed); None stays None."""
    if v is None:
        return None
    if not isinstance(v, dict):
        raise bad_type(field, "an object of string values")
    for k, val in v.items():
        if val is None and allow_null_values:
            continue
        if not isinstance(val, str):
            raise bad_type(f"{field}.{k}", "a string" + (" or null" if allow_null_values else ""))
    return v


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent",
                       "The request content was invalid and could not be deserialized: 'expected a JSON object'.")
    return body


def base_url(request: web.Request) -> str:
    """The sandbox origin as the client addressed it (used for nextLink and operation URLs)."""
    return f"https://{request.host}"


def utc_now_iso() -> str:
    """Timestamps in the 7-digit fraction format ARM uses (2023-07-19T18:31:24.4169171+00:00)."""
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0+00:00"


def iso_from_epoch(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond:06d}0+00:00"


def new_id() -> str:
    return str(uuid.uuid4())


def not_found_arm(rtype: str, name: str, rg: str) -> ArmError:
    """ARM's own 404 for a missing resource (ARM front door wording, arm-protocol.md §3)."""
    return ArmError(404, "ResourceNotFound", f"The Resource '{rtype}/{name}' under resource group '{rg}' was "
                    "not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def resource_group_not_found(rg: str) -> ArmError:
    """ARM's 404 for any request under a resource group that does not exist."""
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def method_not_allowed(method: str) -> ArmError:
    return ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'.")
