"""Injected faults (POST /_sandbox/faults): the next N matching requests fail or lose their connection."""
from __future__ import annotations

import re
from typing import Any, Optional

from ..protocol import ArmError, is_int


class Faults:
    """A list of armed faults, consumed in order of registration."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def clear(self) -> None:
        self.items.clear()

    def add(self, spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise ArmError(400, "InvalidFault", "The fault must be a JSON object.")
        self.validate(spec)
        try:
            pattern = re.compile(spec.get("path_pattern", ".*"), re.IGNORECASE)
        except (re.error, RecursionError, OverflowError) as exc:
            raise ArmError(400, "InvalidFault", f"path_pattern is not a valid regex: {exc}") from None
        status = spec.get("status", 500)
        fault = {
            "method": (spec.get("method") or "").upper() or None,
            "path_pattern": pattern.pattern, "_re": pattern,
            "count": int(spec.get("count", 1)), "status": status,
            "code": spec.get("code") or ("SubscriptionRequestsThrottled" if status == 429 else "InternalServerError"),
            "message": spec.get("message") or ("Number of requests exceeded the limit. Please try again after "
                                               f"'{spec.get('retry_after', 1)}' seconds." if status == 429
                                               else "Injected fault."),
            "retry_after": spec.get("retry_after"),
            "drop_connection": bool(spec.get("drop_connection", False)),
        }
        self.items.append(fault)
        return self.public(fault)

    @staticmethod
    def validate(spec: dict[str, Any]) -> None:
        def bad(msg: str) -> ArmError:
            return ArmError(400, "InvalidFault", msg)
        known = {"method", "path_pattern", "count", "status", "code", "message", "retry_after", "drop_connection"}
        unknown = set(spec) - known
        if unknown:
            raise bad(f"Unknown fault fields {sorted(unknown)}; known: {sorted(known)}.")
        for k in ("method", "path_pattern", "code", "message"):
            if spec.get(k) is not None and not isinstance(spec[k], str):
                raise bad(f"{k} must be a string.")
        if "count" in spec and (not is_int(spec["count"]) or spec["count"] < 1):
            raise bad("count must be an integer >= 1.")
        if "drop_connection" in spec and not isinstance(spec["drop_connection"], bool):
            raise bad("drop_connection must be true or false.")
        if "status" in spec and (not is_int(spec["status"]) or not 400 <= spec["status"] <= 599):
            raise bad("status must be an integer HTTP error status (400..599); use drop_connection to cut the "
                      "connection instead.")
        ra = spec.get("retry_after")
        if ra is not None and (not is_int(ra) or ra < 0):
            raise bad("retry_after must be a non-negative integer (seconds).")

    @staticmethod
    def public(f: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in f.items() if not k.startswith("_")}

    def match(self, method: str, path: str) -> Optional[dict[str, Any]]:
        """Consume and return the first fault matching this request."""
        for f in self.items:
            if f["method"] and f["method"] != method.upper():
                continue
            if not f["_re"].search(path):
                continue
            f["count"] -= 1
            if f["count"] <= 0:
                self.items.remove(f)
            return f
        return None
