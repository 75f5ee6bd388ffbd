"""A stand-in for AnsibleModule in runner unit tests: params, check and diff mode, warnings, fail_json."""

from __future__ import annotations

from typing import Any, Optional


class TaskFailed(Exception):
    """What fail_json raises; args[0] is the dict the task would have failed with."""


class FakeModule:
    def __init__(self, defaults: Optional[dict[str, Any]] = None, *, check_mode: bool = False, diff: bool = False,
                 **params: Any) -> None:
        self.params = {**(defaults or {}), **params}
        self.check_mode, self._diff = check_mode, diff
        self.no_log_values: set[str] = set()
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def fail_json(self, **kwargs: Any) -> None:
        raise TaskFailed(kwargs)
