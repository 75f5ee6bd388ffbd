"""aml_extension_info: one by name, all on a cluster, a filter by type, and [] for a missing one."""

from tests.support.plays import EXTENSION_INFO, POC_CONFIG, play, target, task


def test_show_list_filter_and_missing(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = target(cluster)
    cluster_args = {k: v for k, v in args.items() if k != "name"}
    run = run_playbook(play(
        task("install", **args, config=POC_CONFIG),
        task("show", EXTENSION_INFO, **args),
        task("list", EXTENSION_INFO, **cluster_args),
        task("filter", EXTENSION_INFO, **cluster_args, extension_type="microsoft.azureml.kubernetes"),
        task("filter other", EXTENSION_INFO, **cluster_args, extension_type="Microsoft.Dapr"),
        task("missing", EXTENSION_INFO, **{**args, "name": "nope"}),
    ))
    shown = run.task("show")["extensions"]
    assert len(shown) == 1 and shown[0]["name"] == "azureml"
    assert shown[0]["provisioning_state"] == "Succeeded"
    assert shown[0]["current_version"]
    assert [e["name"] for e in run.task("list")["extensions"]] == ["azureml"]
    assert len(run.task("filter")["extensions"]) == 1
    assert run.task("filter other")["extensions"] == []
    assert run.task("missing")["extensions"] == []
    assert run.task("show")["changed"] is False
