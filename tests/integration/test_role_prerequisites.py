"""Role prerequisites against the sandbox's real clusters: an existing Prometheus operator reused (prom-kubelet created
exactly, installPromOp=False), an OpenShift Arc cluster with its privileged SCC granted (every entry kept,
idempotent), a 2-node cluster with inferenceRouterHA (set_false and fail), leftover Volcano CRDs given Helm ownership
on request, a provider unregistered then registered. Each role run twice reports no change the second time and
nothing in check mode; a cluster that passes then installs through aml_extension with the settings adjustments."""

from __future__ import annotations

import json
from typing import Any

from tests.support.kube import kube_api, kube_target, wait_until

from tests.support.plays import POC_CONFIG, task, target

ROLE = "azureml.kubernetes.prerequisites"


def role(title: str, cluster: dict[str, Any], kube: dict[str, str], **variables: Any) -> dict[str, Any]:
    role_vars = {"prerequisites_cluster_type": cluster["cluster_type"], "prerequisites_cluster_name": cluster["name"],
                 "prerequisites_resource_group": cluster["resource_group"], "prerequisites_kubeconfig": kube["kubeconfig"],
                 "prerequisites_context": kube["context"], "prerequisites_sizing": "test"}
    role_vars.update(variables)
    return {"name": title, "vars": role_vars,
            "ansible.builtin.include_role": {"name": ROLE, "apply": {"ignore_errors": True}}}


def show(title: str) -> dict[str, Any]:
    return {"name": "show " + title, "ansible.builtin.debug": {"var": "prerequisites_result"}}


def playbook(*tasks: dict[str, Any], subscription: str | None = None) -> str:
    entry: dict[str, Any] = {"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}
    if subscription:
        entry["module_defaults"] = {"group/azureml.kubernetes.azure": {"subscription_id": subscription}}
    return json.dumps([entry], indent=1)


def result_of(run, title: str) -> dict[str, Any]:
    shown = run.task("show " + title)
    assert "prerequisites_result" in shown, f"{shown}\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return shown["prerequisites_result"]


def items(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in result["checks"]}


class Kube:
    def __init__(self, sandbox, cluster):
        import kubernetes

        self.k8s = kubernetes
        self.api = kube_api(sandbox, cluster)
        self.custom = kubernetes.client.CustomObjectsApi(self.api)
        self.ext = kubernetes.client.ApiextensionsV1Api(self.api)
        self.core = kubernetes.client.CoreV1Api(self.api)

    def _or_none(self, call):
        try:
            return call()
        except self.k8s.client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def prom_kubelet(self):
        return self._or_none(lambda: self.custom.get_namespaced_custom_object(
            "monitoring.coreos.com", "v1", "azureml", "servicemonitors", "prom-kubelet"))

    def scc(self):
        return self._or_none(lambda: self.custom.get_cluster_custom_object(
            "security.openshift.io", "v1", "securitycontextconstraints", "privileged"))

    def crd(self, name):
        found = self._or_none(lambda: self.ext.read_custom_resource_definition(name))
        return None if found is None else self.api.sanitize_for_serialization(found)

    def nodes(self):
        return len(self.core.list_node().items)


PROM_KUBELET_SPEC = {
    "endpoints": [{"port": "https-metrics", "scheme": "https", "path": "/metrics/cadvisor", "honorLabels": True,
                   "tlsConfig": {"caFile": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                                 "insecureSkipVerify": True},
                   "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
                   "relabelings": [{"sourceLabels": ["__metrics_path__"], "targetLabel": "metrics_path"}]}],
    "jobLabel": "k8s-app", "namespaceSelector": {"matchNames": ["kube-system"]},
    "selector": {"matchLabels": {"k8s-app": "kubelet"}}}


def test_prometheus_operator_reused_then_installs(sandbox, run_playbook):
    # Two nodes and an existing Prometheus operator: HA off and installPromOp=False, then the install succeeds.
    cluster = sandbox.seed_cluster(node_count=2, situations=["prometheus_operator"])
    kube = kube_target(sandbox, cluster)
    k = Kube(sandbox, cluster)
    wait_until(lambda: k.crd("servicemonitors.monitoring.coreos.com"), "the ServiceMonitor CRD")
    since = sandbox.last_seq()
    checked = run_playbook(playbook(role("prereq", cluster, kube), show("result")), check=True)
    result = result_of(checked, "result")
    assert result["passed"] is True, result["message"]
    assert result["settings_adjustments"] == {"inferenceRouterHA": "False", "installPromOp": "False"}
    assert "created namespace azureml" in result["changes"]  # predicted
    assert k.prom_kubelet() is None and sandbox.writes(cluster["name"], since=since) == []

    run = run_playbook(playbook(role("first", cluster, kube), show("after first"),
                                role("second", cluster, kube), show("after second")))
    first, second = result_of(run, "after first"), result_of(run, "after second")
    assert first["passed"] is True and first["changed"] is True, first["message"]
    assert "created or updated prom-kubelet" in first["changes"]
    assert items(first)["prometheus_operator"]["status"] == "warn"
    monitor = k.prom_kubelet()
    assert monitor["metadata"]["labels"] == {"release": "azureml"} and monitor["spec"] == PROM_KUBELET_SPEC
    assert second["changed"] is False and second["changes"] == [], second["changes"]
    assert second["settings_adjustments"] == first["settings_adjustments"]

    config = {**POC_CONFIG, **first["settings_adjustments"]}
    config.pop("InferenceRouterHA")
    installed = run_playbook(playbook(task("install", **target(cluster), config=config, ignore_errors=True)))
    assert installed.task("install").get("failed") is not True, installed.task("install").get("msg")
    assert installed.task("install")["extension"]["provisioning_state"] == "Succeeded"


def test_two_nodes_with_ha_fail(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(node_count=2)
    kube = kube_target(sandbox, cluster)
    run = run_playbook(playbook(role("prereq", cluster, kube, prerequisites_inference_router_ha_below_3_nodes="fail"),
                                show("result")))
    result = result_of(run, "result")
    assert result["passed"] is False and result["failed"] == ["inference_router_ha"]
    assert result["settings_adjustments"] == {}
    failing = next(e["hosts"]["localhost"] for p in run.output["plays"] for e in p["tasks"]
                   if e["task"]["name"].endswith("Fail with what is wrong"))
    assert failing["failed"] is True and "E40002" in failing["msg"] and cluster["name"] in failing["msg"]


def test_openshift_arc_scc_granted_idempotently(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(cluster_type="connectedClusters", distribution="openshift", node_count=3,
                                   situations=["openshift"])
    kube = kube_target(sandbox, cluster)
    k = Kube(sandbox, cluster)
    original = wait_until(k.scc, "the privileged SCC")["users"]
    extra = ["team-a:runner"]
    checked = run_playbook(playbook(role("prereq", cluster, kube, prerequisites_openshift_extra_service_accounts=extra),
                                    show("result")), check=True)
    assert any(c.startswith("privileged SCC: added ") for c in result_of(checked, "result")["changes"])
    assert k.scc()["users"] == original
    run = run_playbook(playbook(
        role("first", cluster, kube, prerequisites_openshift_extra_service_accounts=extra), show("after first"),
        role("second", cluster, kube, prerequisites_openshift_extra_service_accounts=extra), show("after second")))
    first, second = result_of(run, "after first"), result_of(run, "after second")
    assert first["cluster_facts"]["kubernetes"]["openshift"] is True
    users = k.scc()["users"]
    assert users[:len(original)] == original  # nothing removed, order kept
    for account in ("system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa",
                    "system:serviceaccount:azureml:azureml-kube-state-metrics",
                    "system:serviceaccount:azureml:azureml-ingress-nginx-admission",
                    "system:serviceaccount:team-a:runner"):
        assert account in users
    assert len(users) == len(original) + 11
    assert items(second)["openshift"]["status"] == "pass" and second["changed"] is False


def test_leftover_volcano_crds_owned_on_request(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(situations=["volcano_crds"])
    kube = kube_target(sandbox, cluster)
    k = Kube(sandbox, cluster)
    wait_until(lambda: k.crd("jobs.batch.volcano.sh"), "the Volcano CRDs")
    run = run_playbook(playbook(role("report", cluster, kube, prerequisites_fail=False), show("reported"),
                                role("fix", cluster, kube, prerequisites_fix_helm_ownership=True), show("fixed"),
                                role("again", cluster, kube, prerequisites_fix_helm_ownership=True), show("again")))
    reported = result_of(run, "reported")
    assert reported["passed"] is False and "helm_ownership" in reported["failed"]
    fixed = result_of(run, "fixed")
    assert fixed["passed"] is True and "set Helm ownership on jobs.batch.volcano.sh" in fixed["changes"]
    meta = k.crd("jobs.batch.volcano.sh")["metadata"]
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert {meta["annotations"][a] for a in ("meta.helm.sh/release-name", "meta.helm.sh/release-namespace")} == \
        {"azureml"}
    assert result_of(run, "again")["changed"] is False and items(result_of(run, "again"))["helm_ownership"][
        "status"] == "pass"


def test_provider_unregistered_then_registered(sandbox, run_playbook):
    sandbox.settings(registration_delay_seconds=1)
    subscription = sandbox.seed_subscription("Microsoft.KubernetesConfiguration")
    cluster = sandbox.seed_cluster(subscription_id=subscription)
    kube = kube_target(sandbox, cluster)
    run = run_playbook(playbook(role("off", cluster, kube, prerequisites_fail=False), show("off"),
                                subscription=subscription))
    off = result_of(run, "off")
    assert off["failed"] == ["provider/Microsoft.KubernetesConfiguration"]
    assert sandbox.requests_for(subscription, writes_only=True) == []
    checked = run_playbook(playbook(role("check", cluster, kube, prerequisites_register_providers=True), show("check"),
                                    subscription=subscription), check=True)
    check = result_of(checked, "check")
    assert check["passed"] is True and items(check)["provider/Microsoft.KubernetesConfiguration"]["status"] == "warn"
    assert sandbox.requests_for(subscription, writes_only=True) == []
    run = run_playbook(playbook(role("on", cluster, kube, prerequisites_register_providers=True), show("on"),
                                role("again", cluster, kube, prerequisites_register_providers=True), show("again"),
                                subscription=subscription))
    on, again = result_of(run, "on"), result_of(run, "again")
    assert on["passed"] is True and on["changes"] == ["registered provider Microsoft.KubernetesConfiguration"]
    assert again["changed"] is False


def test_dcgm_exporter_reused_through_role_gpu(sandbox, run_playbook):
    nodes = [{"count": 3}, {"name": "gpu", "count": 1, "gpu": 1, "labels": {"agentpool": "gpu"}}]
    cluster = sandbox.seed_cluster(node_count=4, nodes=nodes, situations=["prometheus_operator", "dcgm_exporter"])
    kube = kube_target(sandbox, cluster)
    k = Kube(sandbox, cluster)
    wait_until(lambda: k.crd("servicemonitors.monitoring.coreos.com"), "the ServiceMonitor CRD")
    run = run_playbook(playbook(role("first", cluster, kube), show("first"), role("second", cluster, kube),
                                show("second")))
    first, second = result_of(run, "first"), result_of(run, "second")
    assert first["passed"] is True, first["message"]
    assert first["settings_adjustments"] == {"installPromOp": "False", "installDcgmExporter": "False"}
    assert "dcgm-exporter reuse objects (role gpu)" in first["changes"]
    service = k.core.read_namespaced_service("dcgm-exporter-service", "gpu-operator")
    assert service.spec.ports[0].port == 9400
    assert k.custom.get_namespaced_custom_object("monitoring.coreos.com", "v1", "azureml", "servicemonitors",
                                                 "dcgm-exporter-monitor")["metadata"]["labels"] == {"release": "azureml"}
    assert second["changed"] is False, second["changes"]
