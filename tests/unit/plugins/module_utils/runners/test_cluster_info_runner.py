# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/cluster_info: the options as the module gives them, the reads into Facts (fake Kube), decide()."""
from __future__ import annotations

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import preflight
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import KubeError
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import cluster_info as runner

PARAMS = dict(cluster_type="connectedClusters", cluster_name="arc1", resource_group="rg", extension_name="ml",
              workloads=["training"], sizing="test", settings=None, workspace_id="",
              inference_router_ha_below_3_nodes="fail", reuse_existing=False, fix_helm_ownership=True,
              compute_namespace="team", openshift_extra_service_accounts=["a:b"],
              authorized_ip_ranges_include_aml=False, registering_providers=["Microsoft.Relay"])


def test_options_of():
    options = runner.options_of(PARAMS)
    assert options == preflight.Options(
        extension_name="ml", workloads=("training",), sizing="test", settings={}, workspace_id=None,
        inference_router_ha_below_3_nodes="fail", reuse_existing=False, fix_helm_ownership=True,
        compute_namespace="team", openshift_extra_service_accounts=("a:b",), authorized_ip_ranges_include_aml=False,
        registering=("Microsoft.Relay",))


class FakeKube:
    def __init__(self, proxy_error=False):
        self.proxy_error = proxy_error
        self.calls = []

    def list(self, kind, namespace, api_version="v1", label_selectors=None, field_selectors=None):
        self.calls.append(("list", kind, label_selectors))
        if kind == "CustomResourceDefinition":
            return [{"metadata": {"name": n}, "spec": {"group": g}} for n, g in (
                ("jobs.batch.volcano.sh", "batch.volcano.sh"), ("widgets.example.com", "example.com"),
                ("instancetypes.amlarc.azureml.com", "amlarc.azureml.com"))]
        return [{"metadata": {"name": kind.lower()}}]

    def get(self, kind, name, namespace, api_version="v1"):
        self.calls.append(("get", kind, name))
        if kind == "ConfigMap" and self.proxy_error:
            raise KubeError("forbidden")
        if kind == "SecurityContextConstraints":
            return {"metadata": {"name": name}, "users": []}
        return None


def test_read_kubernetes_filters_and_tolerates_a_hidden_proxy(monkeypatch):
    monkeypatch.setattr(runner, "serves", lambda kube, kind, api_version: True)
    facts = preflight.Facts(cluster_type="connectedClusters", cluster_name="arc1", subscription_id="s",
                            cloud_name="AzureCloud", cluster={})
    kube = FakeKube(proxy_error=True)
    runner.read_kubernetes(kube, facts)
    assert [c["metadata"]["name"] for c in facts.crds] == ["jobs.batch.volcano.sh", "instancetypes.amlarc.azureml.com"]
    assert facts.openshift_api is True and facts.scc == {"metadata": {"name": "privileged"}, "users": []}
    assert facts.arc_proxy is None and facts.cluster_roles == [] and facts.namespace is None
    assert ("list", "Service", ["k8s-app=kubelet"]) in kube.calls


def test_no_scc_read_without_openshift(monkeypatch):
    monkeypatch.setattr(runner, "serves", lambda kube, kind, api_version: False)
    facts = preflight.Facts(cluster_type="managedClusters", cluster_name="a", subscription_id="s",
                            cloud_name="AzureCloud", cluster={})
    kube = FakeKube()
    runner.read_kubernetes(kube, facts)
    assert facts.scc is None and not any(c[1] in ("SecurityContextConstraints", "ConfigMap") for c in kube.calls)


def test_decide_is_the_preflight_report():
    facts = preflight.Facts(cluster_type="connectedClusters", cluster_name="arc1", subscription_id="s",
                            cloud_name="AzureCloud", cluster={"properties": {"connectivityStatus": "Connected"}},
                            providers={"Microsoft.KubernetesConfiguration": "Registered",
                                       "Microsoft.Kubernetes": "Registered", "Microsoft.Relay": "NotRegistered"})
    report = runner.decide(facts, PARAMS)
    got = {i["id"]: i for i in report["checks"]}
    assert got["provider/Microsoft.Relay"]["status"] == "warn"  # being registered by this run
    assert report == preflight.evaluate(facts, runner.options_of(PARAMS))
