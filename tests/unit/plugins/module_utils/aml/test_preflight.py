"""aml/preflight: every check's pass, warn and fail paths, over plain data."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import preflight as pf

SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
OTHER_SUB = "6b1e4d4a-0000-4000-8000-00000000b002"
WS = f"/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws1"
PROVIDER_NAMES = ("Microsoft.KubernetesConfiguration", "Microsoft.ContainerService", "Microsoft.Kubernetes",
                  "Microsoft.Relay")
ALL_PROVIDERS = {ns: "Registered" for ns in PROVIDER_NAMES}
KUBELET = (f"/subscriptions/{SUB}/resourcegroups/MC_rg_aks1_eastus/providers/Microsoft.ManagedIdentity/"
           "userAssignedIdentities/aks1-agentpool")


def aks(**props) -> dict:
    body = {"name": "aks1", "location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"servicePrincipalProfile": {"clientId": "msi"}, "disableLocalAccounts": False,
                           "nodeResourceGroup": "MC_rg_aks1_eastus",
                           "identityProfile": {"kubeletidentity": {"resourceId": KUBELET}},
                           "apiServerAccessProfile": {"authorizedIPRanges": []},
                           "agentPoolProfiles": [{"name": "sys", "count": 3}]}}
    body["properties"].update(props)
    return body


def arc(**props) -> dict:
    return {"name": "arc1", "location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"connectivityStatus": "Connected", "distribution": "k3s", "totalNodeCount": 3, **props}}


def node(name="n1", cpu="3860m", memory="12Gi", unschedulable=False) -> dict:
    return {"metadata": {"name": name}, "spec": {"unschedulable": unschedulable},
            "status": {"allocatable": {"cpu": cpu, "memory": memory}}}


def facts(cluster=None, cluster_type="managedClusters", **kw) -> pf.Facts:
    base = dict(cluster_type=cluster_type, cluster_name="c1", subscription_id=SUB, cloud_name="AzureCloud",
                cluster=cluster if cluster is not None else (aks() if cluster_type == "managedClusters" else arc()),
                providers=dict(ALL_PROVIDERS), nodes=[node(f"n{i}") for i in range(3)])
    base.update(kw)
    return pf.Facts(**base)


def by_id(report) -> dict:
    return {i["id"]: i for i in report["checks"]}


def run(f=None, **options) -> dict:
    return pf.evaluate(f or facts(), pf.Options(**options))


def binding(source=WS, roles=(pf.MLWORKLOAD_ROLE,), name="ws1") -> dict:
    return {"name": name, "properties": {"sourceResourceId": source, "roles": list(roles)}}


# --- the whole report
def test_a_healthy_aks_cluster_passes():
    report = run()
    assert report["passed"] is True and report["failed_checks"] == []
    assert report["settings_adjustments"] == {}
    assert [i["id"] for i in report["checks"]] == [
        "provider/Microsoft.KubernetesConfiguration", "provider/Microsoft.ContainerService", "identity",
        "local_accounts", "authorized_ip_ranges", "pod_identity", "kubelet_identity", "subscription",
        "inference_router_ha", "capacity", "openshift", "prometheus_operator", "volcano", "dcgm_exporter",
        "helm_ownership", "namespace", "proxy"]
    assert all(set(i) >= {"id", "status", "reason", "fix"} for i in report["checks"])
    assert all(i["fix"] is None for i in report["checks"] if i["status"] == "pass")
    assert report["actions"] == {"scc": None, "objects": [], "helm_ownership": [], "dcgm_reuse": False}
    assert report["message"].endswith("0 failed.")


def test_arc_items_and_providers():
    report = run(facts(cluster_type="connectedClusters"))
    ids = [i["id"] for i in report["checks"]]
    assert ids[:4] == ["provider/Microsoft.KubernetesConfiguration", "provider/Microsoft.Kubernetes",
                       "provider/Microsoft.Relay", "connectivity"]
    assert "identity" not in ids and report["passed"]


# --- providers
@pytest.mark.parametrize("state", ["NotRegistered", "Registering", "Unregistering", None])
def test_unregistered_provider_fails_with_the_fix(state):
    providers = dict(ALL_PROVIDERS)
    if state is None:
        del providers["Microsoft.KubernetesConfiguration"]
    else:
        providers["Microsoft.KubernetesConfiguration"] = state
    report = run(facts(providers=providers))
    got = by_id(report)["provider/Microsoft.KubernetesConfiguration"]
    assert got["status"] == "fail" and (state or "unknown") in got["reason"]
    assert "prerequisites_register_providers" in got["fix"] and "az provider register" in got["fix"]
    assert report["passed"] is False and report["failed_checks"] == ["provider/Microsoft.KubernetesConfiguration"]


def test_relay_is_needed_on_arc_only():
    providers = {**ALL_PROVIDERS, "Microsoft.Relay": "NotRegistered"}
    assert run(facts(providers=providers))["passed"] is True
    assert by_id(run(facts(cluster_type="connectedClusters", providers=providers)))["provider/Microsoft.Relay"][
        "status"] == "fail"


# --- identity
def test_service_principal_cluster_is_refused():
    cluster = aks(servicePrincipalProfile={"clientId": "1111-sp"})
    del cluster["identity"]
    got = by_id(run(facts(cluster)))["identity"]
    assert got["status"] == "fail" and got["identity_type"] == "ServicePrincipal"
    assert "--enable-managed-identity" in got["fix"] and "recreate the node pools" in got["fix"]


@pytest.mark.parametrize("kind", ["SystemAssigned", "UserAssigned"])
def test_managed_identities_pass(kind):
    cluster = aks()
    cluster["identity"] = {"type": kind}
    got = by_id(run(facts(cluster)))["identity"]
    assert (got["status"], got["identity_type"]) == ("pass", kind)


def test_identity_type_without_anything():
    assert pf.identity_type({"properties": {}}) == "None"


# --- local accounts, authorized ranges and Trusted Access
def test_local_accounts_disabled_without_a_binding_fails():
    got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=[])))["local_accounts"]
    assert got["status"] == "fail" and "No Trusted Access role binding" in got["reason"]
    assert "az aks trustedaccess rolebinding create" in got["fix"] and pf.MLWORKLOAD_ROLE in got["fix"]
    assert "--enable-local-accounts" in got["fix"]


def test_local_accounts_disabled_with_a_binding_passes_with_a_note():
    got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=[binding()]), workspace_id=WS))["local_accounts"]
    assert got["status"] == "pass" and "Trusted Access role binding ws1" in got["reason"] and WS in got["reason"]


def test_binding_for_another_workspace_or_role_does_not_count():
    other = WS.replace("ws1", "ws2")
    cases = [[binding(source=other)], [binding(roles=("Microsoft.Other/role",))]]
    for bindings in cases:
        got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=bindings), workspace_id=WS))["local_accounts"]
        assert got["status"] == "fail", bindings
    # without a workspace id any mlworkload binding counts
    got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=[binding(source=other)])))["local_accounts"]
    assert got["status"] == "pass"


def test_workspace_id_case_insensitive_and_trailing_slash():
    got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=[binding(source=WS.lower() + "/")]),
                    workspace_id=WS))["local_accounts"]
    assert got["status"] == "pass"


@pytest.mark.parametrize("cloud", ["AzureChinaCloud", "AzureUSGovernment"])
def test_outside_azure_cloud_is_refused_even_with_a_binding(cloud):
    got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=[binding()], cloud_name=cloud)))["local_accounts"]
    assert got["status"] == "fail" and "AzureCloud only" in got["reason"] and "no Trusted Access" in got["fix"]


def test_a_private_cloud_that_does_not_serve_bindings():
    got = by_id(run(facts(aks(disableLocalAccounts=True), bindings=None, bindings_error="404 not found",
                          cloud_name="AzureStackHub")))["local_accounts"]
    assert got["status"] == "fail" and "does not serve Trusted Access" in got["reason"] and "404" in got["reason"]
    unreadable = by_id(run(facts(aks(disableLocalAccounts=True), bindings=None, bindings_error="403")))
    assert "could not be read: 403" in unreadable["local_accounts"]["reason"]


def test_authorized_ranges():
    ranged = aks(apiServerAccessProfile={"authorizedIPRanges": ["20.1.2.0/24", "52.1.1.1/32"]})
    without = by_id(run(facts(ranged, bindings=[])))["authorized_ip_ranges"]
    assert without["status"] == "fail" and "2 authorized IP ranges" in without["reason"]
    assert "authorized_ip_ranges" in without["fix"] and "trustedaccess" in without["fix"]
    assert by_id(run(facts(ranged, bindings=[binding()])))["authorized_ip_ranges"]["status"] == "pass"
    said = by_id(run(facts(ranged, bindings=[]), authorized_ip_ranges_include_aml=True))["authorized_ip_ranges"]
    assert said["status"] == "warn"


# --- pod identity, kubelet identity
def test_pod_identity_warns():
    got = by_id(run(facts(aks(podIdentityProfile={"enabled": True}))))["pod_identity"]
    assert got["status"] == "warn" and got["fix"]
    assert by_id(run(facts(aks(podIdentityProfile={"enabled": False}))))["pod_identity"]["status"] == "pass"


def test_custom_kubelet_identity_warns():
    custom = aks(identityProfile={"kubeletidentity": {"resourceId": f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
                                                      "Microsoft.ManagedIdentity/userAssignedIdentities/mine"}})
    got = by_id(run(facts(custom)))["kubelet_identity"]
    assert (got["status"], got["kubelet_identity"]) == ("warn", "custom") and "AKS#3835" in got["reason"]
    assert by_id(run())["kubelet_identity"]["kubelet_identity"] == "default"
    assert pf.kubelet_identity({"properties": {}}) == {"type": "none", "resource_id": None}


# --- subscription
def test_cross_subscription_aks_is_refused_with_the_arc_route():
    other = WS.replace(SUB, OTHER_SUB)
    got = by_id(run(workspace_id=other))["subscription"]
    assert got["status"] == "fail" and OTHER_SUB in got["reason"] and "az connectedk8s connect" in got["fix"]
    arc_got = by_id(run(facts(cluster_type="connectedClusters"), workspace_id=other))["subscription"]
    assert arc_got["status"] == "pass" and "through Arc" in arc_got["reason"]
    assert by_id(run(workspace_id=WS))["subscription"]["status"] == "pass"
    assert "not compared" in by_id(run())["subscription"]["reason"]


@pytest.mark.parametrize("bad", ["ws1", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Other/things/ws"])
def test_a_malformed_workspace_id_is_bad_input(bad):
    with pytest.raises(ValueError, match="is not an Azure Machine Learning workspace id"):
        run(workspace_id=bad)


# --- connectivity
@pytest.mark.parametrize("status", ["Offline", "Expired", "Connecting", "AgentNotInstalled", None])
def test_arc_not_connected_fails(status):
    got = by_id(run(facts(arc(connectivityStatus=status), cluster_type="connectedClusters")))["connectivity"]
    assert got["status"] == "fail" and (status or "unknown") in got["reason"] and "azure-arc" in got["fix"]


# --- router HA
def test_two_nodes_with_ha_set_false_or_fail():
    two = facts(nodes=[node("a"), node("b")])
    report = run(two, inference_router_ha_below_3_nodes="set_false")
    got = by_id(report)["inference_router_ha"]
    assert got["status"] == "warn" and "E40002" in got["reason"]
    assert report["settings_adjustments"] == {"inferenceRouterHA": "False"}
    failed = run(two, inference_router_ha_below_3_nodes="fail")
    assert by_id(failed)["inference_router_ha"]["status"] == "fail" and failed["settings_adjustments"] == {}
    assert "set_false" in by_id(failed)["inference_router_ha"]["fix"]


def test_router_ha_not_applicable():
    two = facts(nodes=[node("a"), node("b")])
    assert by_id(run(two, workloads=("training",)))["inference_router_ha"]["status"] == "pass"
    off = run(two, settings={"InferenceRouterHA": "false"})
    assert by_id(off)["inference_router_ha"]["status"] == "pass" and off["settings_adjustments"] == {}


def test_unschedulable_nodes_do_not_count():
    three = facts(nodes=[node("a"), node("b"), node("c", unschedulable=True)])
    assert run(three)["settings_adjustments"] == {"inferenceRouterHA": "False"}
    assert run(three)["capacity"]["nodes"] == 2


# --- capacity
def test_capacity_fails_below_the_requests():
    small = facts(nodes=[node(f"n{i}", cpu="250m", memory="8Gi") for i in range(3)])
    got = by_id(run(small, sizing="test"))["capacity"]
    assert got["status"] == "fail" and "750m CPU" in got["reason"] and "request" in got["reason"]
    assert got["requests"]["cpu"].endswith("m")
    assert got["allocatable"] == {"cpu": "750m", "memory": "24576Mi", "nodes": 3}


def test_production_minimum_and_limits():
    tiny = facts(nodes=[node("a", cpu="3", memory="13Gi")])
    got = by_id(run(tiny, workloads=("training",)))["capacity"]
    assert got["status"] == "fail" and "4 vCPU and 14 GB" in got["reason"]
    assert by_id(run(tiny, workloads=("training",), sizing="test"))["capacity"]["status"] == "pass"
    # the default 3 x 3860m / 12Gi: production training and inference limits are 14820m, 18744Mi
    default = by_id(run())["capacity"]
    assert default["status"] == "warn" and "14820m" in default["reason"]
    big = facts(nodes=[node(f"n{i}", cpu="8", memory="28Gi") for i in range(3)])
    assert by_id(run(big))["capacity"]["status"] == "pass"


def test_documented_test_minimum_fits_exactly():
    # test training and inference without HA: 1910m / 2884Mi on one node (docs §2)
    exact = facts(nodes=[node("a", cpu="1910m", memory="2884Mi")])
    report = run(exact, sizing="test", settings={"inferenceRouterHA": "False"})
    assert by_id(report)["capacity"]["status"] == "pass"
    short = facts(nodes=[node("a", cpu="1909m", memory="2884Mi")])
    assert by_id(run(short, sizing="test", settings={"inferenceRouterHA": "False"}))["capacity"]["status"] == "fail"


def test_quantities():
    assert [pf.cpu_milli(v) for v in ("3860m", "4", "0.5", "", None, "x")] == [3860, 4000, 500, 0, 0, 0]
    assert [pf.memory_mi(v) for v in ("12Gi", "16000Mi", "1048576Ki", "1e9", "1G", "1073741824", "", "bad")] == [
        12288, 16000, 1024, 953, 953, 1024, 0, 0]


# --- OpenShift
SCC = {"metadata": {"name": "privileged", "resourceVersion": "7"}, "users": ["system:admin"]}


def test_openshift_scc_grant_keeps_every_entry():
    report = run(facts(cluster_type="connectedClusters", cluster=arc(distribution="openshift"), scc=copy.deepcopy(SCC)),
                 extension_name="ml", compute_namespace="team-a", openshift_extra_service_accounts=("x:y",))
    got = by_id(report)["openshift"]
    assert got["status"] == "warn" and "Arc distribution openshift" in got["reason"]
    action = report["actions"]["scc"]
    assert action["users"][0] == "system:admin" and action["resource_version"] == "7"
    assert action["added"] == [
        "system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa",
        "system:serviceaccount:azureml:ml-kube-state-metrics", "system:serviceaccount:azureml:prom-admission",
        "system:serviceaccount:azureml:default", "system:serviceaccount:azureml:prom-operator",
        "system:serviceaccount:azureml:load-amlarc-selinux-policy-sa", "system:serviceaccount:azureml:azureml-fe-v2",
        "system:serviceaccount:azureml:prom-prometheus", "system:serviceaccount:azureml:azureml-ingress-nginx",
        "system:serviceaccount:azureml:azureml-ingress-nginx-admission", "system:serviceaccount:team-a:default",
        "system:serviceaccount:x:y"]
    assert report["openshift"] is True


def test_openshift_already_granted_passes():
    users = ["system:admin"] + pf.scc_accounts(pf.Options())
    report = run(facts(openshift_api=True, scc={"metadata": {"name": "privileged"}, "users": users}))
    assert by_id(report)["openshift"]["status"] == "pass" and report["actions"]["scc"] is None
    assert "security.openshift.io" in by_id(report)["openshift"]["reason"]


def test_openshift_without_the_scc_fails_and_not_openshift_passes():
    assert by_id(run(facts(openshift_api=True, scc=None)))["openshift"]["status"] == "fail"
    assert by_id(run())["openshift"] == {"id": "openshift", "status": "pass", "reason": "Not OpenShift.", "fix": None}


def test_scc_accounts_normalised_and_checked():
    assert pf.service_account("system:serviceaccount:a:b", "ml") == "system:serviceaccount:a:b"
    assert pf.service_account("azureml:{EXT}-x", "ml") == "system:serviceaccount:azureml:ml-x"
    for bad in ("nocolon", "a:b:c", ":b"):
        with pytest.raises(ValueError, match="<namespace>:<name>"):
            pf.service_account(bad, "ml")
    assert pf.scc_merge(None, ["a"]) == (["a"], ["a"])
    assert pf.scc_merge(["b", "a"], ["a", "c"]) == (["b", "a", "c"], ["c"])
    # the compute namespace 'default' adds nothing (azureml:default is listed already)
    assert len(pf.scc_accounts(pf.Options())) == 10


# --- Prometheus operator
def operator(args=("--kubelet-service=kube-system/kubelet", "--namespaces="), namespace="monitoring") -> dict:
    return {"metadata": {"name": "prometheus-operator", "namespace": namespace,
                         "labels": {"app.kubernetes.io/name": "prometheus-operator"}},
            "spec": {"template": {"spec": {"containers": [{"name": "op", "args": list(args)}]}}}}


def kubelet_service(namespace="kube-system", labels=None, ports=("https-metrics",)) -> dict:
    return {"metadata": {"name": "kubelet", "namespace": namespace, "labels": labels or {"k8s-app": "kubelet"}},
            "spec": {"ports": [{"name": p} for p in ports]}}


def test_prometheus_operator_reused_with_prom_kubelet_exactly():
    report = run(facts(deployments=[operator()], services=[kubelet_service()]), extension_name="ml")
    got = by_id(report)["prometheus_operator"]
    assert got["status"] == "warn" and "reused" in got["reason"]
    assert report["settings_adjustments"] == {"installPromOp": "False"}
    assert report["actions"]["objects"] == [{
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "prom-kubelet", "namespace": "azureml", "labels": {"release": "ml"}},
        "spec": {"endpoints": [{"port": "https-metrics", "scheme": "https", "path": "/metrics/cadvisor",
                                "honorLabels": True,
                                "tlsConfig": {"caFile": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                                              "insecureSkipVerify": True},
                                "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
                                "relabelings": [{"sourceLabels": ["__metrics_path__"], "targetLabel": "metrics_path"}]}],
                 "jobLabel": "k8s-app", "namespaceSelector": {"matchNames": ["kube-system"]},
                 "selector": {"matchLabels": {"k8s-app": "kubelet"}}}}]


def test_prometheus_operator_not_reused_fails():
    report = run(facts(deployments=[operator()], services=[kubelet_service()]), reuse_existing=False)
    got = by_id(report)["prometheus_operator"]
    assert got["status"] == "fail" and "E45002" in got["reason"] and report["actions"]["objects"] == []
    # installPromOp=False given by the user: the reuse requirements are checked all the same
    given = run(facts(deployments=[operator()], services=[kubelet_service()]), reuse_existing=False,
                settings={"installPromOp": "False"})
    assert by_id(given)["prometheus_operator"]["status"] == "warn"


@pytest.mark.parametrize("args, services, problem", [
    (("--kubelet-service=kube-system/kubelet", "--namespaces=monitoring"), [kubelet_service()], "watches only"),
    (("--kubelet-service=kube-system/kubelet", "--deny-namespaces=azureml"), [kubelet_service()], "denies"),
    (("--namespaces=",), [kubelet_service()], "kubelet service is not enabled"),
    (("--kubelet-service", "kube-system/kubelet"), [], "does not exist"),
    (("--kubelet-service=kube-system/kubelet",), [kubelet_service(labels={"k8s-app": "other"})], "not labelled"),
    (("--kubelet-service=kube-system/kubelet",), [kubelet_service(ports=("http-metrics",))], "no port https-metrics"),
])
def test_prometheus_reuse_requirements(args, services, problem):
    report = run(facts(deployments=[operator(args)], services=services))
    got = by_id(report)["prometheus_operator"]
    assert got["status"] == "fail" and problem in got["reason"] and report["settings_adjustments"] == {}


def test_the_extensions_own_operator_is_not_another_one():
    own = operator(namespace="azureml")
    own["metadata"]["name"] = "ml-prometheus-operator"
    own["metadata"]["labels"][pf.MANAGED_BY] = "Helm"
    own["metadata"]["annotations"] = {pf.RELEASE_NAME: "ml", pf.RELEASE_NAMESPACE: "azureml"}
    assert by_id(run(facts(deployments=[own]), extension_name="ml"))["prometheus_operator"]["status"] == "pass"


# --- Volcano
def deployment(name, namespace="volcano-system") -> dict:
    return {"metadata": {"name": name, "namespace": namespace}}


def test_volcano_reused_or_refused():
    both = facts(deployments=[deployment("volcano-scheduler"), deployment("volcano-controllers")])
    report = run(both)
    assert by_id(report)["volcano"]["status"] == "warn" and report["settings_adjustments"] == {"installVolcano": "False"}
    assert "enqueue, allocate, backfill" in by_id(report)["volcano"]["fix"]
    assert by_id(run(both, reuse_existing=False))["volcano"]["status"] == "fail"
    half = run(facts(deployments=[deployment("volcano-scheduler")]))
    assert by_id(half)["volcano"]["status"] == "fail" and "volcano-controllers" in by_id(half)["volcano"]["reason"]
    assert by_id(run(both, workloads=("inference",)))["volcano"]["status"] == "pass"


# --- dcgm-exporter
def exporter(namespace="gpu-operator") -> dict:
    return {"metadata": {"name": "dcgm-exporter", "namespace": namespace,
                         "labels": {"app.kubernetes.io/name": "dcgm-exporter"}}}


def test_dcgm_exporter():
    report = run(facts(daemonsets=[exporter()]))
    assert by_id(report)["dcgm_exporter"]["status"] == "warn" and report["actions"]["dcgm_reuse"] is True
    assert report["settings_adjustments"] == {"installDcgmExporter": "False"}
    assert by_id(run(facts(daemonsets=[exporter()]), reuse_existing=False,
                     settings={"installDcgmExporter": "True"}))["dcgm_exporter"]["status"] == "fail"
    assert by_id(run(facts(daemonsets=[exporter()]), reuse_existing=False))["dcgm_exporter"]["status"] == "warn"
    assert by_id(run(facts(daemonsets=[exporter("azureml")])))["dcgm_exporter"]["status"] == "pass"


# --- Helm ownership leftovers
def crd(name, group, owned_by=None) -> dict:
    meta = {"name": name, "labels": {}, "annotations": {}}
    if owned_by:
        meta["labels"][pf.MANAGED_BY] = "Helm"
        meta["annotations"] = {pf.RELEASE_NAME: owned_by, pf.RELEASE_NAMESPACE: "azureml"}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": meta,
            "spec": {"group": group}}


def test_leftover_volcano_crds_reported_or_fixed():
    leftovers = facts(crds=[crd("jobs.batch.volcano.sh", "batch.volcano.sh"),
                            crd("queues.scheduling.volcano.sh", "scheduling.volcano.sh", owned_by="azureml")],
                      cluster_roles=[{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                      "metadata": {"name": "blob-external-provisioner-role"}}])
    report = run(leftovers)
    got = by_id(report)["helm_ownership"]
    assert got["status"] == "fail" and "jobs.batch.volcano.sh" in got["reason"]
    assert "queues.scheduling.volcano.sh" not in got["reason"] and "blob-external-provisioner-role" in got["reason"]
    assert "prerequisites_fix_helm_ownership" in got["fix"]
    fixed = run(leftovers, fix_helm_ownership=True)
    assert by_id(fixed)["helm_ownership"]["status"] == "warn"
    assert fixed["actions"]["helm_ownership"][0] == {
        "api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": "jobs.batch.volcano.sh",
        "labels": {"app.kubernetes.io/managed-by": "Helm"},
        "annotations": {"meta.helm.sh/release-name": "azureml", "meta.helm.sh/release-namespace": "azureml"}}
    # Volcano CRDs do not matter when the chart installs no Volcano
    assert by_id(run(leftovers, workloads=("inference",), fix_helm_ownership=False))["helm_ownership"][
        "reason"].count("volcano") == 0


def test_monitoring_crds_without_an_operator_are_leftovers_unless_reused():
    left = facts(crds=[crd("servicemonitors.monitoring.coreos.com", "monitoring.coreos.com")])
    assert by_id(run(left))["helm_ownership"]["status"] == "fail"
    assert by_id(run(left, settings={"installPromOp": "False"}))["helm_ownership"]["status"] == "pass"


def test_amlarc_crds_always_count():
    left = facts(crds=[crd("instancetypes.amlarc.azureml.com", "amlarc.azureml.com")])
    assert by_id(run(left, workloads=("inference",)))["helm_ownership"]["status"] == "fail"


# --- namespace, proxy
def test_namespace_terminating():
    got = by_id(run(facts(namespace={"metadata": {"name": "azureml"}, "status": {"phase": "Terminating"}})))["namespace"]
    assert got["status"] == "fail" and "kubectl get namespace azureml" in got["fix"]
    assert by_id(run(facts(namespace={"metadata": {"deletionTimestamp": "x"}, "status": {}})))["namespace"][
        "status"] == "fail"
    assert by_id(run(facts(namespace={"metadata": {}, "status": {"phase": "Active"}})))["namespace"]["status"] == "pass"
    assert "does not exist yet" in by_id(run())["namespace"]["reason"]


def test_proxy_reported_with_passwords_masked():
    report = run(facts(environment={"HTTPS_PROXY": "http://u:secret@proxy:3128", "no_proxy": ".svc"}))
    got = by_id(report)["proxy"]
    assert got["status"] == "pass" and "secret" not in got["reason"] and "u:***@proxy:3128" in got["reason"]
    assert report["proxy"] == {"source": "controller environment", "HTTPS_PROXY": "http://u:***@proxy:3128",
                               "NO_PROXY": ".svc"}
    arc_report = run(facts(cluster_type="connectedClusters", arc_proxy={"data": {"HTTPS_PROXY": "http://p:8080"}},
                           environment={"HTTPS_PROXY": "http://other:1"}))
    assert arc_report["proxy"] == {"source": "ConfigMap azure-arc/azure-clusterconfig", "HTTPS_PROXY": "http://p:8080"}
    assert "No outbound proxy" in by_id(run(facts(environment={})))["proxy"]["reason"]
    assert pf.redact("not a url") == "not a url"


def test_message_names_the_failures():
    cluster = aks(servicePrincipalProfile={"clientId": "sp"})
    del cluster["identity"]
    report = run(facts(cluster))
    assert "1 failed: [identity] The AKS cluster uses a service principal" in report["message"]


def test_a_provider_this_run_registers_warns():
    providers = {**ALL_PROVIDERS, "Microsoft.KubernetesConfiguration": "NotRegistered"}
    report = run(facts(providers=providers), registering=("microsoft.kubernetesconfiguration",))
    got = by_id(report)["provider/Microsoft.KubernetesConfiguration"]
    assert got["status"] == "warn" and "would be registered" in got["reason"] and report["passed"]
