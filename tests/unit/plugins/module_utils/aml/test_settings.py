# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import compute as compute_mod
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import normalise as normalise_mod
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import relay as relay_mod
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import rules
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import settings_table as table
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import DesiredExtension
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import AmlSettingsError
from ansible_collections.azureml.kubernetes.tests.support import pki

SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
AKS_ID = "/subscriptions/%s/resourceGroups/rg-aml-sandbox/providers/Microsoft.ContainerService/managedClusters/aks-aml-demo" % SUB
ARC_ID = "/subscriptions/%s/resourceGroups/rg-aml-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-aml-demo" % SUB
# ARM may return a location in any case; the CLI lower-cases it.
AKS = ClusterFacts("managedClusters", AKS_ID, "aks-aml-demo", "EastUS", node_count=3)
ARC = ClusterFacts("connectedClusters", ARC_ID, "arc-aml-demo", "eastus", node_count=4, distribution="k3s")
HC_ID = ("/subscriptions/%s/resourceGroups/rg-aml-sandbox/providers/Microsoft.Relay/namespaces/ns/"
         "hybridConnections/arc-aml-demo" % SUB)
RELAY_NAMES = relay_mod.RelayNames(SUB, "rg-aml-sandbox", "ns", "arc-aml-demo", "azureml_rw")
RELAY_SECRET = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=azureml_rw;SharedAccessKey=S3cr3tRelayKey="

# What the CLI injects on every create, per cluster type (AzureMLKubernetes.Create + _dereference).
AKS_INJECTED = {
    "cluster_name": AKS_ID,
    "clusterId": AKS_ID,
    "prometheus.prometheusSpec.externalLabels.cluster_name": AKS_ID,
    "domain": "eastus.cloudapp.azure.com",
    "location": "eastus",
    "jobSchedulerLocation": "eastus",
    "cluster_name_friendly": "aks-aml-demo",
    "servicebus.enabled": "false",
    "relayserver.enabled": "false",
    "nginxIngress.enabled": "true",
}
ARC_INJECTED = {
    "cluster_name": ARC_ID,
    "clusterId": ARC_ID,
    "prometheus.prometheusSpec.externalLabels.cluster_name": ARC_ID,
    "domain": "eastus.cloudapp.azure.com",
    "location": "eastus",
    "jobSchedulerLocation": "eastus",
    "cluster_name_friendly": "arc-aml-demo",
    "servicebus.enabled": "false",
    "relayserver.enabled": "true",
    "nginxIngress.enabled": "false",
}


@pytest.fixture(scope="module")
def pem(tmp_path_factory):
    return pki.write_pair(tmp_path_factory.mktemp("pem"), dns_names=("aml.example.com",))


def cli_base64(path):
    # Verbatim from the CLI's __set_inference_ssl_from_file.
    with open(path) as f:
        return base64.b64encode(f.read().encode("ascii")).decode()


def run(config, protected=None, cluster=AKS, **kwargs):
    normalised = normalise_mod.normalise(config, protected or {})
    warnings = list(normalised.warnings) + rules.validate(normalised, cluster, **kwargs)
    settings, protected, notes = compute_mod.compute(normalised, cluster, **kwargs)
    return DesiredExtension(cluster.cluster_type, settings, protected), warnings + notes


def problems_of(config, protected=None, cluster=AKS, **kwargs):
    with pytest.raises(AmlSettingsError) as info:
        run(config, protected, cluster, **kwargs)
    return info.value.problems


# ------------------------------------------------------------------------------ the seed's four scenarios


def test_scenario_1_aks_proof_of_concept():
    # --config enableTraining=True enableInference=True inferenceRouterServiceType=LoadBalancer
    #          allowInsecureConnections=True InferenceRouterHA=False
    desired, warnings = run({
        "enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
        "allowInsecureConnections": "True", "InferenceRouterHA": "False",
    })
    assert desired.settings == dict(AKS_INJECTED, **{
        "enableTraining": "True",
        "enableInference": "True",
        "inferenceRouterServiceType": "loadBalancer",
        "allowInsecureConnections": "True",
        # The CLI passes 'InferenceRouterHA' through unread (its bug); we read it as the documented key.
        "inferenceRouterHA": "false",
    })
    assert desired.protected == {}
    assert warnings == ["config key 'InferenceRouterHA' was read as 'inferenceRouterHA'"]
    assert not relay_mod.needs_relay(desired)


def test_scenario_2_arc_training_only():
    # --config enableTraining=True --cluster-type connectedClusters
    desired, warnings = run({"enableTraining": "True"}, cluster=ARC)
    # enableInference is the CLI's computed Python False, serialised "False".
    assert desired.settings == dict(ARC_INJECTED, enableTraining="True", enableInference="False")
    assert desired.protected == {}
    assert warnings == []
    assert relay_mod.needs_relay(desired)
    with_relay = relay_mod.with_relay(desired, RELAY_SECRET, RELAY_NAMES)
    assert with_relay.settings == dict(ARC_INJECTED, **{
        "enableTraining": "True",
        "enableInference": "False",
        "relayserver.hybridConnectionResourceID": HC_ID,
        "relayserver.hybridConnectionName": "arc-aml-demo",
    })
    assert with_relay.protected == {
        "relayServerConnectionString": RELAY_SECRET,
        "relayserver.relayConnectionString": RELAY_SECRET,
    }
    assert not relay_mod.needs_relay(with_relay)
    assert desired.protected == {}  # with_relay returns a new value


def test_scenario_3_aks_production_https_with_pem_files(pem):
    desired, warnings = run(
        {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
         "sslCname": "aml.example.com"},
        {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key},
    )
    assert desired.settings == dict(AKS_INJECTED, **{
        "enableTraining": "True",
        "enableInference": "True",
        "inferenceRouterServiceType": "loadBalancer",
        "sslCname": "aml.example.com",
    })
    # The CLI also sends sslCertPemFile/sslKeyPemFile (local paths); we send only the content.
    assert desired.protected == {"scoringFe.sslCert": cli_base64(pem.cert), "scoringFe.sslKey": cli_base64(pem.key)}
    assert warnings == []


def test_scenario_4_arc_nodeport_https_gpu(pem):
    desired, warnings = run(
        {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "NodePort",
         "sslCname": "aml.example.com", "installNvidiaDevicePlugin": "True", "installDcgmExporter": "True"},
        {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key},
        cluster=ARC,
    )
    assert warnings == []
    assert relay_mod.needs_relay(desired)
    desired = relay_mod.with_relay(desired, RELAY_SECRET, RELAY_NAMES)
    assert desired.settings == dict(ARC_INJECTED, **{
        "enableTraining": "True",
        "enableInference": "True",
        "inferenceRouterServiceType": "nodePort",
        "sslCname": "aml.example.com",
        "installNvidiaDevicePlugin": "True",
        "installDcgmExporter": "True",
        "scoringFe.serviceType.nodePort": "True",
        "relayserver.hybridConnectionResourceID": HC_ID,
        "relayserver.hybridConnectionName": "arc-aml-demo",
    })
    assert desired.protected == {
        "scoringFe.sslCert": cli_base64(pem.cert),
        "scoringFe.sslKey": cli_base64(pem.key),
        "relayServerConnectionString": RELAY_SECRET,
        "relayserver.relayConnectionString": RELAY_SECRET,
    }


# ------------------------------------------------------------------------------------- the CLI's rules


def test_neither_workload_enabled():
    assert problems_of({"enableTraining": "false"}) == [
        "enableTraining and enableInference are both false or unset: set enableTraining: true (training, "
        "batch endpoints) and/or enableInference: true (online endpoints)"]


def test_inference_needs_service_type():
    problems = problems_of({"enableInference": True, "allowInsecureConnections": True})
    assert problems == ["inferenceRouterServiceType is required when enableInference is true: set it to "
                        "loadBalancer, nodePort or clusterIP"]


def test_service_type_must_be_one_of_three():
    problems = problems_of({"enableInference": True, "allowInsecureConnections": True,
                            "inferenceRouterServiceType": "Ingress"})
    assert problems == ["inferenceRouterServiceType must be loadBalancer, nodePort or clusterIP (any case), got 'Ingress'"]


def test_inference_without_tls_needs_allow_insecure():
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "clusterIP"})
    assert len(problems) == 1
    assert problems[0].startswith("enableInference is true but no TLS material is given")
    assert "allowInsecureConnections: true" in problems[0]


def test_https_needs_cname_even_with_allow_insecure():
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "clusterIP",
                            "sslSecret": "aml-tls", "allowInsecureConnections": True})
    assert problems == ["sslCname is required with HTTPS (sslSecret or sslCertPemFile/sslKeyPemFile): set it to "
                        "the host name clients use for the inference endpoint"]


def test_ssl_secret_is_translated():
    desired, _warnings = run({"enableInference": True, "inferenceRouterServiceType": "clusterIP", "sslSecret": "aml-tls",
                              "sslCname": "aml.example.com"})
    assert desired.settings["scoringFe.sslSecret"] == "aml-tls"
    assert desired.settings["sslSecret"] == "aml-tls"
    assert "scoringFe.serviceType.nodePort" not in desired.settings


def test_ssl_secret_and_pem_pair_refused(pem):
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "clusterIP",
                            "sslSecret": "aml-tls", "sslCname": "aml.example.com"},
                           {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key})
    assert problems == ["sslSecret and sslCertPemFile/sslKeyPemFile are both given: use one of them (the az CLI "
                        "silently prefers the PEM files)"]


def test_pem_files_come_together(pem):
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "clusterIP",
                            "sslCname": "aml.example.com", "allowInsecureConnections": True},
                           {"sslCertPemFile": pem.cert})
    assert problems == ["sslCertPemFile is given without sslKeyPemFile: give both in config_protected"]


def test_internal_load_balancer_on_aks_is_translated():
    desired, _warnings = run({"enableInference": True, "inferenceRouterServiceType": "loadBalancer",
                              "internalLoadBalancerProvider": "Azure", "allowInsecureConnections": True})
    assert desired.settings["internalLoadBalancerProvider"] == "azure"
    assert desired.settings["scoringFe.serviceType.internalLoadBalancer"] == "True"


def test_internal_load_balancer_only_azure():
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "loadBalancer",
                            "internalLoadBalancerProvider": "aws", "allowInsecureConnections": True})
    assert problems == ["internalLoadBalancerProvider must be azure (any case), got 'aws'"]


def test_internal_load_balancer_on_arc_refused():
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "loadBalancer",
                            "internalLoadBalancerProvider": "azure", "allowInsecureConnections": True}, cluster=ARC)
    assert problems == ["internalLoadBalancerProvider works on AKS (managedClusters) only and this is a "
                        "connectedClusters cluster (health check E40003): remove internalLoadBalancerProvider"]


def test_internal_load_balancer_with_nodeport_refused():
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "nodeport",
                            "internalLoadBalancerProvider": "azure", "allowInsecureConnections": True})
    assert problems == ["internalLoadBalancerProvider: azure does not apply to inferenceRouterServiceType "
                        "nodePort: remove internalLoadBalancerProvider, or use loadBalancer"]


def test_all_problems_are_reported_at_once():
    problems = problems_of({"enableInference": True, "internalLoadBalancerProvider": "azure",
                            "sslSecret": "aml-tls"}, cluster=ARC)
    assert [p.split(" ")[0] for p in problems] == [
        "inferenceRouterServiceType", "sslCname", "internalLoadBalancerProvider"]


def test_service_bus_and_log_analytics_creation_refused():
    problems = problems_of({"enableTraining": True, "servicebus.enabled": "true", "logAnalyticsWS": True})
    assert [p.split(":")[0] for p in problems] == ["servicebus.enabled", "logAnalyticsWS"]
    desired, _warnings = run({"enableTraining": True, "azure_log_analytics.enabled": True,
                              "azure_log_analytics.customer_id": "c1"},
                             {"azure_log_analytics.connection_string": "shared-key"})
    assert desired.settings["azure_log_analytics.enabled"] == "True"
    assert desired.protected == {"azure_log_analytics.connection_string": "shared-key"}


LOG_ANALYTICS = {"enableTraining": True, "azure_log_analytics.enabled": True, "azure_log_analytics.customer_id": "c1"}


def test_log_analytics_ws_true_refused_even_with_an_existing_workspace():
    # One rule, as the module documentation says: logAnalyticsWS only ever asks for a workspace to be created.
    for protected in ({}, {"azure_log_analytics.connection_string": "shared-key"}):
        problems = problems_of(dict(LOG_ANALYTICS, logAnalyticsWS=True), protected)
        assert len(problems) == 1
        assert problems[0].startswith("logAnalyticsWS: true makes the az CLI create a Log Analytics workspace")
        assert "remove logAnalyticsWS" in problems[0] and "shared-key" not in problems[0]
    assert problems_of({"enableTraining": True}, {"logAnalyticsWS": "TRUE"})[0].startswith("logAnalyticsWS: true")
    desired, _warnings = run(dict(LOG_ANALYTICS, logAnalyticsWS=False))
    assert desired.settings["logAnalyticsWS"] == "False"


def test_log_analytics_ws_already_on_the_extension_is_not_refused_on_update():
    # An extension the az CLI installed with logAnalyticsWS=true: the workspace exists; the user did not ask for it.
    current = dict(AKS_INJECTED, enableTraining="True", enableInference="False", logAnalyticsWS="True")
    current.update({"azure_log_analytics.enabled": "True", "azure_log_analytics.customer_id": "c1"})
    desired, warnings = run({"installPromOp": False}, operation="update", current_settings=current)
    assert "logAnalyticsWS" not in desired.settings
    assert warnings == []
    # Protected settings replace the whole protected set on Azure: without the workspace key it would be lost.
    _desired, warnings = run({}, {"relayServerConnectionString": RELAY_SECRET}, operation="update",
                             current_settings=current)
    assert warnings == ["the extension sends its logs to a Log Analytics workspace (azure_log_analytics.enabled is "
                        "true) but config_protected has no azure_log_analytics.connection_string: Azure replaces the "
                        "protected settings as a whole, so when they are sent the workspace key is removed; give it "
                        "in config_protected"]
    _desired, warnings = run({}, {"relayServerConnectionString": RELAY_SECRET,
                                  "azure_log_analytics.connection_string": "k"},
                             operation="update", current_settings=current)
    assert warnings == []


# ------------------------------------------------------------------------------------------- normalise


@pytest.mark.parametrize("value, sent", [
    (True, "True"), (False, "False"), ("true", "True"), ("TRUE", "True"), ("False", "False"), ("fAlSe", "False"),
])
def test_bool_spellings_are_canonical(value, sent):
    assert normalise_mod.normalise({"enableTraining": value}, {}).settings == {"enableTraining": sent}
    lower = normalise_mod.normalise({"inferenceRouterHA": value}, {}).settings["inferenceRouterHA"]
    assert lower == sent.lower()


@pytest.mark.parametrize("value", ["maybe", "yes", "1", 1, 0, ""])
def test_non_bool_refused(value):
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"installPromOp": value}, {})
    assert info.value.problems == ["installPromOp must be true or false (any case), got %r: set installPromOp: "
                                   "true or installPromOp: false" % (value,)]


def test_key_case_is_fixed_with_a_warning_in_both_maps():
    normalised = normalise_mod.normalise({"EnableTraining": "true", "NodeSelector.Pool": "gpu"},
                                         {"sslkeypemfile": "k.pem", "SSLCertPemFile": "c.pem"})
    assert normalised.settings == {"enableTraining": "True", "nodeSelector.Pool": "gpu"}
    assert set(normalised.protected) == {"sslKeyPemFile", "sslCertPemFile"}
    assert normalised.warnings == (
        "config key 'EnableTraining' was read as 'enableTraining'",
        "config key 'NodeSelector.Pool' was read as 'nodeSelector.Pool'",
        "config_protected key 'sslkeypemfile' was read as 'sslKeyPemFile'",
        "config_protected key 'SSLCertPemFile' was read as 'sslCertPemFile'",
    )


def test_two_spellings_of_one_key_refused():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"inferenceRouterHA": "false", "InferenceRouterHA": "true"}, {})
    assert info.value.problems == ["config: inferenceRouterHA is given twice (differing only in case): keep one"]


def test_unknown_key_refused_with_suggestion():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"enableTrainning": True, "inferenceRouterServiceTyp": "nodePort", "zzz": 1}, {})
    assert info.value.problems == [
        "config key 'enableTrainning' is not an AzureML extension setting: did you mean enableTraining (Install the training and batch scoring "
        "components)? fix or remove it",
        "config key 'inferenceRouterServiceTyp' is not an AzureML extension setting: did you mean "
        "inferenceRouterServiceType (Service type of the azureml-fe router)? fix or remove it",
        "config key 'zzz' is not an AzureML extension setting: fix or remove it",
    ]


def test_unknown_key_passes_through_only_when_allowed():
    normalised = normalise_mod.normalise({"gateway.replicas": 2}, {}, allow_unknown=True)
    assert normalised.settings == {"gateway.replicas": "2"}
    assert normalised.warnings == ("config key 'gateway.replicas' is not a known AzureML setting; it is passed "
                                   "through unchecked",)


def test_advanced_and_legacy_keys_pass_through():
    desired, warnings = run({
        "enableTraining": True, "nginxIngress.controller": "k8s.io/amlarc-ingress-nginx",
        "volcanoScheduler.schedulerConfigMap": "no-gang", "amloperator.skipResourceValidation": True,
        "inferenceLoadBalancerHA": "False", "nodeSelector.pool": "", "nodeSelector.zone": 1,
    })
    assert {k: desired.settings[k] for k in ("nginxIngress.controller", "volcanoScheduler.schedulerConfigMap",
                                             "amloperator.skipResourceValidation", "inferenceLoadBalancerHA",
                                             "nodeSelector.pool", "nodeSelector.zone")} == {
        "nginxIngress.controller": "k8s.io/amlarc-ingress-nginx", "volcanoScheduler.schedulerConfigMap": "no-gang",
        "amloperator.skipResourceValidation": "true", "inferenceLoadBalancerHA": "False",
        "nodeSelector.pool": "", "nodeSelector.zone": "1"}
    assert warnings == ["inferenceLoadBalancerHA is a legacy setting that current extension versions may ignore: "
                        "use inferenceRouterHA"]


def test_computed_scoring_fe_keys_refused_with_the_key_to_use():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"scoringFe.sslSecret": "x"}, {"scoringFe.sslCert": "QUJD"})
    assert info.value.problems == [
        "scoringFe.sslSecret is computed by this collection, not set directly: set sslSecret instead",
        "scoringFe.sslCert is computed by this collection, not set directly: set sslCertPemFile (in "
        "config_protected) instead",
    ]


def test_protected_only_key_in_config_refused():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"sslCertPemFile": "/secret/cert.pem", "relayServerConnectionString": RELAY_SECRET}, {})
    assert info.value.problems == [
        "sslCertPemFile holds a secret or a local path and belongs in config_protected: move sslCertPemFile to "
        "config_protected",
        "relayServerConnectionString holds a secret or a local path and belongs in config_protected: move "
        "relayServerConnectionString to config_protected",
    ]
    assert "/secret/" not in str(info.value) and RELAY_SECRET not in str(info.value)


def test_public_only_key_in_protected_refused():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({}, {"location": "westus"})
    assert info.value.problems == ["location is a public setting: move location to config"]


def test_same_key_in_both_maps_refused():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"sslCname": "a.example.com"}, {"sslCname": "a.example.com"})
    assert info.value.problems == ["sslCname is given in both config and config_protected: keep it in one of them "
                                   "(config_protected if it is a secret)"]


def test_values_rendered_as_strings_and_bad_shapes_refused():
    assert normalise_mod.normalise({"sslCname": 42, "clusterPurpose": "devtest"}, {}).settings == {
        "sslCname": "42", "clusterPurpose": "DevTest"}
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"sslCname": None, "sslSecret": ["a"], "domain": ""}, {})
    assert info.value.problems == [
        "sslCname in config has no value: give a value or remove the key",
        "sslSecret in config must be a scalar (a string, number or boolean), not a list or mapping",
        "domain in config is empty: give a value or remove the key",
    ]


def test_node_selector_without_a_label_refused():
    for config in ({"enableTraining": True, "nodeSelector.": "gpu"}, {"enableTraining": True, "NodeSelector.": "gpu"}):
        with pytest.raises(AmlSettingsError) as info:
            normalise_mod.normalise(config, {})
        assert info.value.problems == ["config key 'nodeSelector.' has no label: write nodeSelector.<label>: <value>, "
                                       "e.g. nodeSelector.kubernetes.io/os: linux"]


def test_node_selector_mapping_is_flattened():
    normalised = normalise_mod.normalise(
        {"enableTraining": True, "nodeSelector": {"role": "ml", "zone": 1, "gpu": True, "x": ""}}, {})
    assert normalised.settings == {"enableTraining": "True", "nodeSelector.role": "ml", "nodeSelector.zone": "1",
                                   "nodeSelector.gpu": "true", "nodeSelector.x": ""}
    assert normalised.warnings == ()
    # The same bytes as the flat form.
    flat = normalise_mod.normalise({"enableTraining": True, "nodeSelector.role": "ml", "nodeSelector.zone": 1,
                                    "nodeSelector.gpu": True, "nodeSelector.x": ""}, {})
    assert flat.settings == normalised.settings
    cased = normalise_mod.normalise({"NodeSelector": {"Role": "ml"}}, {"nodeselector": {"pool": "a"}})
    assert cased.settings == {"nodeSelector.Role": "ml"}  # the label keeps its case
    assert cased.protected == {"nodeSelector.pool": "a"}
    assert cased.warnings == ("config key 'NodeSelector' was read as 'nodeSelector'",
                              "config_protected key 'nodeselector' was read as 'nodeSelector'")
    assert normalise_mod.normalise({"nodeSelector": {}}, {}).settings == {}


def test_node_selector_mapping_bad_shapes_refused():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"nodeSelector": {"role": {"a": 1}, "zone": ["a"], "": "x", "none": None}}, {})
    assert info.value.problems == [
        "nodeSelector.role in config must be a scalar (a string, number or boolean), not a list or mapping: "
        "nodeSelector takes one level of <label>: <value>",
        "nodeSelector.zone in config must be a scalar (a string, number or boolean), not a list or mapping: "
        "nodeSelector takes one level of <label>: <value>",
        "config key 'nodeSelector' has an empty label: write nodeSelector.<label>: <value>, "
        "e.g. nodeSelector.kubernetes.io/os: linux",
        "nodeSelector.none in config has no value: give a value or remove the key",
    ]
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"nodeSelector.pool": ["a"], "nodeSelector": "gpu"}, {})
    assert info.value.problems == [  # in the order given
        "nodeSelector.pool in config must be a scalar (a string, number or boolean), not a list or mapping",
        "nodeSelector in config must be a mapping of node labels to values: write nodeSelector: {<label>: <value>} "
        "or nodeSelector.<label>: <value>",
    ]


def test_node_selector_label_given_twice_refused():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"nodeSelector.role": "a", "nodeSelector": {"role": "b"}}, {})
    assert info.value.problems == ["config: nodeSelector.role is given twice (as nodeSelector.role and in the "
                                   "nodeSelector mapping): keep one"]


def test_unknown_key_close_to_node_selector_suggests_the_label_form():
    with pytest.raises(AmlSettingsError) as info:
        normalise_mod.normalise({"nodeSelecter": {"a": "b"}}, {})
    assert info.value.problems == ["config key 'nodeSelecter' is not an AzureML extension setting: did you mean "
                                   "nodeSelector.<label> (Restrict the extension and the workloads to nodes with "
                                   "these labels)? fix or remove it"]


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], ("a",), {"a"}])
def test_any_list_or_mapping_value_refused_naming_the_key(value):
    for config, protected, where in (({"installPromOp": value}, {}, "config"),
                                     ({}, {"sslCname": value}, "config_protected")):
        with pytest.raises(AmlSettingsError) as info:
            normalise_mod.normalise(config, protected)
        key = next(iter(config or protected))
        assert info.value.problems == ["%s in %s must be a scalar (a string, number or boolean), not a list or "
                                       "mapping" % (key, where)]


def test_workload_flags_given_in_protected_are_sent_in_settings():
    desired, _warnings = run({}, {"enableTraining": "true"})
    assert desired.settings["enableTraining"] == "True"
    assert desired.settings["enableInference"] == "False"
    assert desired.protected == {}


# -------------------------------------------------------------------------------- computed settings


def test_small_cluster_defaults_each_only_if_absent():
    small = ClusterFacts("managedClusters", AKS_ID, "aks-aml-demo", "eastus", node_count=2)
    desired, warnings = run({"enableTraining": True}, cluster=small)
    assert desired.settings["clusterPurpose"] == "DevTest"
    assert desired.settings["inferenceRouterHA"] == "false"
    assert warnings == ["the cluster has 2 node(s): clusterPurpose defaults to DevTest and inferenceRouterHA to false"]
    desired, _warnings = run({"enableTraining": True, "clusterPurpose": "FastProd", "inferenceRouterHA": False}, cluster=small)
    assert (desired.settings["clusterPurpose"], desired.settings["inferenceRouterHA"]) == ("FastProd", "false")
    desired, _warnings = run({"enableTraining": True}, cluster=AKS)
    assert "clusterPurpose" not in desired.settings and "inferenceRouterHA" not in desired.settings


def test_small_cluster_note_names_only_what_was_injected():
    small = ClusterFacts("connectedClusters", ARC_ID, "arc-aml-demo", "eastus", node_count=1)
    inference = {"enableInference": True, "inferenceRouterServiceType": "nodePort", "allowInsecureConnections": True}
    _desired, warnings = run(dict(inference, inferenceRouterHA=True), cluster=small)
    assert not any("inferenceRouterHA to false" in w or "inferenceRouterHA defaults" in w for w in warnings)
    assert "the cluster has 1 node(s): clusterPurpose defaults to DevTest" in warnings
    _desired, warnings = run(dict(inference, clusterPurpose="FastProd"), cluster=small)
    assert "the cluster has 1 node(s): inferenceRouterHA defaults to false" in warnings
    _desired, warnings = run(dict(inference, clusterPurpose="FastProd", inferenceRouterHA=False), cluster=small)
    assert warnings == []
    # On update the extension's own values are kept, not injected.
    current = dict(ARC_INJECTED, enableTraining="True", clusterPurpose="FastProd", inferenceRouterHA="true")
    desired, warnings = run({"installPromOp": False}, cluster=small, operation="update", current_settings=current)
    assert (desired.settings["clusterPurpose"], desired.settings["inferenceRouterHA"]) == ("FastProd", "true")
    assert not any("defaults to" in w for w in warnings)


def test_explicit_router_ha_under_three_nodes_warns():
    small = ClusterFacts("connectedClusters", ARC_ID, "arc-aml-demo", "eastus", node_count=1)
    desired, warnings = run({"enableInference": True, "inferenceRouterServiceType": "nodePort",
                             "allowInsecureConnections": True, "inferenceRouterHA": "True"}, cluster=small)
    assert desired.settings["inferenceRouterHA"] == "true"
    assert warnings[0] == ("inferenceRouterHA is true but the cluster has 1 node(s); three router replicas need at "
                           "least 3 nodes and the install will fail health check E40002: set inferenceRouterHA: "
                           "false or add nodes")
    _desired, warnings = run({"enableInference": True, "inferenceRouterServiceType": "nodePort",
                              "allowInsecureConnections": True, "inferenceRouterHA": "True"}, cluster=ARC)
    assert warnings == []


@pytest.mark.parametrize("distribution, expected", [("openshift", "true"), ("OpenShift", "true"), ("k3s", None),
                                                    (None, None)])
def test_openshift(distribution, expected):
    cluster = ClusterFacts("connectedClusters", ARC_ID, "arc-aml-demo", "eastus", 4, distribution)
    desired, _warnings = run({"enableTraining": True}, cluster=cluster)
    assert desired.settings.get("openshift") == expected


def test_user_values_win_over_injected_ones_and_domain_is_honoured():
    desired, _warnings = run({"enableTraining": True, "domain": "corp.example.com", "location": "westeurope",
                              "cluster_name": "custom", "clusterId": "other", "relayserver.enabled": False}, cluster=ARC)
    assert desired.settings["domain"] == "corp.example.com"  # the CLI reads 'doamin' and overwrites it
    assert desired.settings["location"] == "westeurope"
    assert desired.settings["jobSchedulerLocation"] == "eastus"
    assert desired.settings["clusterId"] == "other"
    assert desired.settings["prometheus.prometheusSpec.externalLabels.cluster_name"] == "custom"
    assert desired.settings["relayserver.enabled"] == "false"
    assert not relay_mod.needs_relay(desired)


def test_own_relay_connection_string_is_aliased_and_no_relay_needed():
    desired, _warnings = run({"enableTraining": True}, {"relayServerConnectionString": RELAY_SECRET}, cluster=ARC)
    assert desired.protected == {"relayServerConnectionString": RELAY_SECRET,
                                 "relayserver.relayConnectionString": RELAY_SECRET}
    assert not relay_mod.needs_relay(desired)


def test_relay_on_aks_when_enabled_explicitly():
    desired, _warnings = run({"enableTraining": True, "relayserver.enabled": "True"})
    assert desired.settings["relayserver.enabled"] == "true"
    assert relay_mod.needs_relay(desired)


def test_aks_migration_sets_scoring_namespace():
    desired, _warnings = run({"enableInference": True, "inferenceRouterServiceType": "loadBalancer",
                              "allowInsecureConnections": True, "isAKSMigration": "True"})
    assert desired.settings["isAKSMigration"] == "true"
    assert desired.settings["scoringFe.namespace"] == "default"
    desired, _warnings = run({"enableTraining": True, "isAKSMigration": True})
    assert "scoringFe.namespace" not in desired.settings


def test_pem_with_allow_insecure_still_sends_content_not_paths(pem):
    desired, _warnings = run({"enableInference": True, "inferenceRouterServiceType": "clusterIP",
                              "allowInsecureConnections": True, "sslCname": "aml.example.com"},
                             {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key})
    assert set(desired.protected) == {"scoringFe.sslCert", "scoringFe.sslKey"}


def test_pem_ignored_without_inference(pem):
    desired, warnings = run({"enableTraining": True}, {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key})
    assert desired.protected == {}
    assert "TLS settings are ignored while enableInference is false" in warnings


# ------------------------------------------------------------------------------------------ PEM checks


HTTPS = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslCname": "aml.example.com"}


def test_pem_problems_become_setting_problems(tmp_path, pem):
    garbage = pki.write(tmp_path, "garbage.pem", b"hello\n")
    problems = problems_of(HTTPS, {"sslCertPemFile": garbage, "sslKeyPemFile": str(tmp_path / "missing.pem")})
    assert [p.split(":")[0] for p in problems] == ["sslCertPemFile", "sslKeyPemFile"]
    key = pki.rsa_key()
    locked = pki.write(tmp_path, "locked.pem", pki.key_pem(key, b"pw"))
    cert = pki.write(tmp_path, "c.pem", pki.cert_pem(pki.certificate(key)))
    assert "passphrase" in problems_of(HTTPS, {"sslCertPemFile": cert, "sslKeyPemFile": locked})[0]
    assert "does not match" in problems_of(HTTPS, {"sslCertPemFile": cert, "sslKeyPemFile": pem.key})[0]


def test_expired_and_uncovered_certificate_are_refused(tmp_path):
    files = pki.write_pair(tmp_path, expired=True, dns_names=("other.example.com",))
    problems = problems_of(HTTPS, {"sslCertPemFile": files.cert, "sslKeyPemFile": files.key})
    assert [p.split(" ")[0] for p in problems] == ["sslCertPemFile:", "sslCname"]
    assert "expired on" in problems[0] and "'aml.example.com' is not covered" in problems[1]


def test_certificate_near_expiry_warns(tmp_path):
    files = pki.write_pair(tmp_path, days_valid=10)
    desired, warnings = run(HTTPS, {"sslCertPemFile": files.cert, "sslKeyPemFile": files.key})
    assert [w.split(" ")[0] for w in warnings] == ["sslCertPemFile:"] and "expires on" in warnings[0]
    assert set(desired.protected) == {"scoringFe.sslCert", "scoringFe.sslKey"}


def test_compute_rereads_and_fails_cleanly(tmp_path, pem):
    normalised = normalise_mod.normalise(HTTPS, {"sslCertPemFile": str(tmp_path / "gone.pem"), "sslKeyPemFile": pem.key})
    assert normalise_mod.needs_cryptography(normalised)
    with pytest.raises(AmlSettingsError) as info:
        compute_mod.compute(normalised, AKS)
    assert info.value.problems == ["sslCertPemFile: the file does not exist on the host running the module"]
    assert not normalise_mod.needs_cryptography(normalise_mod.normalise({"enableTraining": True}, {}))


# ------------------------------------------------------------------------------------------------ update


def test_update_refuses_turning_both_workloads_off():
    current = {"enableTraining": "True", "enableInference": "False"}
    problems = problems_of({"enableTraining": False}, operation="update", current_settings=current)
    assert problems == ["this update would leave both enableTraining and enableInference false; the extension "
                        "needs one of them: keep one true, or delete the extension instead"]


def test_update_keeps_current_values_for_what_the_user_did_not_give():
    current = dict(AKS_INJECTED, enableTraining="True", enableInference="True", inferenceRouterServiceType="nodePort",
                   allowInsecureConnections="True", domain="legacy.example.com", clusterId="old-id")
    current["scoringFe.serviceType.nodePort"] = "True"
    desired, _warnings = run({"inferenceRouterServiceType": "loadBalancer"}, operation="update", current_settings=current)
    assert desired.settings["enableTraining"] == "True"  # not flipped to the create default False
    assert desired.settings["domain"] == "legacy.example.com"
    assert desired.settings["clusterId"] == "old-id"
    # The CLI's update path writes the flag False when the service type changes away from nodePort.
    assert desired.settings["scoringFe.serviceType.nodePort"] == "False"


def test_update_enabling_inference_applies_entry_rules():
    current = {"enableTraining": "True", "enableInference": "False"}
    problems = problems_of({"enableInference": True}, operation="update", current_settings=current)
    assert [p.split(" ")[0] for p in problems] == ["inferenceRouterServiceType", "enableInference"]
    # Already on: the current settings satisfy them.
    run({"sslCname": "new.example.com"}, operation="update",
        current_settings={"enableInference": "True", "sslSecret": "aml-tls", "inferenceRouterServiceType": "nodePort"})


INFERENCE_ON = dict(AKS_INJECTED, enableTraining="True", enableInference="True", inferenceRouterServiceType="loadBalancer")


def test_update_with_inference_on_refuses_dropping_insecure_without_tls():
    # Installed for HTTP: nothing TLS-like on the extension, and none given now.
    current = dict(INFERENCE_ON, allowInsecureConnections="True")
    problems = problems_of({"allowInsecureConnections": False}, operation="update", current_settings=current)
    assert len(problems) == 1
    assert problems[0].startswith("enableInference is true but no TLS material is given")
    # sslCname alone is not TLS material when the user gives it now.
    problems = problems_of({"allowInsecureConnections": False, "sslCname": "aml.example.com"}, operation="update",
                           current_settings=current)
    assert problems[0].startswith("enableInference is true but no TLS material is given")
    # Nor when the extension never said anything about it.
    problems = problems_of({"installPromOp": False}, operation="update", current_settings=INFERENCE_ON)
    assert problems[0].startswith("enableInference is true but no TLS material is given")


def test_update_with_inference_on_accepts_tls_given_now(pem):
    current = dict(INFERENCE_ON, allowInsecureConnections="True")
    run({"allowInsecureConnections": False, "sslSecret": "aml-tls", "sslCname": "aml.example.com"},
        operation="update", current_settings=current)
    desired, _warnings = run({"allowInsecureConnections": False, "sslCname": "aml.example.com"},
                             {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key},
                             operation="update", current_settings=current)
    assert set(desired.protected) == {"scoringFe.sslCert", "scoringFe.sslKey"}


@pytest.mark.parametrize("marker", [
    {"sslCname": "aml.example.com"},  # installed with PEM files (Azure never returns them)
    {"sslCname": "aml.example.com", "allowInsecureConnections": "False"},
    {"sslCname": "aml.example.com", "allowInsecureConnections": "True"},  # PEM files and insecure: cannot tell
    {"sslSecret": "aml-tls", "sslCname": "aml.example.com"},
    {"scoringFe.sslSecret": "aml-tls", "sslCname": "aml.example.com"},
    {"ansibleProtectedSettingsFingerprint": "pbkdf2-sha256$1$a$b", "allowInsecureConnections": "True"},
])
def test_update_with_inference_on_trusts_tls_already_on_the_extension(marker):
    # A playbook that no longer passes the PEM files must not be refused for TLS it installed earlier.
    desired, _warnings = run({"allowInsecureConnections": False}, operation="update",
                             current_settings=dict(INFERENCE_ON, **marker))
    assert desired.settings["allowInsecureConnections"] == "False"


def test_update_turning_inference_on_ignores_markers_left_while_it_was_off():
    # PEM content is not sent while inference is off, so an sslCname or a fingerprint proves no TLS.
    current = dict(AKS_INJECTED, enableTraining="True", enableInference="False", sslCname="aml.example.com",
                   ansibleProtectedSettingsFingerprint="pbkdf2-sha256$1$a$b")
    problems = problems_of({"enableInference": True, "inferenceRouterServiceType": "clusterIP"}, operation="update",
                           current_settings=current)
    assert [p.split(" ")[0] for p in problems] == ["enableInference"]


def test_update_null_current_values_are_absent():
    current = dict(INFERENCE_ON, sslCname=None, allowInsecureConnections="True")
    problems = problems_of({"allowInsecureConnections": False}, operation="update", current_settings=current)
    assert problems[0].startswith("enableInference is true but no TLS material is given")


def test_update_with_inference_on_needs_a_service_type():
    current = {"enableTraining": "True", "enableInference": "True", "allowInsecureConnections": "True"}
    problems = problems_of({"installPromOp": False}, operation="update", current_settings=current)
    assert problems == ["inferenceRouterServiceType is required when enableInference is true: set it to "
                        "loadBalancer, nodePort or clusterIP"]
    run({"inferenceRouterServiceType": "clusterIP"}, operation="update", current_settings=current)
    # Turning inference off needs neither.
    run({"enableInference": False}, operation="update", current_settings=current)


# ------------------------------------------------------------------------------ comparison and table


@pytest.mark.parametrize("key, a, b, equal", [
    ("enableTraining", "true", "True", True),
    ("enableTraining", True, "TRUE", True),
    ("enableTraining", "true", "false", False),
    ("relayserver.enabled", "False", "false", True),
    ("inferenceRouterServiceType", "LoadBalancer", "loadBalancer", True),
    ("inferenceRouterServiceType", "nodePort", "clusterIP", False),
    ("sslCname", "AML.example.com", "aml.example.com", False),
    ("sslSecret", "Tls", "tls", False),
    ("nodeSelector.pool", "GPU", "gpu", False),
    ("unknownKey", "A", "a", False),
    ("unknownKey", "a", "a", True),
    ("enableTraining", None, "True", False),
    ("enableTraining", None, None, True),
])
def test_settings_equal_by_type(key, a, b, equal):
    assert table.settings_equal(key, a, b) is equal


def test_canonical_value_and_describe():
    assert table.canonical_value("enableInference", "true") == "True"
    assert table.canonical_value("openshift", True) == "true"
    assert table.canonical_value("inferenceRouterServiceType", "CLUSTERIP") == "clusterIP"
    assert table.canonical_value("enableInference", "maybe") == "maybe"
    assert table.canonical_value("sslCname", 7) == "7"
    assert table.describe("nodeSelector.pool").key == "nodeSelector."
    assert table.describe("nodeSelector.") is None
    assert table.describe("sslKeyPemFile").where == table.IN_PROTECTED
    assert table.describe("nosuch") is None


def test_table_covers_the_seed_and_is_consistent():
    keys = {s.key for s in table.SETTINGS}
    seed = {"enableTraining", "enableInference", "allowInsecureConnections", "inferenceRouterServiceType",
            "internalLoadBalancerProvider", "sslSecret", "sslCname", "inferenceRouterHA", "nodeSelector.",
            "installNvidiaDevicePlugin", "installPromOp", "installVolcano", "installDcgmExporter",
            "sslCertPemFile", "sslKeyPemFile"}
    assert seed <= keys
    assert len(keys) == len(table.SETTINGS)
    for setting in table.SETTINGS:
        assert setting.description
        assert setting.kind in (table.BOOL, table.STRING, table.ENUM)
        assert (setting.kind == table.ENUM) == bool(setting.choices)
        assert (setting.origin in (table.INTERNAL, table.LEGACY)) == bool(setting.instead)


# -------------------------------------------------------------------------------------------------- relay


def test_relay_names_short():
    names = relay_mod.relay_names("arc1", "sub", "rg")
    assert names == relay_mod.RelayNames("sub", "rg", "arc1subrgrelay", "arc1", "azureml_rw")
    assert names.hybrid_connection_id == ("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Relay/namespaces/"
                                          "arc1subrgrelay/hybridConnections/arc1")
    assert names.namespace == "arc1subrgrelay"


def test_relay_names_truncated_with_md5_of_the_unfiltered_name():
    names = relay_mod.relay_names("arc-aml-demo", SUB, "rg-aml-sandbox")
    source = "arc-aml-demo-%s-rg-aml-sandbox-relay" % SUB
    assert names.namespace == "arcamldemo6b1e4d4a00004000800000000000a001rgef74c9"
    assert len(names.namespace) == 50
    assert names.namespace[44:] == hashlib.md5(source.encode()).hexdigest()[:6]


def test_relay_names_exactly_fifty_alphanumerics_are_kept():
    name = relay_mod.relay_names("a" * 36, "b", "c").namespace  # 36 + 1 + 1 + 5 ('relay') = 43
    assert name == "a" * 36 + "bcrelay"
    long_name = relay_mod.relay_names("a" * 43, "b", "c").namespace  # 50 alphanumerics: kept
    assert long_name == "a" * 43 + "bcrelay"
    longer = relay_mod.relay_names("a" * 44, "b", "c").namespace
    assert len(longer) == 50 and longer[:44] == "a" * 44 and longer[44:] != "bcrela"


# -------------------------------------------------------------------------------------------- secrecy


def test_no_protected_value_in_any_message(tmp_path):
    secret = "TopSecretValue-9f8e7d"
    path_secret = str(tmp_path / ("dir-" + secret) / "cert.pem")
    cases = [
        ({"enableInference": True}, {"allowInsecureConnections": secret}),  # bad bool
        ({"enableInference": True}, {"inferenceRouterServiceType": secret}),  # bad enum
        ({"enableTraining": True}, {"sslCname": secret, "bogusKey": secret}),
        (HTTPS, {"sslCertPemFile": path_secret, "sslKeyPemFile": path_secret}),
        (HTTPS, {"sslCertPemFile": path_secret}),
        ({"enableTraining": True, "sslCname": secret}, {"sslCname": secret}),
    ]
    texts = []
    for config, protected in cases:
        try:
            desired, warnings = run(config, protected)
            texts.extend(warnings)
            texts.append(repr(desired))
        except AmlSettingsError as exc:
            texts.append(str(exc))
            texts.extend(exc.problems)
    assert len(texts) >= len(cases)
    assert all(secret not in text for text in texts), [t for t in texts if secret in t]
    desired, _warnings = run({"enableTraining": True}, {"relayServerConnectionString": RELAY_SECRET}, cluster=ARC)
    assert RELAY_SECRET not in repr(desired) and RELAY_SECRET not in repr(normalise_mod.normalise({}, {"relayServerConnectionString": RELAY_SECRET}))


# ------------------------------------------------------------------------------- protected-settings helpers


SECRETS = {"scoringFe.sslCert", "scoringFe.sslKey", "relayServerConnectionString", "relayserver.relayConnectionString",
           "azure_log_analytics.connection_string"}


def test_secret_keys_come_from_the_table():
    assert set(table.secret_keys()) == SECRETS
    assert all(table.describe(key).where == table.IN_PROTECTED for key in table.secret_keys())


@pytest.mark.parametrize("protected, expected", [
    ({}, False),
    ({"allowInsecureConnections": "True"}, False),  # two possible values: brute-forced at once
    ({"sslCname": "aml.example.com", "inferenceRouterServiceType": "loadBalancer"}, False),
    ({"sslCertPemFile": "/etc/tls/cert.pem"}, False),  # a path, never sent
    ({"scoringFe.sslCert": "Y2VydA==", "scoringFe.sslKey": "a2V5"}, True),
    ({"scoringFe.sslKey": "a2V5", "allowInsecureConnections": "True"}, True),
    ({"relayServerConnectionString": RELAY_SECRET}, True),
    ({"relayserver.relayConnectionString": RELAY_SECRET}, True),
    ({"azure_log_analytics.connection_string": "shared-key"}, True),
    ({"azure_log_analytics.connection_string": ""}, False),  # no secret in an empty value
    ({"unknownKey": "x"}, False),
])
def test_fingerprintable(protected, expected):
    assert table.fingerprintable(protected) is expected


def test_fingerprintable_on_what_compute_sends(pem):
    desired, _warnings = run(HTTPS, {"sslCertPemFile": pem.cert, "sslKeyPemFile": pem.key})
    assert table.fingerprintable(desired.protected)
    desired, _warnings = run({"enableTraining": True}, {"installPromOp": "false"})
    assert not table.fingerprintable(desired.protected)


def test_non_secret_protected_keys():
    normalised = normalise_mod.normalise(
        {"enableTraining": True},
        {"allowInsecureConnections": True, "sslCertPemFile": "c.pem", "sslKeyPemFile": "k.pem",
         "clusterPurpose": "devtest", "sslCname": "aml.example.com", "nodeSelector.pool": "gpu",
         "relayServerConnectionString": RELAY_SECRET, "azure_log_analytics.connection_string": "k",
         "enableInference": "true"})
    # enableInference is moved to the public settings, so its value is not masked; PEM paths belong here.
    assert normalise_mod.non_secret_protected_keys(normalised) == ["allowInsecureConnections", "clusterPurpose",
                                                                   "sslCname", "nodeSelector.pool"]
    assert normalise_mod.non_secret_protected_keys(normalise_mod.normalise({"enableTraining": True}, {})) == []
    unknown = normalise_mod.normalise({}, {"someChartValue": "x"}, allow_unknown=True)
    assert normalise_mod.non_secret_protected_keys(unknown) == []  # unknown: it may be a secret


def test_fingerprint_key_matches_protected_fingerprint():
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fingerprint

    assert table.describe(fingerprint.FINGERPRINT_KEY).origin == table.INTERNAL


def test_a_yaml_boolean_label_value_is_sent_as_kubernetes_writes_it():
    normalised = normalise_mod.normalise({"enableTraining": True, "nodeSelector": {"gpu": True}, "nodeSelector.spot": False}, {})
    assert normalised.settings["nodeSelector.gpu"] == "true"
    assert normalised.settings["nodeSelector.spot"] == "false"
