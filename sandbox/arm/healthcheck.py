"""Which extension installs fail by the control API's rules (POST /_sandbox/settings ``failure_rules``).

The AML extension's own health check is not decided here from the ARM seed: it reads the cluster's real
API server (``sandbox/agent/healthcheck.py``, the next hook), as the extension's does before an operation ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..hooks import ExtensionOperationEvent, OperationFailure

AML_TYPE = "microsoft.azureml.kubernetes"


@dataclass
class InstallContext:
    extension_type: str
    cluster_type: str  # managedClusters | connectedClusters
    cluster_name: str
    node_count: int
    settings: dict[str, Any]
    protected: dict[str, Any]

    def value(self, key: str) -> Any:
        """The AML CLI's lookup order: settings, then protected settings (exact, case-sensitive keys)."""
        if key in self.settings:
            return self.settings[key]
        return self.protected.get(key)

    def is_true(self, key: str) -> bool:
        return str(self.value(key)).lower() == "true"


def _rule_matches(rule: dict[str, Any], ctx: InstallContext) -> bool:
    et = rule.get("extension_type")
    if et and str(et).lower() != ctx.extension_type.lower():
        return False
    cn = rule.get("cluster_name")
    if cn and str(cn).lower() != ctx.cluster_name.lower():
        return False
    for k, v in (rule.get("setting_equals") or {}).items():
        actual = ctx.value(k)
        if actual is None or str(actual).lower() != str(v).lower():
            return False
    return True


def evaluate(ctx: InstallContext, rules: list[dict[str, Any]]) -> Optional[tuple[str, str]]:
    """Return (code, message) when the install/update must fail, else None."""
    for rule in rules or []:
        if _rule_matches(rule, ctx):
            return str(rule.get("code") or "InstallationFailed"), str(rule.get("message") or "Injected failure.")
    return None


class HealthCheck:
    """The built-in hook at the end of an extension operation (sandbox/hooks.py): the failure rules.

    Deletions never fail here. ``failure_rules`` returns the rules in force (the settings' ``failure_rules``)."""

    def __init__(self, failure_rules: Callable[[], list[dict[str, Any]]]) -> None:
        self.failure_rules = failure_rules

    async def __call__(self, event: ExtensionOperationEvent) -> Optional[OperationFailure]:
        if event.action == "delete":
            return None
        ctx = InstallContext(event.extension_type, event.cluster.cluster_type, event.cluster.name,
                             event.cluster.node_count, dict(event.settings), dict(event.protected))
        failed = evaluate(ctx, self.failure_rules())
        return OperationFailure(*failed) if failed else None
