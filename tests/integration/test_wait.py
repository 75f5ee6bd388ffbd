"""wait and wait_timeout: the module stops waiting, Azure does not; a later run picks the result up.

Each test seeds a cluster with its own provisioning delay (the sandbox's per-cluster
provisioning_delay_seconds), so slow operations here never slow the tests running beside them. Between
the runs the play itself polls with aml_extension_info, as a user of `wait: false` would.
"""

from tests.support.plays import EXTENSION_INFO, play, target, task

CONFIG = {"enableTraining": True}


def until_settled(cluster, title="wait until Azure is done"):
    """aml_extension_info, retried until the extension's operation has ended."""
    return dict(task(title, EXTENSION_INFO, **target(cluster)), register="shown", retries=40, delay=0.25,
                until="shown.extensions and shown.extensions[0].provisioning_state not in "
                      "['Creating', 'Updating', 'Deleting']")


def test_wait_timeout_fails_while_azure_goes_on_and_a_later_run_finds_it_done(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=2.5)
    args = dict(target(cluster), config=CONFIG, wait_timeout=1)
    run = run_playbook(play(
        task("install", **args, ignore_errors=True),
        until_settled(cluster),
        task("install again", **args),
    ))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert "wait_timeout=1" in result["msg"]
    assert "goes on in Azure" in result["msg"] and "run the task again" in result["msg"]
    assert "last reported 'Creating'" in result["msg"]

    assert run.task("wait until Azure is done")["extensions"][0]["provisioning_state"] == "Succeeded"
    again = run.task("install again")
    assert again.get("failed") is not True, again.get("msg")
    assert again["changed"] is False
    assert again["extension"]["provisioning_state"] == "Succeeded"

    log = sandbox.requests_for(cluster["name"])
    assert [e["method"] for e in log if e["method"] != "GET"] == ["PUT"]  # the later run wrote nothing
    put = next(i for i, e in enumerate(log) if e["method"] == "PUT")
    # The module's own polls (before the first info read) never saw the end: it gave up, Azure went on.
    first_read = next(i for i, e in enumerate(log) if i > put and e["path"].endswith("/extensions/azureml"))
    polls = [e for e in log[put:first_read] if "/operations/" in e["path"]]
    assert polls and all(p["response_body"]["status"] == "Creating" for p in polls)


def test_no_wait_returns_at_once_and_a_later_run_changes_nothing(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=1)
    args = dict(target(cluster), config=CONFIG, wait=False)
    updated = dict(args)
    updated["config"] = dict(CONFIG, installNvidiaDevicePlugin=True)
    run = run_playbook(play(
        task("install", **args),
        until_settled(cluster),
        task("install again", **args),
        task("update", **updated),
    ))
    result = run.task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    assert result["extension"]["provisioning_state"] == "Creating"  # what Azure had right after the PUT

    assert run.task("wait until Azure is done")["extensions"][0]["provisioning_state"] == "Succeeded"
    again = run.task("install again")
    assert again["changed"] is False
    assert again["extension"]["provisioning_state"] == "Succeeded"
    update = run.task("update")
    assert update["changed"] is True and update["changed_settings"] == ["installNvidiaDevicePlugin"]
    assert update["extension"]["provisioning_state"] == "Updating"
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    assert [w["method"] for w in writes] == ["PUT", "PATCH"]
