"""Transient Azure faults are retried (honouring Retry-After); permanent ones fail with the ARM code and message.

Faults are injected with POST /_sandbox/faults on paths that contain this test's own cluster name, so
parallel tests never consume them. Clusters are seeded with a short per-cluster provisioning delay.
"""

import uuid

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.client import RETRY_SETTINGS
from tests.support.plays import play, target, task

CONFIG = {"enableTraining": True}
FAST = 0.5  # this test's clusters provision in 0.5 s (the global delay is left alone)
EXTENSION_PATH = "/providers/Microsoft.KubernetesConfiguration/extensions/azureml$"
# JitteredRetryPolicy(retry_total=6) keeps azure-core's retry_status=3, which caps retries of HTTP error
# responses at three: one attempt and three retries.
ATTEMPTS = RETRY_SETTINGS["retry_status"] + 1
BACKOFF = RETRY_SETTINGS["retry_backoff_factor"]


def inject(sandbox, **fault):
    sandbox.control("POST", "faults", fault)


def extension_state(sandbox, cluster):
    found = [e for e in sandbox.control("GET", "extensions")["value"] if f"/{cluster['name']}/" in e["id"]]
    return found[0]["provisioningState"] if found else None


def test_throttled_put_waits_for_retry_after_then_installs(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=FAST)
    inject(sandbox, method="PUT", path_pattern=cluster["name"] + EXTENSION_PATH, status=429,
           code="SubscriptionRequestsThrottled", retry_after=1)
    run = run_playbook(play(task("install", **target(cluster), config=CONFIG)))
    result = run.task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["extension"]["provisioning_state"] == "Succeeded"
    puts = [e for e in sandbox.requests_for(cluster["name"]) if e["method"] == "PUT"]
    assert [(p["status"], p.get("fault", False)) for p in puts] == [(429, True), (201, False)]
    assert puts[0]["response_body"]["error"]["code"] == "SubscriptionRequestsThrottled"
    assert puts[1]["time"] - puts[0]["time"] >= 0.95, "Retry-After: 1 was not honoured"


def test_unavailable_cluster_read_and_dropped_status_poll_are_retried(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=FAST)
    inject(sandbox, method="GET", path_pattern=f"/managedClusters/{cluster['name']}$", status=503,
           code="ServiceUnavailable", message="The service is temporarily unavailable.")
    inject(sandbox, method="GET", path_pattern=f"/{cluster['name']}/.*/operations/", drop_connection=True)
    run = run_playbook(play(task("install", **target(cluster), config=CONFIG)))
    result = run.task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["extension"]["provisioning_state"] == "Succeeded"
    log = sandbox.requests_for(cluster["name"])
    cluster_reads = [e["status"] for e in log if e["method"] == "GET" and e["path"].endswith(cluster["name"])]
    assert cluster_reads == [503, 200]
    polls = [e for e in log if "/operations/" in e["path"]]
    assert polls[0].get("dropped") is True and polls[0]["status"] is None
    assert polls[1]["status"] == 200
    assert polls[-1]["response_body"]["status"] == "Succeeded"
    assert [f for f in sandbox.control("GET", "faults")["value"] if cluster["name"] in f["path_pattern"]] == []


def test_conflict_on_put_fails_at_once_with_the_arm_code_and_message(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=FAST)
    message = f"Operation is not allowed: another operation is in progress ({uuid.uuid4().hex[:8]})."
    inject(sandbox, method="PUT", path_pattern=cluster["name"] + EXTENSION_PATH, status=409, code="Conflict",
           message=message)
    result = run_playbook(play(task("install", **target(cluster), config=CONFIG))).task("install")
    assert result.get("failed") is True
    assert "Conflict" in result["msg"] and message in result["msg"] and "HTTP 409" in result["msg"]
    assert result["error"]["code"] == "Conflict" and result["error"]["message"] == message
    assert result["error"]["status_code"] == 409
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    assert [(w["method"], w["status"]) for w in writes] == [("PUT", 409)]  # not retried
    assert extension_state(sandbox, cluster) is None


def test_server_errors_beyond_the_retry_budget_fail_clearly(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=FAST)
    # No Retry-After: the policy's own backoff decides (0, then full jitter under 2, 4, 8 x the factor).
    inject(sandbox, method="PUT", path_pattern=cluster["name"] + EXTENSION_PATH, status=500, count=ATTEMPTS + 1)
    result = run_playbook(play(task("install", **target(cluster), config=CONFIG))).task("install")
    assert result.get("failed") is True
    assert "InternalServerError" in result["msg"] and "HTTP 500" in result["msg"]
    assert f"create extension azureml on managedClusters/{cluster['name']}" in result["msg"]
    assert result["error"]["code"] == "InternalServerError"
    puts = [e for e in sandbox.requests_for(cluster["name"]) if e["method"] == "PUT"]
    assert [p["status"] for p in puts] == [500] * ATTEMPTS
    gaps = [b["time"] - a["time"] for a, b in zip(puts, puts[1:])]
    assert all(gap <= BACKOFF * 2 ** i + 0.5 for i, gap in enumerate(gaps)), gaps  # jittered, never above the cap
    left = [f["count"] for f in sandbox.control("GET", "faults")["value"] if cluster["name"] in f["path_pattern"]]
    assert left == [1]  # it stopped at the budget
    assert extension_state(sandbox, cluster) is None


def test_unregistered_provider_fails_when_told_not_to_register_and_is_registered_by_default(sandbox, run_playbook):
    subscription = sandbox.seed_subscription("Microsoft.KubernetesConfiguration")
    cluster = sandbox.seed_cluster(subscription_id=subscription, provisioning_delay_seconds=FAST)
    args = dict(target(cluster), config=CONFIG, subscription_id=subscription)
    run = run_playbook(play(
        task("install without registering", **args, register_provider=False, ignore_errors=True),
        task("install", **args),
    ))
    refused = run.task("install without registering")
    assert refused.get("failed") is True
    assert "Microsoft.KubernetesConfiguration" in refused["msg"]
    assert "az provider register --namespace Microsoft.KubernetesConfiguration" in refused["msg"]
    assert "register_provider: true" in refused["msg"]

    installed = run.task("install")
    assert installed.get("failed") is not True, installed.get("msg")
    assert installed["changed"] is True and installed["extension"]["provisioning_state"] == "Succeeded"
    assert "register resource provider Microsoft.KubernetesConfiguration" in installed["actions"]
    writes = sandbox.requests_for(subscription, writes_only=True)
    assert [(w["method"], w["path"].rsplit("/", 2)[-2:]) for w in writes] == [
        ("POST", ["Microsoft.KubernetesConfiguration", "register"]), ("PUT", ["extensions", "azureml"])]
    assert writes[1]["status"] == 201
