"""The retry policy of every client: azure-core's, with full jitter."""

from __future__ import annotations

from azure.core.pipeline.policies import RetryPolicy

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.client import RETRY_SETTINGS, JitteredRetryPolicy


def settings_after(errors: int) -> dict:
    policy = JitteredRetryPolicy(**RETRY_SETTINGS)
    settings = policy.configure_retries({})
    settings["history"] = [object()] * errors
    return policy, settings


def test_backoff_is_jittered_under_azure_cores_exponential_value():
    for errors in (2, 3, 4, 8):
        policy, settings = settings_after(errors)
        ceiling = RetryPolicy.get_backoff_time(policy, settings)
        draws = [policy.get_backoff_time(settings) for _draw in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert len(set(draws)) > 150  # spread, not a fixed delay
        assert ceiling == min(RETRY_SETTINGS["retry_backoff_max"],
                              RETRY_SETTINGS["retry_backoff_factor"] * 2 ** (errors - 1))


def test_the_first_retry_is_immediate_and_every_budget_is_set():
    policy, settings = settings_after(1)
    assert policy.get_backoff_time(settings) == 0
    assert {"retry_status", "retry_connect", "retry_read"} <= set(RETRY_SETTINGS)
    assert settings["status"] == RETRY_SETTINGS["retry_status"]
