# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aml_extension run: gather, decide() (pure), apply() (I/O), report. The one place that fails the task.

state=present: the current extension (after any running operation ended) is read; ``aml/settings.desired()``
turns the options into the extension to send; ``decide()`` compares it with the current one
(``aml/extension_state.plan``, once) and says what to do, including whether the protected settings go, with their
fingerprint and, on Arc, the Azure Relay connection string (a placeholder until ``apply()`` reads the real one);
``apply()`` registers providers, ensures the Relay, and writes.

The request budget: a run that changes nothing reads the extension and, on Arc, the Relay rule; the cluster only
when the extension lacks a setting computed from it (an update reads it and decides again over its facts); a
provider registration only when something is to be created (an existing resource proves its provider registered,
and ARM's MissingSubscriptionRegistration answer says the opposite without a read).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fingerprint, tls
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts, facts_from_settings
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import (
    IN_PROGRESS,
    DesiredExtension,
    Plan,
    current_settings,
    diff_view,
    expected_after,
    extension_name_problem,
    extension_view,
    failure,
    immutable_conflicts,
    plan,
    protected_goes,
    provisioning_state,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.relay import (
    RelayNames,
    needs_relay,
    relay_names,
    with_relay,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings import desired
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import (
    AmlSettingsError,
    fingerprintable,
    secret_values,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.health_checks import health_check_hints
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, CollectionError, Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.clusters import Clusters
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.extensions import Extensions
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.providers import (
    KUBERNETES_CONFIGURATION,
    RELAY,
    Providers,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.relay import RelayService

# Stands for the Relay connection string in a decided body until apply() reads it (check mode keeps it).
RELAY_SECRET_PLACEHOLDER = "(read from Azure Relay when applied)"
# In the diff of a forced update whose settings and properties compare equal.
FORCE_NOTE = ("force_update: the settings are equal; they are sent again so that the extension applies them "
              "again (for example re-reads the rotated sslSecret)")


@dataclass(frozen=True)
class Options:
    """The task's options that decide() reads."""

    name: str
    update_protected: str = "when_changed"
    force_update: bool = False  # send the update even when everything compares equal


@dataclass
class Decision:
    """What decide() concluded: the plan, and what apply() must do around it."""

    plan: Plan
    desired: DesiredExtension | None = None  # None for a deletion
    relay: RelayNames | None = None  # ensure these Relay resources and put their secret in the body
    relay_missing: bool = False  # the Relay hybrid connection or rule of an existing extension is gone
    diff: dict[str, Any] = field(default_factory=dict)
    action: str = ""  # what apply() does, as reported in `actions`
    warnings: list[str] = field(default_factory=list)


def in_progress_message(name: str, current: dict[str, Any], what: str) -> str:
    return (f"Extension {name} {what} while an operation runs on it in Azure ({provisioning_state(current)}): run "
            "the task again when it ends, or set wait: true to wait for it.")


def decide(want: DesiredExtension, current: dict[str, Any] | None, options: Options, *,
           relay: RelayNames | None = None, relay_complete: bool | None = None, salt: bytes | None = None) -> Decision:
    """Compare what is wanted with what exists and decide (pure; raises Refused).

    ``relay``: the cluster's Relay names when the install needs a Relay (``needs_relay``), else None;
    ``relay_complete``: whether its hybrid connection and rule exist (read only for an existing extension).
    """
    warnings: list[str] = []
    if current is not None:
        conflicts = immutable_conflicts(want, current)
        if conflicts:
            raise Refused(f"Extension {options.name} cannot be changed in place: {'; '.join(conflicts)}. Delete it "
                          "(state: absent) and create it again, or choose another name.")
    policy = options.update_protected
    force = options.force_update and current is not None
    if policy == "when_changed" and want.protected and not fingerprintable(want.protected):
        if current is not None and not force:
            warnings.append("update_protected=when_changed tracks changes of secret material only (certificates, "
                            "keys, connection strings); the protected settings given here are sent when the "
                            "extension is created. Use update_protected: always to send them again.")
        policy = "on_create"
    relay_missing = relay is not None and current is not None and relay_complete is False
    # force_update sends the protected settings the task gives (complete, as always) with the settings.
    resend = (relay_missing or (force and bool(want.protected))
              or fingerprint.should_send(policy, want.protected, current_settings(current)))
    send_relay = None
    if current is None or relay_missing or protected_goes(want, current, resend):
        # Protected settings go complete: the fingerprint of the user's part, and on Arc the Relay secret.
        if fingerprintable(want.protected):
            stamp = fingerprint.fingerprint(want.protected, salt)
            want = replace(want, settings={**want.settings, fingerprint.FINGERPRINT_KEY: stamp})
        if relay is not None:
            want = with_relay(want, RELAY_SECRET_PLACEHOLDER, relay)
            send_relay = relay
        resend = True
    outcome = plan(want, current, resend_protected=resend, force=force)
    if outcome.action == "none":
        return Decision(outcome, want, warnings=warnings)
    if provisioning_state(current) in IN_PROGRESS:
        raise Refused(in_progress_message(options.name, current or {}, "differs from the task"),
                      extension=extension_view(current))
    after = diff_view(want) if outcome.action == "create" else diff_view(
        expected_after(current, outcome.body or {}), sorted(want.protected) if outcome.sends_protected else [])
    if force and not outcome.changed_settings and not outcome.changed_properties:
        after = {**after, "note": FORCE_NOTE}
    verb = "create" if outcome.action == "create" else "update"
    return Decision(outcome, want, send_relay, relay_missing, {"before": diff_view(current), "after": after},
                    f"{verb} extension {options.name} ({'; '.join(outcome.reasons)})", warnings)


def decide_absent(current: dict[str, Any] | None, options: Options, *, force: bool = False) -> Decision | None:
    """What state=absent does to the extension: None when nothing (absent, or its deletion under way) (pure)."""
    if provisioning_state(current) in IN_PROGRESS - {"deleting"}:  # wait: false left it running
        raise Refused(in_progress_message(options.name, current or {}, "cannot be deleted yet"),
                      extension=extension_view(current))
    if current is None or provisioning_state(current) == "deleting":
        return None
    return Decision(Plan("delete"), diff={"before": diff_view(current), "after": {}},
                    action=f"delete extension {options.name}" + (" (forced)" if force else ""))


def with_relay_secret(body: dict[str, Any], secret: str) -> dict[str, Any]:
    """The decided body with the placeholder replaced by the Relay connection string."""
    properties = dict(body.get("properties") or {})
    protected = properties.get("configurationProtectedSettings")
    if protected:
        properties["configurationProtectedSettings"] = {
            k: secret if v == RELAY_SECRET_PLACEHOLDER else v for k, v in protected.items()}
    return {**body, "properties": properties}


class ExtensionRunner:
    """One run of aml_extension."""

    def __init__(self, azure: Any) -> None:
        self.azure = azure
        p = azure.params
        self.p = p
        self.name: str = p["name"]
        self.clusters = Clusters(azure, p["cluster_type"], p["resource_group"], p["cluster_name"])
        self.extensions = Extensions(azure, p["cluster_type"], p["resource_group"], p["cluster_name"])
        self.providers = Providers(azure)
        self.actions: list[str] = []
        self.diff: dict[str, Any] = {"before": {}, "after": {}}
        self._relay_complete: bool | None = None

    # --- the one way out with an error
    def run(self) -> NoReturn:
        try:
            self.check_static_options()
            if self.p["state"] == "present":
                self.present()
            else:
                self.absent()
        except CollectionError as exc:
            extra: dict[str, Any] = {"actions": self.actions} if self.actions else {}
            hints = health_check_hints(exc.message) if isinstance(exc, AzureCallError) else []
            if hints:  # an operation that ended Failed may name the extension's health-check codes
                exc = CollectionError(exc.message + " " + " ".join(hints), **exc.details)
            self.azure.fail_error(exc, **extra)

    def check_static_options(self) -> None:
        """What the options alone refuse, before any request."""
        problem = extension_name_problem(self.name)
        if problem:
            raise Refused(problem)
        if self.p["scope"] == "namespace":
            raise Refused("scope=namespace: the Azure Machine Learning extension installs only with cluster scope "
                          "(into namespace azureml); remove scope or set scope: cluster. Training and inference "
                          "workloads are placed in namespaces when the cluster is attached to a workspace.")
        if self.p["version"] and self.p["auto_upgrade_minor_version"]:
            raise Refused("version pins the extension, so auto_upgrade_minor_version must be false (or unset): "
                          "Azure refuses a version together with auto-upgrade.")

    def relay_names(self) -> RelayNames:
        return relay_names(self.p["cluster_name"], self.azure.subscription_id, self.p["resource_group"])

    def current(self) -> dict[str, Any] | None:
        """The extension after any operation running on it ended (wait: true); None without the provider.

        No registration read: an extension that exists proves Microsoft.KubernetesConfiguration registered, and
        without it ARM answers MissingSubscriptionRegistration, which says it is not (ensure() then needs no read).
        """
        try:
            found = self.extensions.get(self.name)
        except AzureCallError as exc:
            if not self.providers.is_missing(exc, KUBERNETES_CONFIGURATION):
                raise
            return None
        if found is not None:
            self.providers.learned(KUBERNETES_CONFIGURATION, True)
        return self.extensions.settle(self.name, found)

    # --- state=present
    def present(self) -> NoReturn:
        current = self.current()
        if provisioning_state(current) == "deleting":
            raise Refused(in_progress_message(self.name, current or {}, "is being deleted"),
                          extension=extension_view(current))
        # The request budget: an existing extension holds what the install computed from the cluster, so the
        # cluster is read only when one of those settings is missing or something is to be written (which
        # applies the node-count and OpenShift heuristics to what the cluster is now).
        facts = None if current is None else self.facts_from_extension(current)
        read_cluster = facts is None
        if facts is None:
            facts = self.clusters.facts()
        decision, warnings = self.decide_present(facts, current)
        if decision.plan.action != "none" and not read_cluster:
            facts = self.clusters.facts()
            decision, warnings = self.decide_present(facts, current)
        for warning in warnings + decision.warnings:
            self.azure.warn(warning)
        if decision.plan.action == "none":
            self.finish(False, current, facts, [])
        self.apply(decision, current, facts)

    def facts_from_extension(self, current: dict[str, Any]) -> ClusterFacts | None:
        return facts_from_settings(self.p["cluster_type"], current_settings(current),
                                   subscription_id=self.azure.subscription_id,
                                   resource_group=self.p["resource_group"], cluster_name=self.p["cluster_name"])

    def decide_present(self, facts: ClusterFacts, current: dict[str, Any] | None) -> tuple[Decision, list[str]]:
        """desired() over these facts, then decide(); the Relay of an existing extension is read once."""
        p = self.p
        try:
            want, warnings = desired(
                facts, current_settings(current) if current is not None else None, config=p["config"],
                config_protected=p["config_protected"], allow_unknown=p["allow_unknown_settings"],
                release_train=p["release_train"], version=p["version"],
                auto_upgrade_minor_version=p["auto_upgrade_minor_version"])
        except AmlSettingsError as exc:
            raise Refused("Invalid extension settings: " + " ".join(exc.problems), problems=exc.problems) from exc
        except tls.MissingCryptographyError as exc:
            raise CollectionError(missing_required_lib("cryptography") + " It reads sslCertPemFile and sslKeyPemFile.",
                                  exception=str(exc.import_error)) from exc
        self.azure.hide(*secret_values(want.protected))
        relay = self.relay_names() if needs_relay(want) else None
        relay_complete = None
        if relay is not None and current is not None:
            relay_complete = self.relay_complete(relay)
        decision = decide(want, current, Options(self.name, p["update_protected"], p["force_update"]),
                          relay=relay, relay_complete=relay_complete)
        return decision, warnings

    def relay_complete(self, names: RelayNames) -> bool:
        """Whether the Relay hybrid connection and rule exist (one read, kept for the run); an unregistered
        Microsoft.Relay means they do not."""
        if self._relay_complete is None:
            try:
                self._relay_complete = RelayService(self.azure, names).complete()
            except AzureCallError as exc:
                if not self.providers.is_missing(exc, RELAY):
                    raise
                self._relay_complete = False
            if self._relay_complete:
                self.providers.learned(RELAY, True)
        return self._relay_complete

    def ensure_provider(self, namespace: str) -> None:
        if self.providers.ensure(namespace, allowed=self.p["register_provider"], check_mode=self.azure.check_mode):
            self.actions.append(f"register resource provider {namespace}")

    def apply(self, decision: Decision, current: dict[str, Any] | None, facts: ClusterFacts) -> NoReturn:
        """Register, ensure the Relay, then (outside check mode) send the body and wait for the outcome."""
        self.ensure_provider(KUBERNETES_CONFIGURATION)  # before the Relay work: a certain failure fails first
        if decision.relay_missing:
            self.actions.append("recreate the missing Azure Relay hybrid connection or rule, and resend the "
                                "protected settings")
        body = decision.plan.body or {}
        if decision.relay is not None:
            self.ensure_provider(RELAY)
            names = decision.relay
            if self.azure.check_mode:
                self.actions.append(f"ensure Azure Relay namespace {names.namespace}, hybrid connection "
                                    f"{names.hybrid_connection} and rule {names.rule}")
            else:
                relay = RelayService(self.azure, names)
                self.actions += [f"create Azure Relay {what}" for what in relay.ensure(facts.location)]
                secret = relay.connection_string()
                self.azure.hide(secret)
                body = with_relay_secret(body, secret)
        self.actions.append(decision.action)
        self.diff = decision.diff
        changed_settings = decision.plan.changed_settings
        if self.azure.check_mode:
            self.finish(True, current, facts, changed_settings)
        write = self.extensions.create if decision.plan.action == "create" else self.extensions.update
        try:
            result = write(self.name, body)
        except CollectionError as exc:
            # A Failed install says why, with its statuses and the health-check hints.
            raise self.install_failure(self.extensions.get(self.name)) or exc
        if result is None:  # wait=false: report what Azure has now
            result = self.extensions.get(self.name)
        found = self.install_failure(result)
        if found is not None:
            raise found
        self.finish(True, result, facts, changed_settings)

    def install_failure(self, result: dict[str, Any] | None) -> CollectionError | None:
        found = failure(result)
        if found is None:
            return None
        reported, hints = found
        return CollectionError(f"Extension {self.name} failed to install on {self.extensions.where}: {reported}"
                               + (" " + " ".join(hints) if hints else ""),
                               extension=extension_view(result), hints=hints)

    # --- state=absent
    def absent(self) -> NoReturn:
        p = self.p
        current = self.current()  # a deletion under way too: it ends with the extension gone
        decision = decide_absent(current, Options(self.name), force=p["force"])
        if current is None and not self.clusters.exists():
            self.azure.warn(f"Cluster {self.clusters.where} does not exist, so neither does the extension; check "
                            "cluster_name, resource_group and cluster_type if that is a surprise.")
        if decision is not None:
            self.diff = decision.diff
            self.actions.append(decision.action)
            if not self.azure.check_mode:
                self.extensions.delete(self.name, p["force"])
        if p["delete_relay"]:
            relay = RelayService(self.azure, self.relay_names())
            try:
                removed = relay.removal_plan() if self.azure.check_mode else relay.remove()
            except AzureCallError as exc:  # Microsoft.Relay not registered: no Relay resource can exist
                if not self.providers.is_missing(exc, RELAY):
                    raise
                removed = []
            self.actions += [f"delete Azure Relay {what}" for what in removed]
        self.finish(bool(self.actions), None, None, [])

    # --- report
    def finish(self, changed: bool, resource: dict[str, Any] | None, facts: ClusterFacts | None,
               changed_settings: list[str]) -> NoReturn:
        result: dict[str, Any] = dict(changed=changed, extension=extension_view(resource),
                                      changed_settings=changed_settings, actions=self.actions)
        if facts is not None:
            result["cluster"] = facts.view()
        if self.azure.diff_mode:
            result["diff"] = self.diff
        self.azure.exit(**result)
