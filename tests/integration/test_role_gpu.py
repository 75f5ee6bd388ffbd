"""Role gpu against the sandbox's real clusters: a GPU pool (nvidia.com/gpu allocatable), an existing dcgm-exporter
and a Prometheus operator's CRDs. Check mode predicts and writes nothing; the run creates the documented
dcgm-exporter-service and dcgm-exporter-monitor exactly, taints and labels only the GPU pool; a second run changes
nothing; verify finds the GPUs allocatable. Without the ServiceMonitor CRD the reuse fails naming it, and a
cluster without GPUs fails verify naming its nodes. Skips while the sandbox runs no control planes."""

from __future__ import annotations

from typing import Any, Callable

from tests.support.kube import kube_api, kube_target, wait_until
from tests.support.plays import play

GPU_POOL = {"agentpool": "gpu"}
AML_TAINTS = [{"key": "ml.azure.com/amlarc", "value": "true", "effect": "NoSchedule"},
              {"key": "ml.azure.com/amlarc-workload", "value": "true", "effect": "NoSchedule"}]
DCGM_LABELS = {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": "azureml",
               "app.kubernetes.io/component": "dcgm-exporter"}


class Cluster:
    def __init__(self, sandbox, cluster: dict[str, Any]) -> None:
        import kubernetes

        self.k8s = kubernetes
        self.api = kube_api(sandbox, cluster)
        self.core = kubernetes.client.CoreV1Api(self.api)
        self.apps = kubernetes.client.AppsV1Api(self.api)
        self.custom = kubernetes.client.CustomObjectsApi(self.api)
        self.ext = kubernetes.client.ApiextensionsV1Api(self.api)

    def _none_on_404(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except self.k8s.client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def service(self) -> dict[str, Any] | None:
        found = self._none_on_404(lambda: self.core.read_namespaced_service("dcgm-exporter-service", "gpu-operator"))
        return self.api.sanitize_for_serialization(found) if found is not None else None

    def monitor(self) -> dict[str, Any] | None:
        return self._none_on_404(lambda: self.custom.get_namespaced_custom_object(
            "monitoring.coreos.com", "v1", "azureml", "servicemonitors", "dcgm-exporter-monitor"))

    def namespace(self, name: str) -> Any:
        return self._none_on_404(lambda: self.core.read_namespace(name))

    def nodes(self) -> dict[str, Any]:
        return {n.metadata.name: n for n in self.core.list_node().items}

    def exporter_ready(self) -> bool:
        ds = self._none_on_404(lambda: self.apps.read_namespaced_daemon_set("dcgm-exporter", "gpu-operator"))
        return ds is not None

    def crd(self) -> bool:
        return self._none_on_404(lambda: self.ext.read_custom_resource_definition(
            "servicemonitors.monitoring.coreos.com")) is not None


def seed(sandbox, situations: list[Any], nodes: list[dict[str, Any]]) -> tuple[dict, dict, Cluster]:
    cluster = sandbox.seed_cluster(node_count=sum(p.get("count", 1) for p in nodes), nodes=nodes, situations=situations)
    kube = kube_target(sandbox, cluster)
    k8s = Cluster(sandbox, cluster)
    wait_until(lambda: len(k8s.nodes()) == sum(p.get("count", 1) for p in nodes), "the seeded nodes")
    if "dcgm_exporter" in situations:
        wait_until(k8s.exporter_ready, "the seeded dcgm-exporter")
    if "prometheus_operator" in situations:
        wait_until(k8s.crd, "the ServiceMonitor CRD")
    return cluster, kube, k8s


def gpu_role(title: str, cluster: dict[str, Any], kube: dict[str, str], **variables: Any) -> dict[str, Any]:
    role_vars = {"gpu_cluster_name": cluster["name"], "gpu_kubeconfig": kube["kubeconfig"],
                 "gpu_context": kube["context"], "gpu_verify_timeout": 20, "gpu_poll_interval": 2}
    role_vars.update(variables)
    return {"name": title, "ansible.builtin.include_role": {"name": "azureml.kubernetes.gpu"}, "vars": role_vars}


def show(title: str = "result") -> dict[str, Any]:
    return {"name": title, "ansible.builtin.debug": {"var": "gpu_result"}}


def result_of(run, title: str = "result") -> dict[str, Any]:
    return run.task(title)["gpu_result"]


def changed_count(run) -> int:
    return run.output["stats"]["localhost"]["changed"]


PREPARE = {"gpu_node_selector": GPU_POOL, "gpu_install_device_plugin": True, "gpu_reuse_dcgm_exporter": True,
           "gpu_taint_nodes": True}


def test_gpu_pool_dcgm_reuse_and_taints(sandbox, run_playbook):
    cluster, kube, k8s = seed(sandbox, ["dcgm_exporter", "prometheus_operator"],
                              [{"name": "system", "count": 1}, {"name": "gpu", "count": 2, "gpu": 1}])
    gpu_nodes = sorted(n for n in k8s.nodes() if n.startswith("aks-gpu-"))
    assert len(gpu_nodes) == 2

    # Check mode: predicted, not made.
    run = run_playbook(play(gpu_role("gpu", cluster, kube, **PREPARE), show()), check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert result["passed"] is True and result["dcgm"]["changed"] is True and result["taint"]["changed"] is True
    assert [c["name"] for c in result["taint"]["changes"]] == gpu_nodes
    assert k8s.service() is None and k8s.monitor() is None and k8s.namespace("azureml") is None
    assert all(not (n.spec.taints or []) for n in k8s.nodes().values())

    # The run: GPU nodes found, prerequisites reported, the two documented objects, the pool tainted and labelled.
    run = run_playbook(play(gpu_role("gpu", cluster, kube, **PREPARE), show()))
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert [n["name"] for n in result["nodes"]] == gpu_nodes and result["total_gpus"] == 2
    assert {n["gpu_allocatable"] for n in result["nodes"]} == {1} and result["pool"] == gpu_nodes
    checks = result["device_plugin"]["checks"]
    assert [c["node"] for c in checks] == gpu_nodes
    assert all(c["verdict"] == "pass" and c["container_runtime"] == "containerd://1.7.27-1" for c in checks)
    assert "nvidia-container-toolkit >= 1.7.0" in result["device_plugin"]["not_visible"][0]
    assert result["dcgm"]["exporter"] == {"namespace": "gpu-operator", "name": "dcgm-exporter", "instance": "gpu-operator"}
    assert result["dcgm"]["objects"] == [
        {"kind": "Service", "namespace": "gpu-operator", "name": "dcgm-exporter-service"},
        {"kind": "ServiceMonitor", "namespace": "azureml", "name": "dcgm-exporter-monitor"}]
    assert result["extension_settings"] == {"installNvidiaDevicePlugin": "True", "installDcgmExporter": "False"}
    assert any("does not tolerate ml.azure.com/amlarc=true:NoSchedule" in w for w in result["warnings"])

    service = k8s.service()
    assert service["metadata"]["labels"] == DCGM_LABELS
    assert service["metadata"]["annotations"] == {"prometheus.io/scrape": "true"}
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "dcgm-exporter",
                                           "app.kubernetes.io/instance": "gpu-operator"}
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9400, "protocol": "TCP", "targetPort": 9400}]
    monitor = k8s.monitor()
    assert monitor["metadata"]["labels"] == {"release": "azureml"}
    assert monitor["spec"] == {"selector": {"matchLabels": DCGM_LABELS},
                               "namespaceSelector": {"matchNames": ["gpu-operator"]},
                               "endpoints": [{"port": "metrics", "path": "/metrics"}]}
    nodes = k8s.nodes()
    for name, node in nodes.items():
        taints = [{"key": t.key, "value": t.value, "effect": t.effect} for t in node.spec.taints or []]
        if name in gpu_nodes:
            assert taints == AML_TAINTS
            assert node.metadata.labels["ml.azure.com/amlarc"] == "true"
            assert node.metadata.labels["ml.azure.com/amlarc-workload"] == "true"
        else:
            assert taints == [] and "ml.azure.com/amlarc" not in node.metadata.labels

    # Idempotent: nothing changes the second time, nor in check mode.
    for check in (False, True):
        run = run_playbook(play(gpu_role("gpu", cluster, kube, **PREPARE), show()), check=check)
        assert run.returncode == 0 and changed_count(run) == 0, run.stdout[-3000:]
        assert result_of(run)["taint"]["changes"] == [] and result_of(run)["dcgm"]["changed"] is False

    # After the install: the pool's GPUs are allocatable.
    run = run_playbook(play(gpu_role("verify", cluster, kube, gpu_operation="verify", gpu_node_selector=GPU_POOL), show()))
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert result["allocatable"] == {"expected": True, "ok": True, "nodes_without": [], "total": 2}
    assert changed_count(run) == 0


def test_reuse_without_servicemonitor_crd_and_verify_without_gpus_fail_clearly(sandbox, run_playbook):
    cluster, kube, k8s = seed(sandbox, ["dcgm_exporter"], [{"name": "system", "count": 1}])
    run = run_playbook(play(gpu_role("gpu", cluster, kube, gpu_reuse_dcgm_exporter=True)))
    assert run.returncode != 0
    assert "needs the Prometheus operator's CRD servicemonitors.monitoring.coreos.com" in run.stdout
    assert k8s.service() is None and k8s.namespace("azureml") is None

    run = run_playbook(play(gpu_role("verify", cluster, kube, gpu_operation="verify", gpu_fail=False,
                                     gpu_verify_timeout=4), show()))
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert result["passed"] is False and result["nodes"] == [] and result["allocatable"]["ok"] is False
    assert "No allocatable nvidia.com/gpu on any node" in result["problems"][0]
