"""aml/fleet_report: the rows, the summary and the masking, over plain host variables."""

from __future__ import annotations

import copy
import html
import json

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fleet_report as fr
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import MASK
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.fleet_report import files, page
from ansible_collections.azureml.kubernetes.tests.support import pki

SUB = "6b1e4d4a-0000-4000-8000-00000000a001"


def cluster(name: str, *, kind: str = "managedClusters", region: str = "eastus", **extra) -> dict:
    host = {"aml_cluster_name": name, "aml_cluster_type": kind, "aml_resource_group": "rg-ml",
            "aml_subscription_id": SUB, "aml_location": region}
    host.update(extra)
    return host


def record(outcome: str, scenario: str = "aks_production", **extra) -> dict:
    rec = {"scenario": scenario, "mode": "apply", "outcome": outcome, "failed_step": "", "reason": "", "fix": "",
           "wave": None}
    rec.update(extra)
    return rec


def extension(settings: dict | None = None, *, state: str = "Succeeded", version: str = "1.1.70", diff=None) -> dict:
    result = {"changed": True, "cluster": "x", "adjustments": {}, "changed_settings": [], "actions": [],
              "extension": {"name": "azureml", "provisioning_state": state, "version": None,
                            "current_version": version, "settings": settings or {}, "statuses": [],
                            "error_info": None}}
    if diff is not None:
        result["diff"] = diff
    return result


def verify(ready: int, total: int) -> dict:
    components = [{"name": f"c{i}", "kind": "Deployment", "ready": i < ready,
                   "reason": None if i < ready else "0 of 1 replicas ready"} for i in range(total)]
    return {"passed": ready == total, "components": components, "message": f"{ready} of {total} components ready."}


# ------------------------------------------------------------------------------------------------- rows


def test_a_cluster_without_a_run_record_is_untouched_and_keeps_the_inventory_state():
    row = fr.build_row("arc-1", cluster("arc-1", kind="connectedClusters", aml_extension_state="installed",
                                        aml_extension_version="1.1.64"))
    assert row["outcome"] == "untouched"
    assert row["type"] == "Arc"
    assert row["scenario"] == "none"
    assert row["extension_state"] == "installed"
    assert row["version"] == "1.1.64"
    assert row["components"] is None and row["changes"] is None


def test_an_installed_row_has_state_version_settings_and_components():
    host = cluster("aks-1", aml_run_record=record("installed", wave=2),
                   extension_result=extension({"enableTraining": "True", "inferenceRouterServiceType": "LoadBalancer"}),
                   verify_result=verify(17, 18))
    row = fr.build_row("aks-1", host)
    assert row["outcome"] == "installed"
    assert row["wave"] == 2
    assert row["type"] == "AKS"
    assert (row["subscription"], row["resource_group"], row["region"]) == (SUB, "rg-ml", "eastus")
    assert row["extension_state"] == "Succeeded"
    assert row["version"] == "1.1.70"
    assert row["settings"] == {"enableTraining": "True", "inferenceRouterServiceType": "LoadBalancer"}
    assert (row["components"]["ready"], row["components"]["total"]) == (17, 18)
    assert [c["name"] for c in row["components"]["not_ready"]] == ["c17"]


def test_preflight_warnings_are_the_warn_items_with_their_fix():
    prerequisites = {"passed": True, "failed": [], "checks": [
        {"id": "local_accounts", "status": "pass", "reason": "ok", "fix": None},
        {"id": "inference_router_ha", "status": "warn", "reason": "2 nodes: inferenceRouterHA is set to False.",
         "fix": "Add nodes."},
    ]}
    row = fr.build_row("aks-1", cluster("aks-1", aml_run_record=record("installed"),
                                        prerequisites_result=prerequisites))
    assert row["preflight_warnings"] == [{"id": "inference_router_ha", "reason": "2 nodes: inferenceRouterHA is set "
                                          "to False.", "fix": "Add nodes."}]


def test_a_failed_row_has_the_step_the_reason_and_the_records_fix():
    host = cluster("aks-1", aml_run_record=record("failed", failed_step="tls", reason="certificate expired",
                                                  fix="Renew the certificate."))
    row = fr.build_row("aks-1", host)
    assert (row["outcome"], row["failed_step"], row["reason"], row["fix"]) == (
        "failed", "tls", "certificate expired", "Renew the certificate.")


def test_a_failed_prerequisite_without_a_fix_in_the_record_takes_the_items_fix():
    prerequisites = {"passed": False, "failed": ["identity"], "checks": [
        {"id": "identity", "status": "fail", "reason": "service principal", "fix": "Switch the cluster to a managed "
         "identity (az aks update --enable-managed-identity)."}]}
    host = cluster("aks-1", aml_run_record=record("failed", failed_step="prerequisites", reason="1 failed"),
                   prerequisites_result=prerequisites)
    assert fr.build_row("aks-1", host)["fix"].startswith("Switch the cluster to a managed identity")


def test_a_failed_install_with_a_health_check_code_gets_its_documented_fix():
    host = cluster("aks-1", aml_run_record=record("failed", failed_step="extension",
                                                  reason="The extension failed: E45004 ..."))
    assert "legacy azureml-fe cleanup" in fr.build_row("aks-1", host)["fix"]


def test_a_record_without_outcome_but_with_a_failed_step_is_failed():
    host = cluster("aks-1", aml_run_record={"scenario": "s", "failed_step": "verify", "reason": "not ready"})
    assert fr.build_row("aks-1", host)["outcome"] == "failed"


def test_a_skipped_registration_counts_as_no_result():
    host = cluster("aks-1", aml_run_record=record("installed"),
                   tls_result={"skipped": True, "changed": False}, verify_result={"skipped": True})
    row = fr.build_row("aks-1", host)
    assert row["components"] is None


def test_drift_lists_settings_before_and_after_the_version_and_missing_components():
    diff = {"before": {"version": "1.1.64", "release_train": "stable",
                       "settings": {"enableInference": "True", "inferenceRouterServiceType": "NodePort",
                                    "sslCname": "old.contoso.com"},
                       "protected_settings": {}},
            "after": {"version": "1.1.70", "release_train": "stable",
                      "settings": {"enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
                                   "sslCname": "ml.contoso.com", "allowInsecureConnections": "False"},
                      "protected_settings": {"sslKeyPemFile": MASK}}}
    host = cluster("aks-1", aml_run_record=record("would_change", mode="check"),
                   extension_result=extension({"enableInference": "True"}, version="1.1.64", diff=diff),
                   verify_result=verify(16, 18))
    row = fr.build_row("aks-1", host)
    changes = row["changes"]
    assert row["outcome"] == "would_change" and row["mode"] == "check"
    assert changes["settings"] == [
        {"key": "allowInsecureConnections", "before": None, "after": "False"},
        {"key": "inferenceRouterServiceType", "before": "NodePort", "after": "LoadBalancer"},
        {"key": "sslCname", "before": "old.contoso.com", "after": "ml.contoso.com"},
        {"key": "sslKeyPemFile", "before": None, "after": MASK},
    ]
    assert changes["version"] == {"before": "1.1.64", "after": "1.1.70"}
    assert changes["missing_components"] == ["c16", "c17"]
    assert not changes["create"]


def test_drift_of_a_missing_extension_says_it_would_be_created():
    diff = {"before": {}, "after": {"version": None, "settings": {"enableTraining": "True"}, "protected_settings": {}}}
    result = extension(diff=diff)
    result["extension"] = {}
    row = fr.build_row("aks-1", cluster("aks-1", aml_run_record=record("would_change", mode="check"),
                                        extension_result=result))
    assert row["changes"]["create"] is True
    assert row["extension_state"] == "absent"


def test_drifted_is_read_as_would_change():
    row = fr.build_row("aks-1", cluster("aks-1", aml_run_record=record("drifted")))
    assert row["outcome"] == "would_change"


# -------------------------------------------------------------------------------------------- summary


def fleet() -> dict:
    return {
        "aks-1": cluster("aks-1", aml_run_record=record("installed")),
        "aks-2": cluster("aks-2", aml_run_record=record("failed", failed_step="prerequisites", reason="x")),
        "aks-3": cluster("aks-3", region="westeurope", aml_run_record=record("unchanged")),
        "arc-1": cluster("arc-1", kind="connectedClusters", region="westeurope",
                         aml_run_record=record("updated", scenario="arc_production")),
        "arc-2": cluster("arc-2", kind="connectedClusters"),
        "localhost": {"ansible_connection": "local"},
    }


def test_the_summary_counts_every_outcome_scenario_region_and_type():
    hosts = fleet()
    report = fr.build_report(list(hosts), hosts)
    summary = report["summary"]
    assert summary["total"] == 5  # localhost is not a cluster
    assert summary["failed"] == 1
    assert summary["by_outcome"] == {"installed": 1, "updated": 1, "unchanged": 1, "would_change": 0, "failed": 1,
                                     "untouched": 1}
    assert summary["by_scenario"] == {
        "aks_production": {"total": 3, "installed": 1, "failed": 1, "unchanged": 1},
        "arc_production": {"total": 1, "updated": 1},
        "none": {"total": 1, "untouched": 1},
    }
    assert summary["by_region"] == {
        "eastus": {"total": 3, "installed": 1, "failed": 1, "untouched": 1},
        "westeurope": {"total": 2, "unchanged": 1, "updated": 1},
    }
    assert summary["by_type"] == {"AKS": 3, "Arc": 2}
    assert [row["cluster"] for row in report["rows"]] == ["aks-1", "aks-2", "aks-3", "arc-1", "arc-2"]


def test_the_one_line_summary_names_only_the_outcomes_present():
    hosts = fleet()
    line = fr.one_line(fr.build_report(list(hosts), hosts)["summary"])
    assert line == "5 cluster(s): 1 installed, 1 updated, 1 unchanged, 1 failed, 1 untouched (skipped)"


def test_only_the_named_hosts_are_reported():
    hosts = fleet()
    report = fr.build_report(["aks-2", "arc-2"], hosts)
    assert [row["cluster"] for row in report["rows"]] == ["aks-2", "arc-2"]


# -------------------------------------------------------------------------------------------- secrets


@pytest.fixture(scope="module")
def secrets() -> dict:
    key = pki.key_pem(pki.ec_key()).decode()
    return {
        "key": key,
        "connection": ("Endpoint=sb://arcml0001rgrelay.servicebus.windows.net/;SharedAccessKeyName=azureml;"
                       "SharedAccessKey=k8Zq2Vx9Pw3Lm7Tn1Rb5Yc0Hd4Gf6Js8Ua2We9Qo=;EntityPath=azureml"),
        "sas": "Qm9ndXNTdG9yYWdlS2V5VmFsdWVOb3RSZWFs==",
        "token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbWwtdGVzdCIsImV4cCI6MX0.c2lnbmF0dXJlLW5vdC1yZWFs",
    }


def secret_host(secrets: dict) -> dict:
    """A cluster whose variables carry secrets wherever a careless report would pick them up."""
    key, connection, sas = secrets["key"], secrets["connection"], secrets["sas"]
    return cluster(
        "arc-secret", kind="connectedClusters",
        aml_extension_config_protected={"sslKeyPemFile": key, "relayConnectionString": connection,
                                        "storageAccountKey": sas},
        extension_config_protected={"sslKeyPemFile": key},
        aml_run_record=record("failed", failed_step="extension",
                              reason=f"Azure refused the body: relayConnectionString={connection}; key {key}",
                              fix=f"Use a new key instead of {sas}"),
        extension_result=extension(
            {"enableTraining": "True", "relayserver.relayConnectionString": connection, "storageAccountKey": sas,
             "ansibleProtectedSettingsFingerprint": "pbkdf2$abc$def", "note": f"Authorization: Bearer {secrets['token']}"},
            diff={"before": {"settings": {"scoringFe.sslKey": key}, "protected_settings": {}},
                  "after": {"settings": {"scoringFe.sslKey": key + "x", "storageAccountKey": "changed-" + sas},
                            "protected_settings": {"sslKeyPemFile": MASK, "relayConnectionString": MASK}}}),
        prerequisites_result={"passed": True, "failed": [], "checks": [
            {"id": "proxy", "status": "warn", "reason": f"HTTPS_PROXY carries a password: {connection}",
             "fix": f"token {secrets['token']}"}]},
        tls_result={"ok": False, "problems": [key], "warnings": []},
    )


def fragments(secrets: dict) -> list[str]:
    """The secrets, and enough of each that a partial leak is caught too."""
    key_lines = [line for line in secrets["key"].splitlines() if line and "-----" not in line]
    return [secrets["key"], *key_lines, secrets["connection"], "k8Zq2Vx9Pw3Lm7Tn1Rb5Yc0Hd4Gf6Js8Ua2We9Qo=",
            secrets["sas"], secrets["token"], "BEGIN EC PRIVATE KEY", "BEGIN PRIVATE KEY"]


def test_no_secret_reaches_a_row(secrets):
    row = fr.build_row("arc-secret", secret_host(secrets))
    text = json.dumps(row)
    for fragment in fragments(secrets):
        assert fragment not in text
    # What is not secret stays readable, and the protected keys are named without their values.
    assert row["settings"]["enableTraining"] == "True"
    assert "sslKeyPemFile" in row["protected_keys"] and "relayConnectionString" in row["protected_keys"]
    assert "ansibleProtectedSettingsFingerprint" not in row["settings"]
    assert "storageAccountKey" not in row["settings"] and "relayserver.relayConnectionString" not in row["settings"]
    assert row["reason"].startswith("Azure refused the body: relayConnectionString=")
    assert MASK in row["reason"]


def test_secret_shapes_are_masked_in_any_text():
    masker = fr.Masker()
    assert masker.text("x -----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY----- y") == f"x {MASK} y"
    assert masker.text("cut -----BEGIN PRIVATE KEY-----\nMIIabc") == f"cut {MASK}"
    assert masker.text("AccountKey=abc123==;EndpointSuffix=core") == f"AccountKey={MASK};EndpointSuffix=core"
    assert masker.text("https://a.blob/?sv=1&sig=abcdEF%2B12&se=2") == f"https://a.blob/?sv=1&sig={MASK}&se=2"
    assert masker.text("Authorization: Bearer abcdefghijkl") == f"Authorization: Bearer {MASK}"


def test_short_and_boolean_protected_values_do_not_blank_the_page():
    host = cluster("aks-1", aml_extension_config_protected={"allowInsecureConnections": "True", "x": True},
                   aml_run_record=record("installed"), extension_result=extension({"enableTraining": "True"}))
    row = fr.build_row("aks-1", host)
    assert row["settings"] == {"enableTraining": "True"}
    assert row["protected_keys"] == ["allowInsecureConnections", "x"]


def test_rows_do_not_change_the_host_variables(secrets):
    host = secret_host(secrets)
    before = copy.deepcopy(host)
    fr.build_row("arc-secret", host)
    assert host == before


def test_no_secret_reaches_the_html_page_or_the_json_file(secrets, tmp_path):
    hosts = {"arc-secret": secret_host(secrets), "aks-1": cluster("aks-1", aml_run_record=record("installed"))}
    written = files.write(str(tmp_path), fr.build_report(list(hosts), hosts))
    page_text = (tmp_path / files.HTML_NAME).read_text(encoding="utf-8")
    json_text = (tmp_path / files.JSON_NAME).read_text(encoding="utf-8")
    assert written["written"] and "arc-secret" in page_text and "arc-secret" in json_text
    for fragment in fragments(secrets):
        assert fragment not in page_text
        assert fragment not in json_text
        # Nor HTML-escaped or JSON-escaped.
        assert html.escape(fragment) not in page_text
        assert json.dumps(fragment)[1:-1] not in json_text


def test_a_cluster_the_rollout_stopped_before_is_untouched_with_the_reason():
    host = cluster("aks-9", aml_run_record=record("untouched", reason="The rollout stopped at wave 1", wave=3))
    row = fr.build_row("aks-9", host)
    assert (row["outcome"], row["reason"], row["wave"], row["failed_step"]) == (
        "untouched", "The rollout stopped at wave 1", 3, "")
    assert "The rollout stopped at wave 1" in page.render(fr.build_report(["aks-9"], {"aks-9": host}), "now")


def test_the_steps_that_changed_are_in_the_row_and_on_the_page():
    host = cluster("aks-1", aml_run_record=record("would_change", mode="check",
                                                  changed_steps=["prerequisites", "extension"]))
    row = fr.build_row("aks-1", host)
    assert row["changed_steps"] == ["prerequisites", "extension"]
    text = page.render(fr.build_report(["aks-1"], {"aks-1": host}), "now")
    assert "would change:" in text and "steps: prerequisites, extension" in text


def test_the_settings_shown_are_the_chosen_ones_not_those_the_cli_computes():
    settings = {"enableTraining": "True", "inferenceRouterHA": "false", "clusterId": "/subscriptions/x",
                "location": "eastus", "nginxIngress.enabled": "true", "scoringFe.sslSecret": "azureml-tls",
                "sslSecret": "azureml-tls", "customKey": "kept"}
    row = fr.build_row("aks-1", cluster("aks-1", aml_run_record=record("installed"),
                                        extension_result=extension(settings)))
    assert row["settings"] == {"customKey": "kept", "enableTraining": "True", "inferenceRouterHA": "false",
                               "sslSecret": "azureml-tls"}


def test_an_inline_tls_key_without_armour_and_a_numeric_protected_value_are_masked():
    bare_key = "MHcCAQEEIIb4TlsKeyWithoutItsPemArmour0123456789abcdefghij"
    host = cluster("aks-1", aml_tls_key_content=bare_key, aml_extension_config_protected={"pin": 73519264},
                   aml_run_record=record("failed", failed_step="tls", reason=f"bad key {bare_key} (pin 73519264)"))
    row = fr.build_row("aks-1", host)
    assert bare_key not in json.dumps(row) and "73519264" not in json.dumps(row)
    assert row["reason"] == f"bad key {MASK} (pin {MASK})"
