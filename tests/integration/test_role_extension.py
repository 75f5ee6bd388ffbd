"""Role extension against the sandbox: the preflight's adjustments (prerequisites_result.settings_adjustments) win
over the given config and are reported; check mode predicts and writes nothing; the same run again changes nothing;
extension_force_update sends the update though nothing differs (the TLS rotation step); a refused config (an unknown key) registers
extension_result with the reason and fails the role (or only registers, with extension_fail: false), writing nothing."""

from __future__ import annotations

import json
from typing import Any

ROLE = "azureml.kubernetes.extension"
CONFIG = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
          "allowInsecureConnections": "True", "inferenceRouterHA": "True"}


def role(title: str, cluster: dict[str, Any], *, check: bool = False, ignore_errors: bool = False,
         **variables: Any) -> list[dict[str, Any]]:
    role_vars = {"extension_cluster_type": cluster["cluster_type"], "extension_cluster_name": cluster["name"],
                 "extension_resource_group": cluster["resource_group"], "extension_config": CONFIG}
    role_vars.update(variables)
    apply: dict[str, Any] = {}
    if check:
        apply["check_mode"] = True
    if ignore_errors:
        apply["ignore_errors"] = True
    include: dict[str, Any] = {"name": ROLE}
    if apply:
        include["apply"] = apply
    return [{"name": title, "vars": role_vars, "ansible.builtin.include_role": include},
            {"name": "show " + title, "ansible.builtin.debug": {"var": "extension_result"}}]


def test_adjustments_check_mode_idempotence_force_update_and_refusals(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(node_count=2)  # inferenceRouterHA=True would fail the health check (E40002)
    tasks = [{"name": "what prerequisites adjusted",
              "ansible.builtin.set_fact": {"prerequisites_result": {"settings_adjustments": {"inferenceRouterHA": "False"}}}}]
    tasks += role("check", cluster, check=True)
    tasks += role("install", cluster)
    tasks += role("again", cluster)
    tasks += role("force", cluster, extension_force_update=True)
    tasks += role("refused", cluster, extension_config={"inferenceRouterServiceTyp": "LoadBalancer"}, extension_fail=False)
    tasks += role("refused and failing", cluster, ignore_errors=True, extension_config={"inferenceRouterServiceTyp": "LoadBalancer"})
    run = run_playbook(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    assert run.returncode == 0, run.stdout[-4000:]

    def result(title: str) -> dict[str, Any]:
        shown = run.task("show " + title)
        assert "extension_result" in shown, f"{shown}\n{run.stdout[-4000:]}"
        return shown["extension_result"]

    check = result("check")
    assert check["changed"] is True and check["failed"] is False
    assert check["actions"][-1].startswith("create extension azureml")
    assert check["adjustments"] == {"inferenceRouterHA": "False"}

    install = result("install")
    assert install["changed"] is True and install["cluster"] == cluster["name"], install
    assert install["extension"]["provisioning_state"] == "Succeeded"
    assert install["extension"]["settings"]["inferenceRouterHA"] == "false"  # the adjustment won over the config
    assert install["adjustments"] == {"inferenceRouterHA": "False"}
    assert install["cluster_facts"]["node_count"] == 2

    assert result("again")["changed"] is False
    forced = result("force")
    assert forced["changed"] is True and forced["force_update"] is True, forced

    refused = result("refused")
    assert refused["failed"] is True and refused["changed"] is False
    assert "inferenceRouterServiceType" in refused["msg"], refused["msg"]
    raised = [t["hosts"]["localhost"] for play in run.output["plays"] for t in play["tasks"]
              if t["task"]["name"].endswith("Fail with what is wrong")]
    assert [r.get("failed", False) for r in raised] == [False] * 5 + [True], raised
    assert "inferenceRouterServiceType" in raised[-1]["msg"] and cluster["name"] in raised[-1]["msg"]

    # One create and one update (the forced one): check mode, the second run and the refusals wrote nothing.
    writes = [e["method"] for e in sandbox.writes(f"/{cluster['name']}/providers/Microsoft.KubernetesConfiguration")]
    assert writes == ["PUT", "PATCH"], writes
