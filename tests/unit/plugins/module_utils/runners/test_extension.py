"""decide(): what aml_extension does, from what is wanted and what exists, without Azure."""

from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fingerprint
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import MASK, create_body
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.relay import needs_relay, relay_names
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings import desired
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import is_default
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.extension import (
    RELAY_SECRET_PLACEHOLDER,
    Options,
    decide,
    decide_absent,
    with_relay_secret,
)

SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
AKS = ClusterFacts("managedClusters", f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/"
                   "managedClusters/aks1", "aks1", "eastus", node_count=3)
ARC = ClusterFacts("connectedClusters", f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kubernetes/"
                   "connectedClusters/arc1", "arc1", "eastus", node_count=4, distribution="k3s")
TRAINING = {"enableTraining": True}
SECRET = {"azure_log_analytics.connection_string": "workspace-shared-key-0123456789"}
LOG_ANALYTICS = {"enableTraining": True, "azure_log_analytics.enabled": True, "azure_log_analytics.customer_id": "c"}
OPTIONS = Options("azureml")
SALT = b"0123456789abcdef"


def want(config=None, protected=None, cluster=AKS, current=None, **kwargs):
    extension, _warnings = desired(cluster, (current or {}).get("properties", {}).get("configurationSettings")
                                   if current is not None else None,
                                   config=config or TRAINING, config_protected=protected or {}, **kwargs)
    return extension


def existing(extension, state="Succeeded", **props):
    """What Azure returns after creating `extension`: its body, without protected settings."""
    body = create_body(extension)
    properties = {k: v for k, v in body["properties"].items() if k != "configurationProtectedSettings"}
    properties.update(provisioningState=state, **props)
    return {"id": "/x/extensions/azureml", "name": "azureml", "properties": properties}


def test_create_sends_everything_with_a_fingerprint_of_secret_material():
    wanted = want(LOG_ANALYTICS, SECRET)
    decision = decide(wanted, None, OPTIONS, salt=SALT)
    assert decision.plan.action == "create"
    body = decision.plan.body["properties"]
    assert body["configurationProtectedSettings"] == SECRET
    assert fingerprint.matches(SECRET, body["configurationSettings"][fingerprint.FINGERPRINT_KEY])
    assert body["autoUpgradeMinorVersion"] is True and body["releaseTrain"] == "stable"
    assert decision.action.startswith("create extension azureml (the extension does not exist")
    assert decision.diff["before"] == {} and decision.diff["after"]["protected_settings"] == {
        "azure_log_analytics.connection_string": MASK}
    assert decision.relay is None and not decision.relay_missing


def test_no_change_decides_nothing():
    wanted = want()
    current = existing(decide(wanted, None, OPTIONS).desired)
    decision = decide(want(current=current), current, OPTIONS)
    assert decision.plan.action == "none" and decision.plan.body is None
    assert decision.action == "" and decision.diff == {}


def test_a_changed_setting_is_a_patch_of_it_alone_keeping_the_upgrade_properties():
    current = existing(decide(want(), None, OPTIONS).desired, autoUpgradeMinorVersion=False, releaseTrain="preview",
                       version="1.1.60")
    decision = decide(want({"enableTraining": True, "installVolcano": False}, current=current), current, OPTIONS)
    assert decision.plan.action == "update"
    assert decision.plan.body == {"properties": {
        "autoUpgradeMinorVersion": False, "releaseTrain": "preview", "version": "1.1.60",
        "configurationSettings": {"installVolcano": "False"}}}
    assert decision.plan.changed_settings == ["installVolcano"]
    assert decision.diff["after"]["settings"]["installVolcano"] == "False"
    assert decision.diff["before"]["settings"].get("installVolcano") is None


def test_protected_settings_are_resent_when_their_fingerprint_no_longer_matches():
    created = decide(want(LOG_ANALYTICS, SECRET), None, OPTIONS, salt=SALT).desired
    current = existing(created)
    same = decide(want(LOG_ANALYTICS, SECRET, current=current), current, OPTIONS)
    assert same.plan.action == "none"
    rotated = {"azure_log_analytics.connection_string": "rotated-shared-key-9876543210"}
    decision = decide(want(LOG_ANALYTICS, rotated, current=current), current, OPTIONS, salt=SALT)
    assert decision.plan.action == "update" and decision.plan.sends_protected
    body = decision.plan.body["properties"]
    assert body["configurationProtectedSettings"] == rotated
    assert body["configurationSettings"] == {fingerprint.FINGERPRINT_KEY: fingerprint.fingerprint(rotated, SALT)}
    assert "the protected settings are sent again" in decision.action
    assert decision.diff["after"]["protected_settings"] == {"azure_log_analytics.connection_string": MASK}


def test_update_protected_policies():
    current = existing(decide(want(LOG_ANALYTICS, SECRET), None, OPTIONS).desired)
    wanted = want(LOG_ANALYTICS, SECRET, current=current)
    assert decide(wanted, current, Options("azureml", "always")).plan.sends_protected
    on_create = decide(want(LOG_ANALYTICS, {"azure_log_analytics.connection_string": "another-key-000000000"},
                            current=current), current, Options("azureml", "on_create"))
    assert on_create.plan.action == "none"


def test_low_entropy_protected_values_get_no_fingerprint_and_a_warning_on_update():
    protected = {"allowInsecureConnections": True}
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer"}
    created = decide(want(config, protected), None, OPTIONS)
    assert fingerprint.FINGERPRINT_KEY not in created.plan.body["properties"]["configurationSettings"]
    current = existing(created.desired)
    again = decide(want(config, protected, current=current), current, OPTIONS)
    assert again.plan.action == "none"
    assert any("secret material only" in w for w in again.warnings)


def test_a_failed_extension_is_applied_again_completely():
    created = decide(want(LOG_ANALYTICS, SECRET), None, OPTIONS, salt=SALT).desired
    current = existing(created, state="Failed")
    decision = decide(want(LOG_ANALYTICS, SECRET, current=current), current, OPTIONS)
    assert decision.plan.action == "update" and "Failed state" in decision.action
    assert decision.plan.body["properties"]["configurationProtectedSettings"] == SECRET
    assert set(decision.plan.body["properties"]["configurationSettings"]) >= {"enableTraining", "cluster_name"}


def test_arc_create_needs_the_relay_and_carries_a_placeholder_until_apply():
    wanted = want(cluster=ARC)
    assert needs_relay(wanted)
    names = relay_names("arc1", SUB, "rg")
    decision = decide(wanted, None, OPTIONS, relay=names)
    assert decision.relay == names
    body = decision.plan.body["properties"]
    assert body["configurationProtectedSettings"] == {"relayServerConnectionString": RELAY_SECRET_PLACEHOLDER,
                                                      "relayserver.relayConnectionString": RELAY_SECRET_PLACEHOLDER}
    assert body["configurationSettings"]["relayserver.hybridConnectionResourceID"] == names.hybrid_connection_id
    assert decision.plan.body.get("identity") == {"type": "SystemAssigned"}
    # No fingerprint: the Relay secret is read from Azure, not given by the user.
    assert fingerprint.FINGERPRINT_KEY not in body["configurationSettings"]
    sent = with_relay_secret(decision.plan.body, "Endpoint=sb://real")
    assert set(sent["properties"]["configurationProtectedSettings"].values()) == {"Endpoint=sb://real"}
    assert decision.plan.body["properties"]["configurationProtectedSettings"]["relayServerConnectionString"] == \
        RELAY_SECRET_PLACEHOLDER  # the decision itself is not changed


def test_arc_relay_present_or_missing():
    names = relay_names("arc1", SUB, "rg")
    current = existing(decide(want(cluster=ARC), None, OPTIONS, relay=names).desired)
    wanted = want(cluster=ARC, current=current)
    assert decide(wanted, current, OPTIONS, relay=names, relay_complete=True).plan.action == "none"
    repair = decide(wanted, current, OPTIONS, relay=names, relay_complete=False)
    assert repair.relay_missing and repair.relay == names and repair.plan.sends_protected
    assert repair.plan.body["properties"]["configurationProtectedSettings"]["relayServerConnectionString"] == \
        RELAY_SECRET_PLACEHOLDER


def test_no_relay_on_aks_or_with_an_own_connection_string():
    assert not needs_relay(want())
    assert not needs_relay(want(cluster=ARC, protected={"relayServerConnectionString": "Endpoint=sb://own"}))


def test_changes_refused_while_an_operation_runs_and_immutable_properties_refused():
    current = existing(decide(want(), None, OPTIONS).desired, state="Updating")
    assert decide(want(current=current), current, OPTIONS).plan.action == "none"  # nothing to do: no refusal
    with pytest.raises(Refused, match="while an operation runs"):
        decide(want({"enableTraining": True, "installVolcano": False}, current=current), current, OPTIONS)
    other = existing(decide(want(), None, OPTIONS).desired)
    other["properties"]["extensionType"] = "Microsoft.Flux"
    with pytest.raises(Refused, match="cannot be changed in place"):
        decide(want(current=other), other, OPTIONS)


def test_check_mode_predictions_are_the_decision_itself():
    """Check mode reports decide()'s action and diff and sends nothing: the same decision either way."""
    current = existing(decide(want(), None, OPTIONS).desired)
    wanted = want({"enableTraining": True, "installPromOp": False}, current=current)
    first, second = decide(wanted, current, OPTIONS), decide(wanted, current, OPTIONS)
    assert first.action == second.action and first.diff == second.diff and first.plan.body == second.plan.body
    assert first.diff["after"]["settings"]["installPromOp"] == "False"
    assert "installPromOp" not in first.diff["before"]["settings"]  # absent on Azure: its default, True


def test_absent():
    current = existing(want())
    decision = decide_absent(current, OPTIONS, force=True)
    assert decision.plan.action == "delete" and decision.action == "delete extension azureml (forced)"
    assert decision.diff["after"] == {} and decision.diff["before"]["extension_type"] == "Microsoft.AzureML.Kubernetes"
    assert decide_absent(None, OPTIONS) is None
    assert decide_absent(existing(want(), state="Deleting"), OPTIONS) is None  # a deletion under way ends it
    with pytest.raises(Refused, match="cannot be deleted yet"):
        decide_absent(existing(want(), state="Creating"), OPTIONS)


FORCE = Options("azureml", force_update=True)
TLS_SECRET = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslSecret": "azureml-tls",
              "sslCname": "ml.contoso.com"}


def test_force_update_sends_equal_settings_again_with_a_note():
    current = existing(decide(want(TLS_SECRET), None, OPTIONS).desired, autoUpgradeMinorVersion=False,
                       releaseTrain="preview", version="1.1.60")
    wanted = want(TLS_SECRET, current=current)
    assert decide(wanted, current, OPTIONS).plan.action == "none"  # without it: idempotent
    decision = decide(wanted, current, FORCE)
    assert decision.plan.action == "update"
    assert decision.plan.changed_settings == [] and decision.plan.changed_properties == []
    body = decision.plan.body["properties"]
    # The shape of a real settings change, with every setting: the agent applies them again.
    assert (body["autoUpgradeMinorVersion"], body["releaseTrain"], body["version"]) == (False, "preview", "1.1.60")
    assert body["configurationSettings"] == wanted.settings
    assert body["configurationSettings"]["scoringFe.sslSecret"] == "azureml-tls"
    assert "configurationProtectedSettings" not in body  # none given: Azure keeps the current ones
    assert "force_update" in decision.action
    before, after = decision.diff["before"], dict(decision.diff["after"])
    assert after.pop("note").startswith("force_update: the settings are equal")
    settings_after, settings_before = after.pop("settings"), before.pop("settings")
    assert after == before
    # Equal as compared: the same values, and what Azure does not hold yet is sent at its default.
    assert {k: v for k, v in settings_after.items() if k in settings_before} == settings_before
    assert all(is_default(k, v) for k, v in settings_after.items() if k not in settings_before)


def test_force_update_sends_the_given_protected_settings_complete_with_a_new_fingerprint():
    created = decide(want(LOG_ANALYTICS, SECRET), None, OPTIONS, salt=SALT).desired
    current = existing(created)
    wanted = want(LOG_ANALYTICS, SECRET, current=current)
    decision = decide(wanted, current, FORCE, salt=b"fedcba9876543210")
    assert decision.plan.action == "update" and decision.plan.sends_protected
    body = decision.plan.body["properties"]
    assert body["configurationProtectedSettings"] == SECRET
    assert fingerprint.matches(SECRET, body["configurationSettings"][fingerprint.FINGERPRINT_KEY])
    assert decision.diff["after"]["protected_settings"] == {"azure_log_analytics.connection_string": MASK}
    # Protected values without secret material go too, and draw no "use update_protected: always" warning.
    low = {"allowInsecureConnections": True}
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer"}
    current = existing(decide(want(config, low), None, OPTIONS).desired)
    forced = decide(want(config, low, current=current), current, FORCE)
    assert forced.plan.body["properties"]["configurationProtectedSettings"] == {"allowInsecureConnections": "True"}
    assert forced.warnings == []


def test_force_update_on_arc_resends_the_relay_secret_with_the_given_protected_settings_only():
    names = relay_names("arc1", SUB, "rg")
    current = existing(decide(want(cluster=ARC), None, OPTIONS, relay=names).desired)
    plain = decide(want(cluster=ARC, current=current), current, FORCE, relay=names, relay_complete=True)
    assert plain.plan.action == "update" and not plain.plan.sends_protected and plain.relay is None
    with_secret = decide(want(LOG_ANALYTICS, SECRET, cluster=ARC, current=current), current, FORCE, relay=names,
                         relay_complete=True)
    protected = with_secret.plan.body["properties"]["configurationProtectedSettings"]
    assert protected["relayServerConnectionString"] == RELAY_SECRET_PLACEHOLDER and with_secret.relay == names
    assert protected["azure_log_analytics.connection_string"] == SECRET["azure_log_analytics.connection_string"]


def test_force_update_with_a_real_change_has_no_note_and_on_create_changes_nothing():
    current = existing(decide(want(), None, OPTIONS).desired)
    changed = decide(want({"enableTraining": True, "installVolcano": False}, current=current), current, FORCE)
    assert changed.plan.changed_settings == ["installVolcano"] and "note" not in changed.diff["after"]
    assert decide(want(), None, FORCE).plan == decide(want(), None, OPTIONS).plan
    updating = existing(decide(want(), None, OPTIONS).desired, state="Updating")
    with pytest.raises(Refused, match="while an operation runs"):
        decide(want(current=updating), updating, FORCE)
