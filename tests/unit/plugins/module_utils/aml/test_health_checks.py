"""The extension's health-check codes: each has its documented cause and fix."""

from __future__ import annotations

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.health_checks import health_check_hints


def test_every_documented_health_check_code_has_a_cause_and_a_fix():
    for code in ("E40001", "E40002", "E40003", "E40007", "E45002", "E45004", "E45005"):
        hints = health_check_hints(f"HealthCheck failed: {code}")
        assert len(hints) == 1 and hints[0].startswith(code)
        cause, _sep, fix = hints[0].partition(":")
        assert cause and len(fix) > 40  # a named cause, then what to do
