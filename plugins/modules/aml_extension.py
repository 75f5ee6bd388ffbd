#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_extension
short_description: Install, update or remove the Azure Machine Learning extension on AKS or Arc-enabled Kubernetes
version_added: 0.1.0
description:
  - Manages the C(Microsoft.AzureML.Kubernetes) cluster extension on an AKS cluster (O(cluster_type=managedClusters))
    or an Azure Arc-enabled Kubernetes cluster (O(cluster_type=connectedClusters)).
  - Does the settings processing that C(az k8s-extension create --extension-type Microsoft.AzureML.Kubernetes) does, so
    that the extension installs as it does from the CLI.
  - Beyond the CLI, key names are matched whatever their case (with a warning), booleans accept any spelling, unknown
    keys are refused with a suggestion, and every rule is checked before anything is written to Azure.
  - Computes what the CLI injects (cluster id and name, location, C(domain) without the CLI's typo bug, relay, Service Bus
    and ingress switches by cluster type, C(clusterPurpose=DevTest) and C(inferenceRouterHA=false) under three nodes,
    C(openshift=true) on OpenShift), translates the inference settings into the C(scoringFe.*) keys, and sends the
    content of the TLS PEM files (never their local paths).
  - On Arc-enabled clusters it creates or reuses the Azure Relay namespace, hybrid connection and rule the extension
    needs, named as the CLI names them, and sends their connection string as a protected setting.
  - Idempotent. Settings are compared by each key's type after normalisation; only what changed is sent, with the
    current O(auto_upgrade_minor_version) and O(release_train) passed explicitly so that they do not change by
    accident. Keys set on the extension but no longer in O(config) are kept, not removed.
extends_documentation_fragment:
  - azureml.kubernetes.azure
  - azureml.kubernetes.cluster
  - azureml.kubernetes.wait
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: Reads only; reports what would be created, updated or deleted, with a diff.
  diff_mode:
    support: full
    details: Settings before and after; protected settings appear by key with masked values.
options:
  name:
    description:
      - Name of the extension (C(--name) of C(az k8s-extension create)).
      - Checked before any request against the rule Azure Resource Manager applies to extension names, 1 to 253
        characters, letters, digits, C(-) and C(.), starting and ending with a letter or digit.
    type: str
    required: true
  state:
    description: V(present) installs or updates the extension, V(absent) removes it.
    type: str
    default: present
    choices: [present, absent]
  config:
    description:
      - "Configuration settings, with the documentation's key names, each C(--config key=value) becoming one
        C(key: value) entry."
      - "Training and inference: C(enableTraining), C(enableInference) (at least one must be true)."
      - "Inference: C(inferenceRouterServiceType) (V(loadBalancer), V(nodePort) or V(clusterIP), required with
        inference), C(allowInsecureConnections), C(sslCname), C(sslSecret), C(inferenceRouterHA),
        C(internalLoadBalancerProvider) (V(azure), AKS only)."
      - "Components: C(installNvidiaDevicePlugin), C(installPromOp), C(installVolcano), C(installDcgmExporter),
        C(nodeSelector.<label>) (or a mapping under C(nodeSelector))."
      - "Also read: C(clusterPurpose), C(isAKSMigration), C(logAnalyticsWS), C(domain), C(location),
        C(jobSchedulerLocation), C(cluster_name), C(cluster_name_friendly), C(servicebus.enabled),
        C(relayserver.enabled), C(nginxIngress.enabled), C(openshift), and the documented advanced keys
        C(nginxIngress.controller), C(volcanoScheduler.schedulerConfigMap), C(amloperator.skipResourceValidation)."
      - "An existing Log Analytics workspace: C(azure_log_analytics.enabled), C(azure_log_analytics.customer_id) (and its
        key in O(config_protected)). The CLI's C(logAnalyticsWS=true), which creates a
        workspace, and C(servicebus.enabled=true) are refused: this module creates neither."
      - Booleans may be YAML booleans or strings in any case. An unknown key fails with the closest known key.
    type: dict
    default: {}
  config_protected:
    description:
      - Protected configuration settings (C(--config-protected)). Azure stores them encrypted and never returns them.
      - C(sslCertPemFile) and C(sslKeyPemFile) are paths on the controller to the PEM certificate (chain) and its key
        without a passphrase; before any write the files go through the certificate checker of
        M(azureml.kubernetes.aml_tls_check) (they parse, the key matches the server certificate, every certificate is
        valid now, the chain is in order, C(sslCname) is covered by a DNS subjectAltName; a certificate expiring within
        30 days is warned about) and their content is sent as C(scoringFe.sslCert) and C(scoringFe.sslKey).
      - C(azure_log_analytics.connection_string) is the shared key of an existing Log Analytics workspace.
      - C(relayServerConnectionString) uses an existing Azure Relay hybrid connection on an Arc-enabled cluster instead of
        creating one.
    type: dict
    default: {}
  allow_unknown_settings:
    description:
      - Send configuration keys this module does not know (with a warning) instead of refusing them, for settings of a
        newer extension version.
    type: bool
    default: false
  update_protected:
    description:
      - When protected settings are sent to an existing extension. Azure never returns them, so they cannot be read back
        and compared.
      - V(when_changed) stores a salted PBKDF2-SHA256 fingerprint of the protected settings in the setting
        C(ansibleProtectedSettingsFingerprint) whenever it sends them, and sends them again only when they no longer match
        it, for example after a certificate rotation. An extension without the fingerprint (installed by another tool)
        gets them once. The fingerprint is kept only when the protected settings include secret material (a certificate
        and key, a connection string); other protected values are sent on create, as with V(on_create).
      - V(on_create) sends them only when the extension is created, or when a failed extension is applied again.
      - V(always) sends the complete set on every run, so the task always reports a change.
      - Whatever is sent is the complete set (with the Azure Relay connection string on Arc-enabled clusters), because
        Azure replaces the protected settings as a whole.
    type: str
    default: when_changed
    choices: [when_changed, on_create, always]
  force_update:
    description:
      - With O(state=present) and an existing extension, send the update (a PATCH with every setting, the current
        upgrade properties and, when O(config_protected) is given, the complete protected settings) even when
        everything compares equal, so that the extension applies its settings again. The task reports a change;
        check mode predicts it and sends nothing; the diff shows the equal settings with a note.
      - The case it is for is the rotation of the Secret C(sslSecret) names (role P(azureml.kubernetes.tls#role),
        C(tls_result.rotated)), which leaves the settings unchanged; the extension reads the Secret only when it is
        installed or updated, so it must be told, as the documentation's C(az k8s-extension update) step does, for
        example with O(force_update=true) set from C(tls_result.rotated).
      - With V(false) (the default) nothing is sent when nothing differs. Ignored when the extension is created.
    type: bool
    default: false
  release_train:
    description: Release train of the extension, V(stable) when the extension is created without one.
    type: str
  version:
    description:
      - Exact extension version to install. Needs O(auto_upgrade_minor_version=false), which it implies when unset.
    type: str
  auto_upgrade_minor_version:
    description:
      - Whether Azure upgrades the extension's minor version itself. Defaults to V(true) at creation unless O(version)
        is set; an existing extension keeps its value unless this is set.
    type: bool
  scope:
    description:
      - Scope of the extension. Azure Machine Learning supports only V(cluster) scope (released into namespace
        C(azureml)); V(namespace) is refused with an explanation.
    type: str
    default: cluster
    choices: [cluster, namespace]
  force:
    description:
      - With O(state=absent), remove the extension resource from Azure at once, without waiting for the cluster's
        agent to uninstall it (C(az k8s-extension delete --force)).
    type: bool
    default: false
  delete_relay:
    description:
      - With O(state=absent), also delete the Azure Relay hybrid connection of the cluster (created for Arc-enabled
        clusters, or with C(relayserver.enabled=true)), and its namespace when no other hybrid connection is left in it.
        The CLI leaves them behind.
    type: bool
    default: false
  register_provider:
    description:
      - Register the C(Microsoft.KubernetesConfiguration) resource provider (and C(Microsoft.Relay) for an Arc-enabled
        cluster) when the subscription has not registered it yet, and wait for it. With V(false) an unregistered provider
        fails the task. The Azure SDK's silent automatic registration is turned off either way.
      - A registration is read only when something is to be created; an existing extension (or Relay rule) shows its
        provider registered, so a run that changes nothing or updates reads none.
    type: bool
    default: true
notes:
  - Azure never returns protected settings; see O(update_protected) for how changes to them are noticed.
  - Failed installs report the extension's C(errorInfo) and C(statuses), with the documented cause and fix of the
    extension's health-check codes (E40001, E40002, E40003, E40007, E45002, E45004, E45005).
seealso:
  - module: azureml.kubernetes.aml_extension_info
  - name: Deploy the Azure Machine Learning extension on AKS or Arc Kubernetes
    description: The documentation whose settings and scenarios this module follows.
    link: https://learn.microsoft.com/azure/machine-learning/how-to-deploy-kubernetes-extension
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Quick proof of concept on AKS, training and inference over HTTP (the documentation's first scenario)
  azureml.kubernetes.aml_extension:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
    config:
      enableTraining: true
      enableInference: true
      inferenceRouterServiceType: LoadBalancer
      allowInsecureConnections: true
      inferenceRouterHA: false

- name: Training only on an Arc-enabled cluster (second scenario)
  azureml.kubernetes.aml_extension:
    cluster_type: connectedClusters
    cluster_name: my-arc-cluster
    resource_group: my-rg
    name: azureml
    config:
      enableTraining: true

- name: Production training and inference on AKS with HTTPS (third scenario)
  azureml.kubernetes.aml_extension:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
    config:
      enableTraining: true
      enableInference: true
      inferenceRouterServiceType: LoadBalancer
      sslCname: ml.contoso.com
    config_protected:
      sslCertPemFile: files/cert.pem
      sslKeyPemFile: files/key.pem

- name: Production on Arc with NodePort, HTTPS and NVIDIA GPUs (fourth scenario)
  azureml.kubernetes.aml_extension:
    cluster_type: connectedClusters
    cluster_name: my-arc-cluster
    resource_group: my-rg
    name: azureml
    config:
      enableTraining: true
      enableInference: true
      inferenceRouterServiceType: NodePort
      sslCname: ml.contoso.com
      installNvidiaDevicePlugin: true
      installDcgmExporter: true
    config_protected:
      sslCertPemFile: files/cert.pem
      sslKeyPemFile: files/key.pem

- name: Rotate the TLS certificate (the changed files are noticed and sent again)
  azureml.kubernetes.aml_extension:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
    config:
      enableTraining: true
      enableInference: true
      inferenceRouterServiceType: LoadBalancer
      sslCname: ml.contoso.com
    config_protected:
      sslCertPemFile: files/new-cert.pem
      sslKeyPemFile: files/new-key.pem

# After role azureml.kubernetes.tls rotated the pair in the Secret sslSecret names (the settings are unchanged):
- name: Tell the extension, which reads the new Secret only when updated
  azureml.kubernetes.aml_extension:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
    config: "{{ {'enableInference': true, 'inferenceRouterServiceType': 'LoadBalancer'}
                | combine(tls_result.extension_settings) }}"
    force_update: "{{ tls_result.rotated }}"

- name: Remove the extension and the Relay resources the install created
  azureml.kubernetes.aml_extension:
    cluster_type: connectedClusters
    cluster_name: my-arc-cluster
    resource_group: my-rg
    name: azureml
    state: absent
    delete_relay: true
"""

RETURN = r"""
extension:
  description: The extension as Azure reports it after the task (empty after a removal).
  returned: always
  type: dict
  contains:
    id:
      description: ARM resource id.
      type: str
      sample: >-
        /subscriptions/0000/resourceGroups/my-rg/providers/Microsoft.ContainerService/managedClusters/my-aks/providers/Microsoft.KubernetesConfiguration/extensions/azureml
    name:
      description: Extension name.
      type: str
      sample: azureml
    type:
      description: ARM resource type.
      type: str
      sample: Microsoft.KubernetesConfiguration/extensions
    extension_type:
      description: Extension type.
      type: str
      sample: Microsoft.AzureML.Kubernetes
    provisioning_state:
      description: C(Succeeded), C(Failed), C(Creating), C(Updating), C(Deleting) or C(Canceled).
      type: str
      sample: Succeeded
    version:
      description: The pinned version, if any.
      type: str
    current_version:
      description: The version installed on the cluster.
      type: str
      sample: 1.1.70
    release_train:
      description: Release train.
      type: str
      sample: stable
    auto_upgrade_minor_version:
      description: Whether Azure upgrades minor versions itself.
      type: bool
    release_namespace:
      description: Namespace the extension is released into.
      type: str
      sample: azureml
    settings:
      description: The configuration settings (protected settings are never returned by Azure).
      type: dict
      sample: {"enableTraining": "True", "enableInference": "False"}
    statuses:
      description: Status messages the extension's agent reported.
      type: list
      elements: dict
    error_info:
      description: Error details of a failed operation.
      type: dict
    identity:
      description: The extension's managed identity, on Arc-enabled clusters.
      type: dict
cluster:
  description:
    - Facts about the cluster that the settings processing used.
    - When the extension exists and nothing is sent, the cluster is not read (the extension's settings hold what was
      computed from it); then only C(cluster_type), C(id), C(name) and C(location) are known, and C(node_count),
      C(distribution), C(kubernetes_version) and C(provisioning_state) are null. A run that writes reads the cluster.
  returned: when O(state=present)
  type: dict
  contains:
    cluster_type:
      description: V(managedClusters) or V(connectedClusters).
      type: str
    id:
      description: ARM id of the cluster, as C(az k8s-extension) builds it (with C(/resourceGroups/)).
      type: str
      sample: /subscriptions/0000/resourceGroups/my-rg/providers/Microsoft.ContainerService/managedClusters/my-aks
    name:
      description: Name of the cluster.
      type: str
    kubernetes_version:
      description: Kubernetes version of the cluster.
      type: str
    provisioning_state:
      description: Provisioning state of the cluster.
      type: str
    location:
      description: Azure region of the cluster.
      type: str
    node_count:
      description: Nodes counted (agent pools on AKS, C(totalNodeCount) on Arc).
      type: int
    distribution:
      description: Kubernetes distribution reported by Arc.
      type: str
changed_settings:
  description: Keys of the configuration settings that were (or in check mode would be) sent because they differ.
  returned: always
  type: list
  elements: str
  sample: [inferenceRouterServiceType, scoringFe.serviceType.nodePort]
actions:
  description: What the task did or, in check mode, would do.
  returned: always
  type: list
  elements: str
  sample: ["create extension azureml", "create Azure Relay namespace arcdemo0000rgrelay"]
"""

from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import CLUSTER_ARGUMENT_SPEC
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.fingerprint import POLICIES
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.module import AzureModule, wait_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.extension import ExtensionRunner

ARGUMENT_SPEC: dict[str, Any] = dict(
    **CLUSTER_ARGUMENT_SPEC,
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    config=dict(type="dict", default={}),
    config_protected=dict(type="dict", default={}, no_log=True),
    allow_unknown_settings=dict(type="bool", default=False),
    update_protected=dict(type="str", default="when_changed", choices=list(POLICIES)),
    force_update=dict(type="bool", default=False),
    release_train=dict(type="str"),
    version=dict(type="str"),
    auto_upgrade_minor_version=dict(type="bool"),
    scope=dict(type="str", default="cluster", choices=["cluster", "namespace"]),
    force=dict(type="bool", default=False),
    delete_relay=dict(type="bool", default=False),
    register_provider=dict(type="bool", default=True),
    **wait_argument_spec(),
)


def main() -> None:
    ExtensionRunner(AzureModule(ARGUMENT_SPEC)).run()


if __name__ == "__main__":
    main()
