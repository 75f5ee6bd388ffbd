"""Desired versus current: plans, bodies and diffs."""

from __future__ import annotations

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import (
    MASK,
    DesiredExtension,
    create_body,
    diff_view,
    expected_after,
    extension_view,
    immutable_conflicts,
    plan,
)


def desired(**overrides):
    values = dict(cluster_type="managedClusters",
                  settings={"enableTraining": "True", "enableInference": "False", "installPromOp": "True"},
                  protected={})
    values.update(overrides)
    return DesiredExtension(**values)


def current(settings=None, state="Succeeded", **props):
    properties = {
        "extensionType": "Microsoft.AzureML.Kubernetes",
        "autoUpgradeMinorVersion": True,
        "releaseTrain": "Stable",
        "scope": {"cluster": {"releaseNamespace": "azureml"}},
        "configurationSettings": settings if settings is not None else {
            "enableTraining": "True", "enableInference": "False", "installPromOp": "True"},
        "configurationProtectedSettings": {},
        "provisioningState": state,
    }
    properties.update(props)
    return {"id": "/x/extensions/azureml", "name": "azureml", "type": "Microsoft.KubernetesConfiguration/extensions",
            "properties": properties}


def test_create_body_is_what_the_cli_sends():
    body = create_body(desired(protected={"scoringFe.sslKey": "k"}))
    assert body == {"properties": {
        "extensionType": "Microsoft.AzureML.Kubernetes",
        "autoUpgradeMinorVersion": True,
        "releaseTrain": "stable",
        "scope": {"cluster": {"releaseNamespace": "azureml"}},
        "configurationSettings": {"enableTraining": "True", "enableInference": "False", "installPromOp": "True"},
        "configurationProtectedSettings": {"scoringFe.sslKey": "k"},
    }}


def test_arc_create_asks_for_a_system_assigned_identity_and_pins_version():
    body = create_body(desired(cluster_type="connectedClusters", version="1.1.70", auto_upgrade_minor_version=False))
    assert body["identity"] == {"type": "SystemAssigned"}
    assert body["properties"]["version"] == "1.1.70"
    assert body["properties"]["autoUpgradeMinorVersion"] is False


def test_missing_extension_plans_a_create():
    outcome = plan(desired(), None, resend_protected=False)
    assert outcome.action == "create"
    assert outcome.body["properties"]["extensionType"] == "Microsoft.AzureML.Kubernetes"


def test_equal_settings_in_another_spelling_plan_nothing():
    spelled = current({"enableTraining": "true", "enableInference": "FALSE", "installPromOp": "True"})
    assert plan(desired(), spelled, resend_protected=False).action == "none"


def test_one_changed_setting_patches_only_it_with_current_upgrade_properties():
    wanted = desired(settings={"enableTraining": "True", "enableInference": "False", "installPromOp": "False"})
    outcome = plan(wanted, current(autoUpgradeMinorVersion=False, releaseTrain="Preview"),
                   resend_protected=False)
    assert outcome.action == "update"
    assert outcome.changed_settings == ["installPromOp"]
    assert outcome.body == {"properties": {"autoUpgradeMinorVersion": False, "releaseTrain": "Preview",
                                           "configurationSettings": {"installPromOp": "False"}}}


def test_keys_only_on_azure_are_kept_not_reported():
    extra = current({"enableTraining": "True", "enableInference": "False", "installPromOp": "True",
                     "nodeSelector.pool": "gpu"})
    assert plan(desired(), extra, resend_protected=False).action == "none"


def test_protected_settings_follow_the_policy_and_go_complete():
    wanted = desired(protected={"scoringFe.sslCert": "c", "scoringFe.sslKey": "k"})
    assert plan(wanted, current(), resend_protected=False).action == "none"
    outcome = plan(wanted, current(), resend_protected=True)
    assert outcome.action == "update" and outcome.sends_protected
    assert outcome.body["properties"]["configurationProtectedSettings"] == {"scoringFe.sslCert": "c",
                                                                            "scoringFe.sslKey": "k"}


def test_a_failed_extension_is_applied_again():
    outcome = plan(desired(protected={"a": "b"}), current(state="Failed"), resend_protected=False)
    assert outcome.action == "update"
    assert outcome.body["properties"]["configurationSettings"]["enableTraining"] == "True"
    assert outcome.body["properties"]["configurationProtectedSettings"] == {"a": "b"}


def test_release_train_and_version_changes_are_properties():
    outcome = plan(desired(release_train="preview"), current(), resend_protected=False)
    assert outcome.changed_properties == ["releaseTrain"]
    outcome = plan(desired(version="1.2.0", auto_upgrade_minor_version=False), current(),
                   resend_protected=False)
    assert set(outcome.changed_properties) == {"version", "autoUpgradeMinorVersion"}
    assert outcome.body["properties"]["version"] == "1.2.0"


def test_immutable_properties_are_reported():
    assert immutable_conflicts(desired(), current()) == []
    assert immutable_conflicts(desired(), current(extensionType="microsoft.azureml.kubernetes")) == []
    problems = immutable_conflicts(desired(), current(extensionType="Microsoft.Dapr",
                                                      scope={"cluster": {"releaseNamespace": "ml"}}))
    assert len(problems) == 2 and "Microsoft.Dapr" in problems[0] and "'ml'" in problems[1]
    assert immutable_conflicts(desired(), current(scope={"namespace": {"targetNamespace": "x"}}))


def test_views_and_diff_mask_protected_values():
    view = extension_view(current())
    assert view["extension_type"] == "Microsoft.AzureML.Kubernetes"
    assert view["release_namespace"] == "azureml"
    side = diff_view(desired(protected={"scoringFe.sslKey": "SECRET"}))
    assert side["protected_settings"] == {"scoringFe.sslKey": MASK}
    assert "SECRET" not in str(side)
    after = expected_after(current(), {"properties": {"configurationSettings": {"installPromOp": "False"},
                                                      "configurationProtectedSettings": {"x": "SECRET"}}})
    assert after["properties"]["configurationSettings"]["installPromOp"] == "False"
    assert after["properties"]["configurationSettings"]["enableTraining"] == "True"
    assert "SECRET" not in str(after)


def test_an_absent_key_holds_its_default():
    wanted = desired(settings={"enableTraining": "True", "enableInference": "False", "installPromOp": "True",
                               "scoringFe.serviceType.nodePort": "False"})
    assert plan(wanted, current(), resend_protected=False).action == "none"
    wanted = desired(settings={"enableTraining": "True", "scoringFe.serviceType.nodePort": "True"})
    outcome = plan(wanted, current(), resend_protected=False)
    assert outcome.changed_settings == ["scoringFe.serviceType.nodePort"]
    assert outcome.body["properties"]["configurationSettings"] == {"scoringFe.serviceType.nodePort": "True"}


def test_unpinning_a_version_sends_a_null_version():
    pinned = current(autoUpgradeMinorVersion=False, version="1.1.60")
    outcome = plan(desired(auto_upgrade_minor_version=True), pinned, resend_protected=False)
    assert outcome.changed_properties == ["autoUpgradeMinorVersion"]
    assert outcome.body["properties"]["autoUpgradeMinorVersion"] is True
    assert outcome.body["properties"]["version"] is None
    kept = plan(desired(release_train="preview"), pinned,
                resend_protected=False)
    assert kept.body["properties"]["version"] == "1.1.60"  # still pinned: the pin travels with the patch


def test_extension_names_follow_the_arm_rule_and_the_message_names_it():
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import (
        EXTENSION_NAME_RULE,
        extension_name_problem,
    )

    for good in ("azureml", "a", "aml-ext.1.2", "A" * 253, "9lives"):
        assert extension_name_problem(good) is None, good
    for bad in ("aml ext!", "", "-aml", "aml-", "aml.", "_x", "aml_ext", "A" * 254, "a/b", "ä", "azureml\n"):
        problem = extension_name_problem(bad)
        assert problem and EXTENSION_NAME_RULE in problem, bad
    assert repr("aml ext!") in extension_name_problem("aml ext!")
