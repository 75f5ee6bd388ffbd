# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import importlib
from dataclasses import fields

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import components as c

AKS = "managedClusters"
ARC = "connectedClusters"
EXT = "azureml"

ALWAYS = ["gateway", "metrics-controller-manager", "azureml-kube-state-metrics", "azureml-prometheus-operator",
          "fluent-bit", "prometheus-prom-prometheus"]
TRAINING = ["aml-operator", "volcano-admission", "volcano-controllers", "volcano-scheduler"]
INFERENCE = ["amlarc-identity-controller", "amlarc-identity-proxy", "azureml-fe-v2",
             "inference-operator-controller-manager", "azureml-ingress-nginx-controller"]


def names(settings, cluster_type=AKS, ext=EXT):
    return sorted(x.name for x in c.expected(settings, ext, cluster_type))


def by_name(settings, cluster_type=AKS, ext=EXT):
    return {x.name: x for x in c.expected(settings, ext, cluster_type)}


# --- the table itself
def test_one_row_per_documented_object():
    assert [r.name for r in c.COMPONENTS] == [
        "relayserver", "gateway", "aml-operator", "metrics-controller-manager", "{EXTENSION-NAME}-kube-state-metrics",
        "{EXTENSION-NAME}-prometheus-operator", "amlarc-identity-controller", "amlarc-identity-proxy", "azureml-fe-v2",
        "inference-operator-controller-manager", "azureml-ingress-nginx-controller", "volcano-admission",
        "volcano-controllers", "volcano-scheduler", "fluent-bit", "{EXTENSION-NAME}-dcgm-exporter",
        "nvidia-device-plugin-daemonset", "prometheus-prom-prometheus"]


def test_kinds_as_documented():
    kinds = {r.name: r.kind for r in c.COMPONENTS}
    assert {n for n, k in kinds.items() if k == c.DAEMONSET} == {
        "fluent-bit", "{EXTENSION-NAME}-dcgm-exporter", "nvidia-device-plugin-daemonset"}
    assert {n for n, k in kinds.items() if k == c.STATEFULSET} == {"prometheus-prom-prometheus"}
    assert all(k in c.KINDS for k in kinds.values())


def test_rows_are_well_formed():
    assert len({r.name for r in c.COMPONENTS}) == len(c.COMPONENTS)
    for row in c.COMPONENTS:
        assert row.workloads and set(row.workloads) <= set(c.BOTH)
        assert row.description
        assert row.setting is None or row.setting in c.SETTING_DEFAULTS or row.setting in c._DEFAULT_BY_CLUSTER_TYPE
        if row.resources is not None:
            r = row.resources
            assert 0 < r.cpu_request <= r.cpu_limit and 0 < r.memory_request <= r.memory_limit
    assert [r.name for r in c.COMPONENTS if r.router] == ["azureml-fe-v2"]


def test_every_row_column_is_read():
    """expected() turns each column into the Component (name, kind, workloads, replicas, resources, description)."""
    assert [f.name for f in fields(c.Row)] == ["name", "kind", "workloads", "setting", "resources", "description",
                                               "router"]
    got = by_name({"enableTraining": "True", "enableInference": "True"})
    fe = got["azureml-fe-v2"]
    assert (fe.kind, fe.workloads, fe.replicas, fe.resources, fe.description) == (
        c.DEPLOYMENT, ("inference",), 3, c.Resources(900, 2000, 800, 1200), c.COMPONENTS[8].description)


# --- expected(): workloads and conditions
def test_training_only_on_aks():
    assert names({"enableTraining": "True"}) == sorted(ALWAYS + TRAINING)


def test_inference_only_on_aks():
    assert names({"enableInference": "True"}) == sorted(ALWAYS + INFERENCE)


def test_both_on_aks():
    assert names({"enableTraining": "True", "enableInference": "True"}) == sorted(ALWAYS + TRAINING + INFERENCE)


def test_no_workload_no_component():
    assert names({}) == []
    assert names({"enableTraining": "False", "enableInference": "false"}) == []


def test_arc_adds_relayserver_and_has_no_bundled_ingress():
    assert names({"enableTraining": "True"}, ARC) == sorted(ALWAYS + TRAINING + ["relayserver"])
    inference = [n for n in INFERENCE if n != "azureml-ingress-nginx-controller"]
    assert names({"enableInference": "True"}, ARC) == sorted(ALWAYS + inference + ["relayserver"])


def test_computed_switches_win_over_the_cluster_type():
    # relayserver.enabled / nginxIngress.enabled as the CLI writes them; explicit values are followed.
    got = names({"enableInference": "True", "relayserver.enabled": "true", "nginxIngress.enabled": "false"}, AKS)
    assert "relayserver" in got and "azureml-ingress-nginx-controller" not in got
    got = names({"enableInference": "True", "relayserver.enabled": "false", "nginxIngress.enabled": "true"}, ARC)
    assert "relayserver" not in got and "azureml-ingress-nginx-controller" in got


@pytest.mark.parametrize("setting, component, workload", [
    ("installPromOp", "azureml-prometheus-operator", "enableTraining"),
    ("installPromOp", "azureml-prometheus-operator", "enableInference"),
    ("installVolcano", "volcano-admission", "enableTraining"),
    ("installVolcano", "volcano-controllers", "enableTraining"),
    ("installVolcano", "volcano-scheduler", "enableTraining"),
])
def test_default_true_settings_can_turn_components_off(setting, component, workload):
    assert component in names({workload: "True"})
    assert component in names({workload: "True", setting: "True"})
    assert component not in names({workload: "True", setting: "False"})


def test_volcano_off_keeps_aml_operator():
    got = names({"enableTraining": "True", "installVolcano": "False"})
    assert "aml-operator" in got and not any(n.startswith("volcano") for n in got)


@pytest.mark.parametrize("setting, component", [
    ("installDcgmExporter", "azureml-dcgm-exporter"),
    ("installNvidiaDevicePlugin", "nvidia-device-plugin-daemonset"),
])
@pytest.mark.parametrize("workload", ["enableTraining", "enableInference"])
def test_optional_gpu_components(setting, component, workload):
    assert component not in names({workload: "True"})
    assert component in names({workload: "True", setting: "True"})
    assert by_name({workload: "True", setting: "True"})[component].kind == c.DAEMONSET


def test_inference_components_never_with_training_only():
    assert not set(INFERENCE) & set(names({"enableTraining": "True", "installDcgmExporter": "True"}))


@pytest.mark.parametrize("spelling", ["True", "true", "TRUE", " true ", True])
def test_booleans_any_spelling(spelling):
    assert names({"enableInference": spelling}) == sorted(ALWAYS + INFERENCE)


@pytest.mark.parametrize("spelling", ["False", "false", "FALSE", False])
def test_false_any_spelling(spelling):
    assert "azureml-prometheus-operator" not in names({"enableTraining": "True", "installPromOp": spelling})


def test_keys_in_any_case():
    assert names({"ENABLETRAINING": "True", "installvolcano": "False"}) == sorted(ALWAYS + ["aml-operator"])


def test_unreadable_boolean_counts_as_default():
    assert "azureml-prometheus-operator" in names({"enableTraining": "True", "installPromOp": "maybe"})
    assert names({"enableTraining": "yes"}) == []


def test_extension_name_substituted():
    got = names({"enableTraining": "True", "installDcgmExporter": "True"}, ext="aml-prod")
    assert "aml-prod-kube-state-metrics" in got and "aml-prod-prometheus-operator" in got
    assert "aml-prod-dcgm-exporter" in got
    assert not any("{" in n for n in got)
    # Fixed names stay fixed.
    assert "azureml-ingress-nginx-controller" in names({"enableInference": "True"}, ext="aml-prod")


# --- replicas
def test_router_replicas_follow_inference_router_ha():
    assert by_name({"enableInference": "True"})["azureml-fe-v2"].replicas == 3
    assert by_name({"enableInference": "True", "inferenceRouterHA": "true"})["azureml-fe-v2"].replicas == 3
    assert by_name({"enableInference": "True", "inferenceRouterHA": "false"})["azureml-fe-v2"].replicas == 1


def test_replicas_per_kind():
    got = by_name({"enableTraining": "True", "enableInference": "True"})
    assert got["fluent-bit"].replicas is None
    assert got["prometheus-prom-prometheus"].replicas == 1
    assert got["gateway"].replicas == 1


def test_workloads_of_a_component_are_the_enabled_ones():
    got = by_name({"enableTraining": "True"})
    assert got["gateway"].workloads == ("training",)
    assert got["aml-operator"].workloads == ("training",)
    got = by_name({"enableTraining": "True", "enableInference": "True"})
    assert got["gateway"].workloads == ("training", "inference")


def test_namespace_and_api_version():
    for comp in c.expected({"enableTraining": "True", "enableInference": "True"}, EXT, ARC):
        assert (comp.namespace, comp.api_version) == ("azureml", "apps/v1")


# --- capacity: the documentation's cluster minimums are the sums of the table's resources
# (test sized on requests with one router replica, production on limits with three; AKS, default settings).
@pytest.mark.parametrize("settings, nodes, production, cpu, memory", [
    ({"enableInference": "True", "inferenceRouterHA": "False"}, 1, False, 1780, 2440),
    ({"enableTraining": "True"}, 1, False, 410, 1492),
    ({"enableTraining": "True", "enableInference": "True", "inferenceRouterHA": "False"}, 1, False, 1910, 2884),
    ({"enableInference": "True"}, 3, True, 12700, 15296),
    ({"enableTraining": "True"}, 1, True, 4420, 10960),
    ({"enableTraining": "True", "enableInference": "True"}, 3, True, 14820, 18744),
])
def test_documented_cluster_minimums(settings, nodes, production, cpu, memory):
    total = c.requirements(c.expected(settings, EXT, AKS), nodes)
    if production:
        assert (total.cpu_limit, total.memory_limit) == (cpu, memory)
    else:
        assert (total.cpu_request, total.memory_request) == (cpu, memory)


def test_daemonsets_count_once_per_node():
    comps = c.expected({"enableTraining": "True"}, EXT, AKS)
    one, five = c.requirements(comps, 1), c.requirements(comps, 5)
    assert five.cpu_request - one.cpu_request == 4 * 10  # fluent-bit, 10m per node
    assert c.pods(by_name({"enableTraining": "True"})["fluent-bit"], 5) == 5


def test_undocumented_resources_are_not_counted():
    base = c.requirements(c.expected({"enableTraining": "True"}, EXT, ARC), 1)
    gpu = c.requirements(c.expected({"enableTraining": "True", "installDcgmExporter": "True",
                                     "installNvidiaDevicePlugin": "True"}, EXT, ARC), 1)
    assert base == gpu == c.requirements(c.expected({"enableTraining": "True"}, EXT, AKS), 1)


# --- plain data
def test_to_dict():
    fe = c.to_dict(by_name({"enableInference": "True"})["azureml-fe-v2"])
    assert fe == {
        "name": "azureml-fe-v2", "kind": "Deployment", "namespace": "azureml", "workloads": ["inference"],
        "replicas": 3, "description": fe["description"],
        "resources": {"cpu_request": "900m", "cpu_limit": "2000m", "memory_request": "800Mi",
                      "memory_limit": "1200Mi"}}
    assert c.to_dict(by_name({"enableTraining": "True"}, ARC)["relayserver"])["resources"] is None


# --- bad input
def test_bad_cluster_type():
    with pytest.raises(ValueError, match="cluster_type"):
        c.expected({"enableTraining": "True"}, EXT, "managedcluster")


def test_extension_name_required():
    with pytest.raises(ValueError, match="extension_name"):
        c.expected({"enableTraining": "True"}, "", AKS)


# --- one truth: the defaults agree with the settings table
def _settings_table():
    for name in ("aml.settings_table", "aml_settings"):
        try:
            return importlib.import_module("ansible_collections.azureml.kubernetes.plugins.module_utils." + name)
        except ImportError:
            continue
    pytest.skip("settings table not importable")


def test_defaults_agree_with_the_settings_table():
    table = _settings_table()
    for key, default in c.SETTING_DEFAULTS.items():
        row = table.describe(key)
        assert row is not None and row.kind == "bool", key
        assert c.as_bool(row.default) is default, key
    for key in c._DEFAULT_BY_CLUSTER_TYPE:
        assert table.describe(key) is not None, key
