"""The hooks of sandbox/hooks.py, in process: a cluster service follows seeding, replacing, removing and reset;
an extension-operation hook sees every create/update/delete as it ends and can fail it."""
from __future__ import annotations

import asyncio
from typing import Any, Optional

from aiohttp.test_utils import TestClient, TestServer

from sandbox.hooks import ClusterInfo, ExtensionOperationEvent, OperationFailure
from sandbox.server import build, create_app

SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
RG = "rg-aml-sandbox"
EXT = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/aks-aml-demo"
       "/providers/Microsoft.KubernetesConfiguration/extensions/e?api-version=2023-05-01")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.closed = False

    async def start_cluster(self, cluster: ClusterInfo) -> None:
        self.calls.append(("start", cluster.name))

    async def stop_cluster(self, cluster: ClusterInfo) -> None:
        self.calls.append(("stop", cluster.name))

    async def close(self) -> None:
        self.closed = True


def _run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


async def _with_client(sb: Any, work: Any) -> Any:
    client = TestClient(TestServer(create_app(sb)))
    await client.start_server()
    try:
        return await work(client)
    finally:
        await client.close()


def test_cluster_services_follow_the_clusters():
    sb = build(None)
    rec = Recorder()
    sb.hooks.add_cluster_service(rec)

    async def work(client: TestClient) -> None:
        await sb.services.sync()  # what serve() does at start
        assert sorted(rec.calls) == [("start", "aks-aml-demo"), ("start", "arc-aml-demo")]
        rec.calls.clear()
        r = await client.post("/_sandbox/clusters", json={"name": "gpu", "nodes": [{"count": 1}]})
        assert r.status == 201 and rec.calls == [("start", "gpu")]
        rec.calls.clear()
        await client.post("/_sandbox/clusters", json={"name": "gpu", "nodes": [{"count": 2}]})  # a new seed
        assert rec.calls == [("stop", "gpu"), ("start", "gpu")]
        rec.calls.clear()
        await client.delete("/_sandbox/clusters/managedClusters/gpu")
        assert rec.calls == [("stop", "gpu")]
        rec.calls.clear()
        await client.post("/_sandbox/clusters", json={"name": "gone-on-reset"})
        await client.post("/_sandbox/reset")
        assert rec.calls[-1] == ("stop", "gone-on-reset")
        calls = len(rec.calls)
        await sb.services.stop_all()  # shutdown closes the services; it removes no cluster (a restart keeps them)
        assert len(rec.calls) == calls and rec.closed

    _run(_with_client(sb, work))


def test_extension_operation_hook_sees_the_end_and_can_fail_it():
    sb = build(None)
    sb.world.settings.update(provisioning_delay_seconds=0)
    events: list[ExtensionOperationEvent] = []

    async def hook(event: ExtensionOperationEvent) -> Optional[OperationFailure]:
        events.append(event)
        if event.settings.get("fail") == "yes" and event.action != "delete":
            return OperationFailure("E49999", "the agent says no")
        return None

    sb.hooks.add_extension_operation_hook(hook)
    token, _ = sb.arm.auth.mint_token("https://management.azure.com/", "tester", "app")
    hdr = {"Authorization": f"Bearer {token}"}

    async def work(client: TestClient) -> None:
        body = {"properties": {"extensionType": "microsoft.flux", "configurationSettings": {"a": "1"},
                               "configurationProtectedSettings": {"p": "secret"}}}
        assert (await client.put(EXT, json=body, headers=hdr)).status == 201
        got = await (await client.get(EXT, headers=hdr)).json()
        assert got["properties"]["provisioningState"] == "Succeeded"
        e = events[-1]
        assert (e.action, e.extension_name, e.extension_type, e.release_namespace) == ("create", "e", "microsoft.flux", "e")
        assert e.settings == {"a": "1"} and e.protected == {"p": "secret"}
        assert e.cluster.name == "aks-aml-demo" and e.cluster.cluster_type == "managedClusters"
        assert e.cluster.node_count == 3 and e.version

        body["properties"]["configurationSettings"] = {"fail": "yes"}
        assert (await client.put(EXT, json=body, headers=hdr)).status == 200
        got = await (await client.get(EXT, headers=hdr)).json()
        assert events[-1].action == "update"
        assert got["properties"]["provisioningState"] == "Failed"
        assert got["properties"]["statuses"][0]["code"] == "E49999"
        assert got["properties"]["currentVersion"] == e.version  # a failed update keeps its version

        assert (await client.delete(EXT, headers=hdr)).status == 202
        assert (await client.get(EXT, headers=hdr)).status == 404
        assert events[-1].action == "delete"

    _run(_with_client(sb, work))


def test_failure_rules_are_the_first_hook():
    """A failure rule from the settings fails the install, and a later hook (the agent's) is not asked."""
    sb = build(None)
    sb.world.settings.update(provisioning_delay_seconds=0,
                             failure_rules=[{"cluster_name": "tiny", "code": "E40002", "message": "INSUFFICIENT_NODE"}])
    later: list[str] = []

    async def hook(event: ExtensionOperationEvent) -> Optional[OperationFailure]:
        later.append(event.action)
        return None

    sb.hooks.add_extension_operation_hook(hook)
    token, _ = sb.arm.auth.mint_token("https://management.azure.com/", "tester", "app")
    hdr = {"Authorization": f"Bearer {token}"}
    url = EXT.replace("aks-aml-demo", "tiny").replace("/extensions/e?", "/extensions/aml?")

    async def work(client: TestClient) -> None:
        await client.post("/_sandbox/clusters", json={"name": "tiny", "node_count": 1, "resource_group": RG})
        body = {"properties": {"extensionType": "Microsoft.AzureML.Kubernetes",
                               "configurationSettings": {"enableInference": "true"}}}
        assert (await client.put(url, json=body, headers=hdr)).status == 201
        got = await (await client.get(url, headers=hdr)).json()
        assert got["properties"]["provisioningState"] == "Failed"
        assert got["properties"]["statuses"][0]["code"] == "E40002" and later == []

    _run(_with_client(sb, work))


def test_a_hook_that_raises_fails_its_operation_and_no_other():
    """A cluster that will not start (the agent's hook raises) ends that operation Failed, not stuck Creating;
    an operation on another cluster that ends at the same time still succeeds."""
    sb = build(None)
    sb.world.settings.update(provisioning_delay_seconds=0)

    async def hook(event: ExtensionOperationEvent) -> Optional[OperationFailure]:
        if event.cluster.name == "broken":
            raise TimeoutError("nodes not Ready")
        return None

    sb.hooks.add_extension_operation_hook(hook)
    token, _ = sb.arm.auth.mint_token("https://management.azure.com/", "tester", "app")
    hdr = {"Authorization": f"Bearer {token}"}
    body = {"properties": {"extensionType": "Microsoft.AzureML.Kubernetes",
                           "configurationSettings": {"enableTraining": "true"}}}
    broken = EXT.replace("aks-aml-demo", "broken")

    async def work(client: TestClient) -> None:
        await client.post("/_sandbox/clusters", json={"name": "broken", "node_count": 3, "resource_group": RG})
        assert (await client.put(broken, json=body, headers=hdr)).status == 201
        assert (await client.put(EXT, json=body, headers=hdr)).status == 201
        bad = await (await client.get(broken, headers=hdr)).json()
        good = await (await client.get(EXT, headers=hdr)).json()
        assert bad["properties"]["provisioningState"] == "Failed"
        assert "nodes not Ready" in bad["properties"]["statuses"][0]["message"]
        assert good["properties"]["provisioningState"] == "Succeeded"

    _run(_with_client(sb, work))
