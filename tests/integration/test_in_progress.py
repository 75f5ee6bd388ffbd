"""A run that meets an operation still running in Azure waits for it (wait: true) instead of misreporting."""

from tests.support.plays import EXTENSION_INFO, POC_CONFIG, play, target, task


def start_install(sandbox, run_playbook, cluster, config):
    run = run_playbook(play(task("start", **target(cluster), config=config, wait=False)))
    assert run.task("start")["extension"]["provisioning_state"] == "Creating", run.stdout


def test_a_rerun_during_creation_waits_and_reports_the_outcome(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=3)
    start_install(sandbox, run_playbook, cluster, POC_CONFIG)
    run = run_playbook(play(task("rerun", **target(cluster), config=POC_CONFIG)))
    result = run.task("rerun")
    assert result["changed"] is False, run.stdout
    assert result["extension"]["provisioning_state"] == "Succeeded"
    # It waited for the first run's install (polling the extension) and wrote nothing of its own.
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT"]


def test_a_change_during_creation_waits_then_patches(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=3)
    start_install(sandbox, run_playbook, cluster, POC_CONFIG)
    changed = dict(POC_CONFIG, installDcgmExporter=True)
    run = run_playbook(play(task("change", **target(cluster), config=changed)))
    result = run.task("change")
    assert result["changed"] is True, run.stdout
    assert result["extension"]["settings"]["installDcgmExporter"] == "True"
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT", "PATCH"]


def test_a_change_during_creation_without_waiting_fails_clearly(sandbox, run_playbook):
    # Nothing here waits for the install, so a long one costs nothing; a short one could end, on a busy machine,
    # before the second run reads it.
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=60)
    start_install(sandbox, run_playbook, cluster, POC_CONFIG)
    run = run_playbook(play(task("change", **target(cluster), config=dict(POC_CONFIG, installDcgmExporter=True),
                                 wait=False)))
    result = run.task("change")
    assert result.get("failed") is True, run.stdout
    assert "creating" in result["msg"] and "wait: true" in result["msg"]
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT"]


def test_present_during_deletion_waits_and_installs_again(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=2)
    args = target(cluster)
    run_playbook(play(task("install", **args, config=POC_CONFIG)))
    run_playbook(play(task("start delete", **args, state="absent", wait=False)))
    run = run_playbook(play(task("install again", **args, config=POC_CONFIG), task("show", EXTENSION_INFO, **args)))
    assert run.task("install again")["changed"] is True, run.stdout
    assert run.task("show")["extensions"][0]["provisioning_state"] == "Succeeded"
    # The install went after the deletion had finished: no PUT raced the DELETE.
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT", "DELETE", "PUT"]


def test_absent_waits_for_a_deletion_already_running(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=2)
    args = target(cluster)
    run_playbook(play(task("install", **args, config=POC_CONFIG)))
    run_playbook(play(task("start delete", **args, state="absent", wait=False)))
    run = run_playbook(play(task("remove", **args, state="absent"), task("show", EXTENSION_INFO, **args)))
    assert run.task("remove")["changed"] is False, run.stdout
    assert run.task("show")["extensions"] == []  # waited until it was gone
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT", "DELETE"]
