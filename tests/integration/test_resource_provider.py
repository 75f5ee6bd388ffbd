"""aml_resource_provider against the sandbox: a provider NotRegistered is registered and waited for until Registered
(one POST), a second run changes nothing and sends no write; check mode reports would-register and sends nothing;
diff shows the states; bad input is one clear message."""

from __future__ import annotations

from tests.support.plays import play, task

PROVIDER = "azureml.kubernetes.aml_resource_provider"
NS = "Microsoft.KubernetesConfiguration"


def register(title: str, subscription: str, namespace: str = NS, **args) -> dict:
    return task(title, PROVIDER, ignore_errors=True, namespace=namespace, subscription_id=subscription,
                wait_timeout=120, **args)


def test_unregistered_then_registered_and_idempotent(sandbox, run_playbook):
    sandbox.settings(registration_delay_seconds=2)
    subscription = sandbox.seed_subscription(NS)
    check = run_playbook(play(register("check", subscription)), check=True, diff=True).task("check")
    assert check["changed"] is True and check["state_before"] == "NotRegistered"
    assert check["registration_state"] == "NotRegistered" and "would be registered" in check["msg"]
    assert check["diff"]["after"]["registrationState"] == "Registered"
    assert sandbox.requests_for(subscription, writes_only=True) == []

    run = run_playbook(play(register("first", subscription), register("second", subscription)))
    first, second = run.task("first"), run.task("second")
    assert first["changed"] is True and first["registration_state"] == "Registered", first
    assert second["changed"] is False and second["state_before"] == "Registered"
    writes = sandbox.requests_for(subscription, writes_only=True)
    assert [(w["method"], w["path"].split("?")[0].rsplit("/", 2)[-2:]) for w in writes] == [
        ("POST", [NS, "register"])]
    polls = [r for r in sandbox.requests_for(f"/providers/{NS}") if r["method"] == "GET"]
    assert len(polls) >= 3  # read before, polls until Registered, the second run's read


def test_no_wait_returns_registering(sandbox, run_playbook):
    sandbox.settings(registration_delay_seconds=30)
    subscription = sandbox.seed_subscription(NS)
    result = run_playbook(play(register("nowait", subscription, wait=False))).task("nowait")
    assert result["changed"] is True and result["registration_state"] == "Registering"
    # a registration already under way is only waited for: no second POST
    sandbox.settings(registration_delay_seconds=1)
    again = run_playbook(play(register("again", subscription, wait=False))).task("again")
    assert again["changed"] is False and again["state_before"] == "Registering"
    assert len(sandbox.requests_for(subscription, writes_only=True)) == 1


def test_bad_namespace(sandbox, run_playbook):
    result = run_playbook(play(register("bad", sandbox.subscription_id, namespace="Microsoft.X/y"))).task("bad")
    assert result["failed"] is True and "resource provider namespace" in result["msg"]
