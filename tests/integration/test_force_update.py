"""force_update: after the tls role rotates the pair in the Secret sslSecret names (the extension's settings stay
equal), aml_extension with force_update set from tls_result.rotated sends exactly one PATCH; without it nothing
is sent. Check mode predicts the PATCH and sends nothing; the diff shows the equal settings with a note."""

from __future__ import annotations

from typing import Any

from test_role_tls import CNAME, SECRET, good_pair, tls_role

from tests.support.kube import kube_target
from tests.support.plays import play, target, task

INFERENCE = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer"}


def extension(cluster: dict[str, Any], title: str, **args: Any) -> dict[str, Any]:
    """aml_extension with the Secret the tls role registered, as its README hands it over."""
    return task(title, **target(cluster), config="{{ %r | combine(tls_result.extension_settings) }}" % INFERENCE,
                **args)


def test_a_rotated_secret_is_told_to_the_extension_once(sandbox, run_playbook, tmp_path):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    first = good_pair(tmp_path / "first")
    run = run_playbook(play(tls_role("tls", cluster, kube, first), extension(cluster, "install")))
    installed = run.task("install")
    assert installed["changed"] is True, run.stdout
    assert installed["extension"]["provisioning_state"] == "Succeeded"
    assert installed["extension"]["settings"]["scoringFe.sslSecret"] == SECRET
    assert installed["extension"]["settings"]["sslCname"] == CNAME
    since = sandbox.last_seq()

    # The rotation: a new pair in the same Secret. The extension's settings do not change.
    second = good_pair(tmp_path / "second")
    rotate = [tls_role("tls", cluster, kube, second),
              {"name": "rotated", "ansible.builtin.assert": {"that": ["tls_result.rotated"]}}]
    forced = extension(cluster, "tell the extension", force_update="{{ tls_result.rotated }}")
    predicted = run_playbook(play(*rotate, forced), check=True, diff=True)
    result = predicted.task("tell the extension")
    assert result["changed"] is True, predicted.stdout
    assert any("force_update" in action for action in result["actions"]), result["actions"]
    assert result["changed_settings"] == []
    diff = result["diff"]
    assert diff["after"]["note"].startswith("force_update: the settings are equal")
    assert diff["after"]["settings"]["scoringFe.sslSecret"] == diff["before"]["settings"]["scoringFe.sslSecret"]
    assert sandbox.writes(cluster["name"], since=since) == []  # check mode: nothing sent

    run = run_playbook(play(*rotate, forced, extension(cluster, "again", force_update=False)))
    result = run.task("tell the extension")
    assert result["changed"] is True, run.stdout
    assert result["extension"]["provisioning_state"] == "Succeeded"
    writes = sandbox.writes(cluster["name"], since=since)
    assert [w["method"] for w in writes] == ["PATCH"], writes
    sent = writes[0]["request_body"]["properties"]
    # Every setting again, the Secret's name among them, so the agent re-reads it.
    assert sent["configurationSettings"]["scoringFe.sslSecret"] == SECRET
    assert sent["configurationSettings"]["sslCname"] == CNAME
    assert "configurationProtectedSettings" not in sent  # none given: Azure keeps what it has
    again = run.task("again")
    assert again["changed"] is False and again["actions"] == []
    assert len(sandbox.writes(cluster["name"], since=since)) == 1  # force_update false: nothing more

    # The same pair again: the tls role reports no rotation, so force_update is false and nothing is sent.
    since = sandbox.last_seq()
    run = run_playbook(play(tls_role("tls", cluster, kube, second), forced))
    assert run.task("tell the extension")["changed"] is False, run.stdout
    assert sandbox.writes(cluster["name"], since=since) == []
