"""An extension name ARM would refuse is refused by the module, naming the rule, before any request."""

import pytest

from tests.support.plays import play, target, task


@pytest.mark.parametrize("name", ["aml ext!", "-azureml", "aml_ext", "a" * 254])
def test_an_invalid_name_is_refused_before_any_request(sandbox, run_playbook, name):
    cluster = sandbox.seed_cluster()
    run = run_playbook(play(task("install", **target(cluster, name=name), config={"enableTraining": True})))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert "not a valid extension name" in result["msg"] and "253 characters" in result["msg"]
    assert sandbox.requests_for(cluster["name"]) == []  # not even a read


def test_a_name_with_dots_and_hyphens_is_accepted(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    result = run_playbook(play(task("install", **target(cluster, name="aml-ext.1"),
                                    config={"enableTraining": True}))).task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["extension"]["name"] == "aml-ext.1"
