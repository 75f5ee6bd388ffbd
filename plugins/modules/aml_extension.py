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
  cluster_type:
    description:
      - V(managedClusters) for AKS, V(connectedClusters) for Azure Arc-enabled Kubernetes.
    type: str
    required: true
    choices: [managedClusters, connectedClusters]
  cluster_name:
    description: Name of the AKS or Arc-enabled cluster.
    type: str
    required: true
  resource_group:
    description: Resource group of the cluster.
    type: str
    required: true
  name:
    description: Name of the extension (C(--name) of C(az k8s-extension create)).
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
        without a passphrase; the files are checked (they parse, and the key matches the certificate) and their
        content is sent as C(scoringFe.sslCert) and C(scoringFe.sslKey).
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
  description: Facts about the cluster that the settings processing used.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: ARM id of the cluster.
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

from dataclasses import replace
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azureml.kubernetes.plugins.module_utils import aml_settings, protected_fingerprint, relay, tls
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm_errors import health_check_hints
from ansible_collections.azureml.kubernetes.plugins.module_utils.azure_module import AzureModule, wait_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.clusters import CLUSTER_TYPES, cluster_summary
from ansible_collections.azureml.kubernetes.plugins.module_utils.extension_service import (
    IN_PROGRESS,
    PROVIDER_NAMESPACE,
    ExtensionService,
    provisioning_state,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.extension_state import (
    DesiredExtension,
    Plan,
    diff_view,
    expected_after,
    extension_view,
    immutable_conflicts,
    plan,
)

ARGUMENT_SPEC: dict[str, Any] = dict(
    cluster_type=dict(type="str", required=True, choices=CLUSTER_TYPES),
    cluster_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    config=dict(type="dict", default={}),
    config_protected=dict(type="dict", default={}, no_log=True),
    allow_unknown_settings=dict(type="bool", default=False),
    update_protected=dict(type="str", default="when_changed", choices=list(protected_fingerprint.POLICIES)),
    release_train=dict(type="str"),
    version=dict(type="str"),
    auto_upgrade_minor_version=dict(type="bool"),
    scope=dict(type="str", default="cluster", choices=["cluster", "namespace"]),
    force=dict(type="bool", default=False),
    delete_relay=dict(type="bool", default=False),
    register_provider=dict(type="bool", default=True),
    **wait_argument_spec(default_timeout=1800),
)
# Protected values shorter than this come from the user's config_protected, which Ansible masks already;
# masking short computed strings too would blank every equal word in the output.
MIN_HIDDEN_LENGTH = 16


class AmlExtension:
    """One run of the module: read, decide, write, report."""

    def __init__(self) -> None:
        self.azure = AzureModule(ARGUMENT_SPEC)
        p = self.azure.params
        self.name: str = p["name"]
        self.service = ExtensionService(self.azure, p["cluster_type"], p["resource_group"], p["cluster_name"])
        self.actions: list[str] = []
        self.diff: dict[str, Any] = {"before": {}, "after": {}}
        self.registered: dict[str, bool] = {}
        self.check_static_options()

    def check_static_options(self) -> None:
        p = self.azure.params
        if p["scope"] == "namespace":
            self.azure.fail("scope=namespace: the Azure Machine Learning extension installs only with cluster scope "
                            "(into namespace azureml); remove scope or set scope: cluster. Training and inference "
                            "workloads are placed in namespaces when the cluster is attached to a workspace.")
        if p["version"] and p["auto_upgrade_minor_version"]:
            self.azure.fail("version pins the extension, so auto_upgrade_minor_version must be false (or unset): "
                            "Azure refuses a version together with auto-upgrade.")

    # --- state=present
    def present(self) -> None:
        p = self.azure.params
        facts = cluster_summary(p["cluster_type"], self.service.cluster())
        # Without the provider no extension can exist; reading one would only meet MissingSubscriptionRegistration.
        current = self.service.get(self.name) if self.provider_registered(PROVIDER_NAMESPACE) else None
        current = self.service.settle(self.name, current)  # waits for a running operation, unless wait: false
        if provisioning_state(current) == "deleting":
            self.fail_in_progress(current, "is being deleted")
        desired, needs_relay = self.desired_extension(facts, current)
        conflicts = immutable_conflicts(desired, current) if current else []
        if conflicts:
            self.azure.fail(
                f"Extension {self.name} cannot be changed in place: {'; '.join(conflicts)}. Delete it (state: absent) "
                "and create it again, or choose another name.")
        outcome = self.plan(desired, current)
        relay_missing = needs_relay and current is not None and not self.relay_present()
        if outcome.action == "none" and not relay_missing:
            self.finish(False, current, facts, [])
        if provisioning_state(current) in IN_PROGRESS:
            self.fail_in_progress(current, "differs from the task")
        self.ensure_provider(PROVIDER_NAMESPACE)  # before the Relay work below: a certain failure fails first
        if outcome.action == "create" or outcome.sends_protected or relay_missing:
            if relay_missing:
                self.actions.append("recreate the missing Azure Relay hybrid connection or rule, and resend the "
                                    "protected settings")
            desired = self.complete_protected(desired, facts, needs_relay)
            outcome = self.plan(desired, current, resend_protected=True)
        self.apply(outcome, desired, current, facts)

    def apply(self, outcome: Plan, desired: DesiredExtension, current: dict[str, Any] | None,
              facts: dict[str, Any]) -> None:
        """Report the diff, then (outside check mode) send the body and wait for the outcome."""
        after = diff_view(desired) if outcome.action == "create" else diff_view(
            expected_after(current, outcome.body), sorted(desired.protected) if outcome.sends_protected else [])
        self.diff = {"before": diff_view(current), "after": after}
        verb = "create" if outcome.action == "create" else "update"
        self.actions.append(f"{verb} extension {self.name} ({'; '.join(outcome.reasons)})")
        if self.azure.check_mode:
            self.finish(True, current, facts, outcome.changed_settings)
        write = self.service.create if outcome.action == "create" else self.service.update
        result = write(self.name, outcome.body, on_failure=lambda exc: self.fail_if_failed(self.service.get(self.name)))
        if result is None:  # wait=false: report what Azure has now
            result = self.service.get(self.name)
        self.fail_if_failed(result)
        self.finish(True, result, facts, outcome.changed_settings)

    def fail_in_progress(self, current: dict[str, Any], what: str) -> None:
        self.azure.fail(f"Extension {self.name} {what} while an operation runs on it in Azure "
                        f"({provisioning_state(current)}): run the task again when it ends, or set wait: true to wait "
                        "for it.", extension=extension_view(current))

    def protected_policy(self, desired: DesiredExtension, current: dict[str, Any] | None) -> str:
        """update_protected, except that a fingerprint is only kept of real secret material."""
        policy = self.azure.params["update_protected"]
        if policy == "when_changed" and desired.protected and not aml_settings.fingerprintable(desired.protected):
            if current is not None:
                self.azure.warn("update_protected=when_changed tracks changes of secret material only (certificates, "
                                "keys, connection strings); the protected settings given here are sent when the "
                                "extension is created. Use update_protected: always to send them again.")
            return "on_create"
        return policy

    def plan(self, desired: DesiredExtension, current: dict[str, Any] | None,
             resend_protected: bool | None = None) -> Plan:
        """Compare by the settings table; whether protected settings go again follows update_protected."""
        if resend_protected is None:
            current_settings = ((current or {}).get("properties") or {}).get("configurationSettings")
            resend_protected = protected_fingerprint.should_send(self.protected_policy(desired, current),
                                                                 desired.protected, current_settings)
        return plan(desired, current, resend_protected=resend_protected, equal=aml_settings.settings_equal,
                    is_default=aml_settings.is_default)

    def desired_extension(self, facts: dict[str, Any], current: dict[str, Any] | None) -> tuple[DesiredExtension, bool]:
        """Normalise, validate and compute the settings; every problem fails here, before any write."""
        p = self.azure.params
        cluster = aml_settings.ClusterFacts(
            cluster_type=p["cluster_type"], resource_id=facts["id"], name=facts["name"] or p["cluster_name"],
            location=facts["location"], node_count=facts["node_count"], distribution=facts["distribution"])
        current_settings = ((current or {}).get("properties") or {}).get("configurationSettings") or None
        operation = "update" if current else "create"
        try:
            normalised = aml_settings.normalise(p["config"], p["config_protected"],
                                                allow_unknown=p["allow_unknown_settings"])
            warnings = list(normalised.warnings)
            warnings += [f"{key} is not a secret: give it in config. In config_protected its value is masked wherever "
                         "it appears in the task output." for key in aml_settings.non_secret_protected_keys(normalised)]
            warnings += aml_settings.validate(normalised, cluster, operation=operation, current_settings=current_settings)
            computed = aml_settings.compute(normalised, cluster, operation=operation, current_settings=current_settings)
        except aml_settings.AmlSettingsError as exc:
            self.azure.fail("Invalid extension settings: " + " ".join(exc.problems), problems=exc.problems)
        except tls.MissingCryptographyError as exc:
            self.azure.fail(missing_required_lib("cryptography") + " It reads sslCertPemFile and sslKeyPemFile.",
                            exception=str(exc.import_error))
        warnings += computed.warnings
        self.azure.hide(*(v for v in computed.protected.values() if len(v) >= MIN_HIDDEN_LENGTH))
        for warning in warnings:
            self.azure.warn(warning)
        return DesiredExtension(
            cluster_type=p["cluster_type"], settings=computed.settings, protected=computed.protected,
            release_train=p["release_train"], version=p["version"],
            auto_upgrade_minor_version=False if p["version"] and p["auto_upgrade_minor_version"] is None
            else p["auto_upgrade_minor_version"]), aml_settings.needs_relay(computed, cluster)

    def complete_protected(self, desired: DesiredExtension, facts: dict[str, Any], needs_relay: bool) -> DesiredExtension:
        """What goes with a protected send: the fingerprint of the user's part, and on Arc the Relay secret."""
        if aml_settings.fingerprintable(desired.protected):
            # The fingerprint covers what the user gave, not the Relay secret that is read from Azure.
            stamp = protected_fingerprint.fingerprint(desired.protected)
            desired = replace(desired, settings={**desired.settings, protected_fingerprint.FINGERPRINT_KEY: stamp})
        if needs_relay:
            desired = self.with_relay_connection(desired, facts)
        return desired

    # --- Azure Relay (Arc)
    def relay(self) -> relay.RelayService:
        p = self.azure.params
        namespace, hybrid_connection, rule = aml_settings.relay_resource_names(
            p["cluster_name"], self.azure.subscription_id, p["resource_group"])
        return relay.RelayService(self.azure, relay.RelayNames(p["resource_group"], namespace, hybrid_connection, rule))

    def relay_present(self) -> bool:
        return self.provider_registered(relay.PROVIDER_NAMESPACE) and self.relay().complete()

    def with_relay_connection(self, desired: DesiredExtension, facts: dict[str, Any]) -> DesiredExtension:
        """Create or reuse the Azure Relay resources an Arc install needs, and add their connection string."""
        service = self.relay()
        names = service.names
        self.ensure_provider(relay.PROVIDER_NAMESPACE)
        if self.azure.check_mode:
            self.actions.append(f"ensure Azure Relay namespace {names.namespace}, hybrid connection "
                                f"{names.hybrid_connection} and rule {names.rule}")
            secret = "(read from Azure Relay when applied)"
        else:
            self.actions += [f"create Azure Relay {what}" for what in service.ensure(facts["location"])]
            secret = service.connection_string()
        computed = aml_settings.with_relay(
            aml_settings.Desired(desired.settings, desired.protected, []), secret,
            names.hybrid_connection_id(self.azure.subscription_id), names.hybrid_connection)
        return replace(desired, settings=computed.settings, protected=computed.protected)

    # --- resource providers
    def provider_registered(self, namespace: str) -> bool:
        if namespace not in self.registered:
            self.registered[namespace] = self.service.provider_registered(namespace)
        return self.registered[namespace]

    def ensure_provider(self, namespace: str) -> None:
        if self.provider_registered(namespace):
            return
        if not self.azure.params["register_provider"]:
            self.azure.fail(f"The subscription has not registered resource provider {namespace}. Register it (az provider "
                            f"register --namespace {namespace}) or set register_provider: true.")
        self.actions.append(f"register resource provider {namespace}")
        if not self.azure.check_mode:
            self.service.register_provider(namespace)
            self.registered[namespace] = True

    def fail_if_failed(self, result: dict[str, Any] | None) -> None:
        view = extension_view(result)
        if (view.get("provisioning_state") or "").lower() != "failed":
            return
        error_info = view.get("error_info") or {}
        texts = [f"{error_info.get('code')}: {error_info.get('message')}" if error_info else ""]
        texts += [f"{s.get('code')}: {s.get('message')}" for s in view["statuses"]]
        hints = health_check_hints(*texts)
        self.azure.fail(f"Extension {self.name} failed to install on {self.service.where}: "
                        f"{'; '.join(t for t in texts if t)}" + (" " + " ".join(hints) if hints else ""),
                        extension=view, hints=hints, actions=self.actions)

    # --- state=absent
    def absent(self) -> None:
        p = self.azure.params
        current = self.service.get(self.name) if self.provider_registered(PROVIDER_NAMESPACE) else None
        current = self.service.settle(self.name, current)  # a deletion under way too: it ends with the extension gone
        if provisioning_state(current) in IN_PROGRESS - {"deleting"}:  # wait: false
            self.fail_in_progress(current, "cannot be deleted yet")
        if current is None and not self.service.cluster_exists():
            self.azure.warn(f"Cluster {self.service.where} does not exist, so neither does the extension; check "
                            "cluster_name, resource_group and cluster_type if that is a surprise.")
        if current is not None and provisioning_state(current) != "deleting":
            self.diff = {"before": diff_view(current), "after": {}}
            self.actions.append(f"delete extension {self.name}" + (" (forced)" if p["force"] else ""))
            if not self.azure.check_mode:
                self.service.delete(self.name, p["force"])
        if p["delete_relay"] and self.provider_registered(relay.PROVIDER_NAMESPACE):
            self.remove_relay()
        self.finish(bool(self.actions), None, None, [])

    def remove_relay(self) -> None:
        service = self.relay()
        removed = service.removal_plan() if self.azure.check_mode else service.remove()
        self.actions += [f"delete Azure Relay {what}" for what in removed]

    # --- report
    def finish(self, changed: bool, resource: dict[str, Any] | None, facts: dict[str, Any] | None,
               changed_settings: list[str]) -> None:
        result: dict[str, Any] = dict(changed=changed, extension=extension_view(resource),
                                      changed_settings=changed_settings, actions=self.actions)
        if facts is not None:
            result["cluster"] = facts
        if self.azure.diff_mode:
            result["diff"] = self.diff
        self.azure.exit(**result)

    def run(self) -> None:
        if self.azure.params["state"] == "present":
            self.present()
        else:
            self.absent()


def main() -> None:
    AmlExtension().run()


if __name__ == "__main__":
    main()
