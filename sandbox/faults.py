"""Injected faults (POST /_sandbox/faults): the next N matching requests fail or lose their connection."""
from __future__ import annotations

import re
from typing import Any, Optional

from .arm import ArmError


class Faults:
    """A list of armed faults, consumed in order of registration."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def clear(self) -> None:
        self.items.clear()

    def add(self, spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise ArmError(400, "InvalidFault", "The fault must be a JSON object.")
        try:
            pattern = re.compile(spec.get("path_pattern", ".*"), re.IGNORECASE)
        except re.error as exc:
            raise ArmError(400, "InvalidFault", f"path_pattern is not a valid regex: {exc}") from None
        status = int(spec.get("status", 500))
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
