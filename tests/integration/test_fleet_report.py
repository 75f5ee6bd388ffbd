"""playbooks/fleet_report.yml after a run: the hosts' aml_run_record and role results (set with set_fact, as
playbooks/tasks/converge.yml sets them) become the two report files; the run fails with rc 2 when a cluster
failed, unless aml_report_fail_on_failures is false. No sandbox: the report reads only host variables.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support.plays import REPO, ansible_env, ansible_playbook

REPORT = REPO / "playbooks" / "fleet_report.yml"
SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
PEM = ("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFleetReportTestKey0\n"
       "-----END PRIVATE KEY-----\n")
CONNECTION = ("Endpoint=sb://arcfleet.servicebus.windows.net/;SharedAccessKeyName=azureml;"
              "SharedAccessKey=FleetReportSecretKeyValue0123456789abcdEF=")


def record(outcome: str, **extra: Any) -> dict[str, Any]:
    value = {"scenario": "aks_production", "mode": "apply", "outcome": outcome, "failed_step": "", "reason": "",
             "fix": "", "wave": 1}
    value.update(extra)
    return value


EXTENSION = {"changed": True, "cluster": "x", "adjustments": {}, "changed_settings": [], "actions": [],
             "extension": {"name": "azureml", "provisioning_state": "Succeeded", "current_version": "1.1.70",
                           "settings": {"enableTraining": "True", "enableInference": "True"}}}
VERIFY = {"passed": True, "message": "2 of 2 components ready.",
          "components": [{"name": "gateway", "kind": "Deployment", "ready": True, "reason": None},
                         {"name": "azureml-fe-v2", "kind": "Deployment", "ready": True, "reason": None}]}

# Per host: the inventory's variables, and what the run left (seed_* are copied into the real names by set_fact).
FLEET = {
    "aks-ok": {"aml_cluster_type": "managedClusters", "aml_location": "eastus", "group": "aks",
               "seed": {"aml_run_record": record("installed"), "extension_result": EXTENSION, "verify_result": VERIFY}},
    "aks-bad": {"aml_cluster_type": "managedClusters", "aml_location": "westus", "group": "aks",
                "seed": {"aml_run_record": record("failed", failed_step="prerequisites",
                                                  reason="The cluster uses a service principal."),
                         "prerequisites_result": {"passed": False, "failed": ["identity"], "checks": [
                             {"id": "identity", "status": "fail", "reason": "service principal",
                              "fix": "Use a managed identity: az aks update --enable-managed-identity."},
                             {"id": "inference_router_ha", "status": "warn", "reason": "2 nodes", "fix": "Add nodes."}]},
                         "aml_extension_config_protected": {"sslKeyPemFile": PEM, "relayConnectionString": CONNECTION}}},
    "arc-later": {"aml_cluster_type": "connectedClusters", "aml_location": "eastus", "group": "arc", "seed": {}},
}


def inventory(folder: Path, fleet: dict[str, Any]) -> Path:
    groups: dict[str, Any] = {}
    for name, host in fleet.items():
        groups.setdefault(host["group"], {"hosts": {}})["hosts"][name] = {
            "aml_cluster_type": host["aml_cluster_type"], "aml_cluster_name": name, "aml_resource_group": "rg-fleet",
            "aml_subscription_id": SUB, "aml_location": host["aml_location"], "ansible_connection": "local",
            **{f"seed_{key}": value for key, value in host["seed"].items()}}
    path = folder / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"aml_clusters": {"children": groups}}}}))
    return path


def playbook(folder: Path, facts: list[str]) -> Path:
    """A run that leaves the facts converge.yml leaves, then the report, as the scenario playbooks import it."""
    tasks = [{"name": f"Record {fact}", "ansible.builtin.set_fact": {fact: "{{ seed_%s }}" % fact},
              "when": f"seed_{fact} is defined"} for fact in facts]
    plays = [{"name": "The run", "hosts": "aml_clusters", "gather_facts": False, "tasks": tasks},
             {"ansible.builtin.import_playbook": str(REPORT)}]
    path = folder / "run.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    return path


def run(folder: Path, *args: str, fleet: dict[str, Any] | None = None) -> tuple[subprocess.CompletedProcess[str], dict]:
    fleet = FLEET if fleet is None else fleet
    facts = sorted({key for host in fleet.values() for key in host["seed"]})
    command = [ansible_playbook(), "-i", str(inventory(folder, fleet)), str(playbook(folder, facts)), *args]
    env = ansible_env({}, {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"})
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False, cwd=folder)
    output = json.loads(completed.stdout) if completed.stdout.strip().startswith("{") else {}
    return completed, output


def task_result(output: dict, name: str) -> dict[str, Any]:
    for play in output.get("plays", []):
        for task in play["tasks"]:
            if task["task"]["name"] == name:
                return task["hosts"]["localhost"]
    raise AssertionError(f"task {name!r} not in the run: {json.dumps(output)[-3000:]}")


WRITE = "Write the fleet report (HTML page and JSON)"
SUMMARY = "Summary and where the report is"
FAIL = "Fail the run when a cluster failed"


def test_a_failed_cluster_is_reported_with_its_fix_and_fails_the_run_with_rc_2(tmp_path):
    completed, output = run(tmp_path)
    assert completed.returncode == 2, completed.stdout[-3000:] + completed.stderr[-3000:]
    report_dir = tmp_path / "aml-report"  # the default, relative to the current directory
    document = json.loads((report_dir / "aml-fleet-report.json").read_text())
    assert document["summary"]["by_outcome"] == {"installed": 1, "updated": 0, "unchanged": 0, "would_change": 0,
                                                 "failed": 1, "untouched": 1}
    assert document["summary"]["by_region"] == {"eastus": {"total": 2, "installed": 1, "untouched": 1},
                                                "westus": {"total": 1, "failed": 1}}
    rows = {row["cluster"]: row for row in document["rows"]}
    assert rows["aks-bad"]["failed_step"] == "prerequisites"
    assert rows["aks-bad"]["fix"] == "Use a managed identity: az aks update --enable-managed-identity."
    assert [w["id"] for w in rows["aks-bad"]["preflight_warnings"]] == ["inference_router_ha"]
    assert rows["aks-ok"]["components"]["ready"] == 2 and rows["aks-ok"]["version"] == "1.1.70"
    assert rows["arc-later"]["outcome"] == "untouched" and rows["arc-later"]["type"] == "Arc"
    page = (report_dir / "aml-fleet-report.html").read_text()
    assert "aks-bad" in page and "az aks update --enable-managed-identity" in page
    for secret in ("FleetReportSecretKeyValue0123456789abcdEF=", "FleetReportTestKey0", "BEGIN PRIVATE KEY"):
        assert secret not in page and secret not in json.dumps(document)
    written = task_result(output, WRITE)
    assert written["failed_count"] == 1 and written["failed_clusters"] == ["aks-bad"]
    assert written["html"] == str(report_dir / "aml-fleet-report.html")
    assert task_result(output, SUMMARY)["msg"] == (
        f"3 cluster(s): 1 installed, 1 failed, 1 untouched (skipped). Report: {report_dir / 'aml-fleet-report.html'}")
    assert "aks-bad" in task_result(output, FAIL)["msg"]


def test_failures_are_reported_without_failing_when_told(tmp_path):
    completed, output = run(tmp_path, "-e", "aml_report_fail_on_failures=false", "-e", f"aml_report_dir={tmp_path}/r")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert task_result(output, FAIL).get("skipped") is True
    assert json.loads((tmp_path / "r" / "aml-fleet-report.json").read_text())["summary"]["failed"] == 1


def test_a_healthy_fleet_passes_and_an_unchanged_report_is_not_rewritten(tmp_path):
    fleet = {name: host for name, host in FLEET.items() if name != "aks-bad"}
    first, output = run(tmp_path, fleet=fleet)
    assert first.returncode == 0, first.stdout[-3000:]
    assert task_result(output, WRITE)["changed"] is True
    again, output = run(tmp_path, fleet=fleet)
    assert again.returncode == 0
    second = task_result(output, WRITE)
    assert second["changed"] is False and second["written"] is False


def test_aml_hosts_limits_the_report_to_its_pattern(tmp_path):
    completed, output = run(tmp_path, "-e", "aml_hosts=arc")
    # Only arc-later is reported: aks-bad's failure is outside the pattern and does not fail the run.
    assert completed.returncode == 0, completed.stdout[-3000:]
    document = json.loads((tmp_path / "aml-report" / "aml-fleet-report.json").read_text())
    assert [row["cluster"] for row in document["rows"]] == ["arc-later"]
    assert task_result(output, WRITE)["summary"]["total"] == 1


def test_a_limit_limits_the_report_too(tmp_path):
    completed, output = run(tmp_path, "-l", "aks-ok,localhost")
    assert completed.returncode == 0, completed.stdout[-3000:]
    document = json.loads((tmp_path / "aml-report" / "aml-fleet-report.json").read_text())
    assert [row["cluster"] for row in document["rows"]] == ["aks-ok"]


def test_check_mode_still_writes_the_drift_report(tmp_path):
    diff = {"before": {"version": "1.1.64", "settings": {"enableInference": "False"}, "protected_settings": {}},
            "after": {"version": "1.1.70", "settings": {"enableInference": "True"}, "protected_settings": {}}}
    fleet = {"aks-drift": {"aml_cluster_type": "managedClusters", "aml_location": "eastus", "group": "aks",
                           "seed": {"aml_run_record": record("would_change", mode="check"),
                                    "extension_result": dict(EXTENSION, diff=diff)}}}
    completed, output = run(tmp_path, "--check", "--diff", fleet=fleet)
    assert completed.returncode == 0, completed.stdout[-3000:]
    document = json.loads((tmp_path / "aml-report" / "aml-fleet-report.json").read_text())
    changes = document["rows"][0]["changes"]
    assert changes["settings"] == [{"key": "enableInference", "before": "False", "after": "True"}]
    assert changes["version"] == {"before": "1.1.64", "after": "1.1.70"}
    assert document["summary"]["by_outcome"]["would_change"] == 1
    assert task_result(output, WRITE)["diff"]["after"] == {"aks-drift": "would_change"}


def test_the_result_is_what_the_return_documentation_says(tmp_path):
    completed, output = run(tmp_path)
    result = task_result(output, WRITE)
    tree = ast.parse((REPO / "plugins" / "modules" / "aml_fleet_report.py").read_text())
    docs = next(yaml.safe_load(node.value.value) for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "RETURN" for t in node.targets))
    ansible_keys = {"changed", "failed", "invocation", "warnings", "deprecations", "diff", "msg", "action", "skipped",
                    "_ansible_no_log", "_ansible_verbose_always", "_ansible_verbose_override"}
    assert set(result) - ansible_keys == set(docs)
    assert set(result["summary"]) == set(docs["summary"]["contains"])
    assert completed.returncode == 2
