"""Properties Azure cannot change in place fail with an explanation of delete and recreate."""

from tests.support.plays import play, target, task


def put_foreign_extension(sandbox, cluster, name, body):
    """Create an extension as another tool would, straight through ARM (the sandbox client's token and call)."""
    response = sandbox.arm("PUT", f"/subscriptions/{cluster['subscription_id']}/resourceGroups/{cluster['resource_group']}"
                           f"/providers/Microsoft.ContainerService/managedClusters/{cluster['name']}"
                           f"/providers/Microsoft.KubernetesConfiguration/extensions/{name}", body,
                           api_version="2023-05-01")
    assert response.status_code < 300, response.text


def test_another_extension_type_under_the_name_is_not_replaced(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    put_foreign_extension(sandbox, cluster, "azureml", {"properties": {
        "extensionType": "Microsoft.Dapr", "autoUpgradeMinorVersion": True, "releaseTrain": "stable",
        "scope": {"cluster": {"releaseNamespace": "dapr-system"}}, "configurationSettings": {}}})
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    result = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True}))).task("install")
    assert result.get("failed") is True
    assert "Microsoft.Dapr" in result["msg"] and "state: absent" in result["msg"]
    assert "dapr-system" in result["msg"]
    assert sandbox.requests_for(cluster["name"], writes_only=True) == writes


def test_an_extension_installed_by_the_cli_is_adopted(sandbox, run_playbook):
    """The CLI's own spellings (user's 'True', 'LoadBalancer') compare equal: adopting sends no write."""
    cluster = sandbox.seed_cluster()
    run_playbook(play(task("install", **target(cluster), config={"enableTraining": True})))
    sent = sandbox.requests_for(cluster["name"], writes_only=True)[0]["request_body"]["properties"]
    sandbox.control("DELETE", f"clusters/managedClusters/{cluster['name']}", subscription_id=cluster["subscription_id"],
                    resource_group=cluster["resource_group"])
    sandbox.seed_cluster(name=cluster["name"])
    cli_settings = dict(sent["configurationSettings"], enableTraining="true")
    put_foreign_extension(sandbox, cluster, "azureml", {"properties": dict(sent, configurationSettings=cli_settings)})
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    run = run_playbook(play(task("adopt", **target(cluster), config={"enableTraining": "TRUE"})))
    assert run.task("adopt")["changed"] is False, run.stdout
    assert sandbox.requests_for(cluster["name"], writes_only=True) == writes
