"""Pinning a version and going back to auto-upgrade."""

from tests.support.plays import play, target, task


def test_pin_then_unpin(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = dict(target(cluster), config={"enableTraining": True})
    pinned = run_playbook(play(task("pin", **args, version="1.1.60"), task("pin again", **args, version="1.1.60")))
    assert pinned.task("pin")["extension"]["version"] == "1.1.60", pinned.stdout
    assert pinned.task("pin")["extension"]["auto_upgrade_minor_version"] is False
    assert pinned.task("pin again")["changed"] is False

    run = run_playbook(play(task("unpin", **args, auto_upgrade_minor_version=True)))
    result = run.task("unpin")
    assert result["changed"] is True, run.stdout
    assert result["extension"]["auto_upgrade_minor_version"] is True
    patch = sandbox.requests_for(cluster["name"], writes_only=True)[-1]["request_body"]["properties"]
    assert patch["autoUpgradeMinorVersion"] is True and patch["version"] is None


def test_version_with_auto_upgrade_is_refused_before_any_request(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    result = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True},
                                    version="1.1.70", auto_upgrade_minor_version=True))).task("install")
    assert result.get("failed") is True
    assert "auto_upgrade_minor_version" in result["msg"]
    assert sandbox.requests_for(cluster["name"]) == []


def test_wait_timeout_out_of_range_is_refused_before_any_request(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    for timeout in (0, -5, 99999999999):
        result = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True},
                                        wait_timeout=timeout))).task("install")
        assert result.get("failed") is True
        assert "wait_timeout must be between" in result["msg"]
    assert sandbox.requests_for(cluster["name"]) == []
