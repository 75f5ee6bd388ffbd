"""The four scenario playbooks, run as users run them: ansible-playbook over the sandbox's inventory (a host is a
cluster), limited with aml_hosts to the clusters each test seeds, settings from inventory variables. Each asserts the
extension's settings as stored in Azure (the sandbox's state), the components in the cluster's real API server, the
run record of every cluster, and a second run that changes nothing; one cluster's failure (a service-principal AKS) is
recorded with the documented fix and does not stop the other cluster."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support import pki
from tests.support.kube import kube_api, wait_until
from tests.support.plays import REPO, ansible_env, ansible_playbook

PLAYBOOKS = REPO / "playbooks"
RUN_TIMEOUT = 900


class ScenarioRun:
    """One ansible-playbook run: return code, output, and per host the last value of each fact it set."""

    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        output = json.loads(completed.stdout) if completed.stdout.strip().startswith("{") else {}
        self.facts: dict[str, dict[str, Any]] = {}
        for play in output.get("plays", []):
            for task in play["tasks"]:
                for host, result in task["hosts"].items():
                    self.facts.setdefault(host, {}).update(result.get("ansible_facts") or {})

    def record(self, host: str) -> dict[str, Any]:
        assert "aml_run_record" in self.facts.get(host, {}), f"no run record for {host}:\n{self.tail()}"
        return self.facts[host]["aml_run_record"]

    def fact(self, host: str, name: str) -> dict[str, Any]:
        assert name in self.facts.get(host, {}), f"{host} has no {name}:\n{self.tail()}"
        return self.facts[host][name]

    def tail(self) -> str:
        return self.stdout[-6000:] + "\n" + self.stderr[-3000:]


class Fleet:
    """The sandbox's inventory plus an inventory of the test's own (the fleet's group and host variables)."""

    def __init__(self, sandbox, tmp_path: Path, clusters: list[dict[str, Any]], host_vars: dict[str, Any] | None = None,
                 group_vars: dict[str, Any] | None = None) -> None:
        self.sandbox = sandbox
        self.tmp = tmp_path
        self.hosts = [c["name"] for c in clusters]
        self.inventory = Path(os.environ["AML_SANDBOX_DIR"]) / "inventory.yml"
        wait_until(lambda: all(h in self.inventory.read_text() for h in self.hosts), "the seeded clusters in the inventory")
        for cluster in clusters:  # every control plane answers with its nodes before the first step reads them
            core = _core(sandbox, cluster)
            wait_until(lambda core=core: len(core.list_node().items) > 0, f"the nodes of {cluster['name']}")
        self.own = tmp_path / "fleet.yml"
        self.write(host_vars or {}, group_vars or {})

    def write(self, host_vars: dict[str, Any], group_vars: dict[str, Any]) -> None:
        hosts = {h: dict(host_vars.get(h, {})) for h in self.hosts}
        self.own.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": group_vars}}))

    def run(self, scenario: str, *, check: bool = False) -> ScenarioRun:
        command = [ansible_playbook(), "-i", str(self.inventory), "-i", str(self.own), str(playbook(scenario, self.tmp)),
                   "-e", json.dumps({"aml_hosts": ":".join(self.hosts), "aml_verify_poll_interval": 2,
                                     "aml_verify_timeout": 300, "aml_backup_dir": str(self.tmp / "backups"),
                                     "aml_report_dir": str(self.tmp / "report")})]
        if check:
            command += ["--check", "--diff"]
        env = ansible_env(self.sandbox.env, {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                                             "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"})
        return ScenarioRun(subprocess.run(command, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT,
                                          check=False, cwd=self.tmp))

    def extension_writes(self, host: str, since: int) -> list[dict[str, Any]]:
        return list(self.sandbox.writes(f"/{host}/providers/Microsoft.KubernetesConfiguration", since=since))

    def settings(self, host: str) -> dict[str, str]:
        found = [e for e in self.sandbox.extensions() if f"/{host}/providers/" in e["id"] and e["name"] == "azureml"]
        assert len(found) == 1, f"{host}: {len(found)} azureml extensions in the sandbox"
        return found[0]["configurationSettings"]


def playbook(scenario: str, tmp_path: Path) -> Path:
    """The scenario playbook itself, which ends with the fleet report's import (over the clusters it ran on)."""
    source = PLAYBOOKS / f"{scenario}.yml"
    last = yaml.safe_load(source.read_text())[-1]
    assert last.get("ansible.builtin.import_playbook") == "fleet_report.yml", f"{source} does not end with the report"
    assert "aml_report_hosts" in (last.get("vars") or {}), f"{source}: the report does not name its clusters"
    return source


def ok_rc(failed: bool) -> int:
    """A failed cluster fails the run through the fleet report (rc 2), and only then."""
    return 2 if failed else 0


def _core(sandbox, cluster):
    import kubernetes

    return kubernetes.client.CoreV1Api(kube_api(sandbox, cluster))


class Cluster:
    def __init__(self, sandbox, cluster: dict[str, Any]) -> None:
        import kubernetes

        api = kube_api(sandbox, cluster)
        self.core = kubernetes.client.CoreV1Api(api)
        self.apps = kubernetes.client.AppsV1Api(api)

    def deployments(self) -> dict[str, int]:
        return {d.metadata.name: d.spec.replicas for d in self.apps.list_namespaced_deployment("azureml").items}

    def daemonsets(self) -> set[str]:
        return {d.metadata.name for d in self.apps.list_namespaced_daemon_set("azureml").items}

    def router_service_type(self) -> str:
        return self.core.read_namespaced_service("azureml-fe", "azureml").spec.type

    def secret_keys(self, name: str, namespace: str = "azureml") -> set[str]:
        return set(self.core.read_namespaced_secret(name, namespace).data or {})


def components(run: ScenarioRun, host: str) -> dict[str, bool]:
    verify = run.fact(host, "verify_result")
    assert verify["passed"] is True, verify["message"]
    return {c["name"]: c["ready"] for c in verify["components"]}


def tls_pair(folder: Path) -> pki.PemPair:
    return pki.write_pair(folder, pki.ec_key(), common_name="ml.contoso.com", dns_names=("ml.contoso.com",))


def test_aks_proof_of_concept_installs_every_workload_and_a_service_principal_cluster_fails_alone(sandbox, tmp_path):
    small = sandbox.seed_cluster(node_count=2)  # a proof-of-concept cluster: the router runs without HA
    service_principal = sandbox.seed_cluster(node_count=3, identity_type="ServicePrincipal")
    fleet = Fleet(sandbox, tmp_path, [small, service_principal])
    host, sp_host = small["name"], service_principal["name"]
    since = sandbox.last_seq()

    run = fleet.run("aks_proof_of_concept")
    assert run.returncode == ok_rc(failed=True), run.tail()
    assert run.record(host)["outcome"] == "installed", run.record(host)
    settings = fleet.settings(host)
    for key, value in {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "loadBalancer",
                       "allowInsecureConnections": "True", "inferenceRouterHA": "false"}.items():
        assert settings[key] == value, (key, settings)
    ready = components(run, host)
    assert {"aml-operator", "volcano-scheduler", "azureml-fe-v2", "gateway"} <= set(ready) and all(ready.values())
    k8s = Cluster(sandbox, small)
    assert k8s.router_service_type() == "LoadBalancer"
    assert k8s.deployments()["azureml-fe-v2"] == 1  # inferenceRouterHA=False: one router

    failed = run.record(sp_host)
    assert failed["outcome"] == "failed" and failed["failed_step"] == "prerequisites", failed
    assert "service principal" in failed["reason"] and "managed identity" in failed["fix"], failed
    assert fleet.extension_writes(sp_host, since) == []  # nothing written for it

    since = sandbox.last_seq()
    again = fleet.run("aks_proof_of_concept")
    assert again.record(host)["outcome"] == "unchanged", again.record(host)
    assert again.record(host)["changed_steps"] == []
    assert fleet.extension_writes(host, since) == []
    assert again.record(sp_host)["outcome"] == "failed"


def test_arc_proof_of_concept_installs_training_only_and_a_check_run_finds_nothing_to_change(sandbox, tmp_path):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=3)
    fleet = Fleet(sandbox, tmp_path, [cluster])
    host = cluster["name"]

    run = fleet.run("arc_proof_of_concept")
    assert run.returncode == 0, run.tail()
    assert run.record(host)["outcome"] == "installed", run.record(host)
    settings = fleet.settings(host)
    assert settings["enableTraining"] == "True" and settings["enableInference"] == "False", settings
    assert settings["relayserver.enabled"] == "true"
    ready = components(run, host)
    assert {"relayserver", "aml-operator", "volcano-scheduler"} <= set(ready) and all(ready.values())
    assert not {"azureml-fe-v2", "amlarc-identity-controller"} & set(ready)
    assert "azureml-fe-v2" not in Cluster(sandbox, cluster).deployments()

    since = sandbox.last_seq()
    check = fleet.run("arc_proof_of_concept", check=True)
    assert check.returncode == 0, check.tail()
    record = check.record(host)
    assert record["mode"] == "check" and record["outcome"] == "unchanged", record
    assert sandbox.writes(host, since=since) == []


def test_aks_production_serves_https_from_the_sslsecret_adjusts_ha_below_three_nodes_and_a_rotation_updates(
        sandbox, tmp_path):
    large, small = sandbox.seed_clusters([{"node_count": 4}, {"node_count": 2}])
    first, second = tls_pair(tmp_path / "first"), tls_pair(tmp_path / "second")
    pair = {"aml_tls_cert_file": first.cert, "aml_tls_key_file": first.key}
    fleet = Fleet(sandbox, tmp_path, [large, small], host_vars={large["name"]: pair, small["name"]: pair},
                  group_vars={"aml_tls_cname": "ml.contoso.com"})
    host, small_host = large["name"], small["name"]

    run = fleet.run("aks_production")
    assert run.returncode == 0, run.tail()
    for name in (host, small_host):
        assert run.record(name)["outcome"] == "installed", run.record(name)
        settings = fleet.settings(name)
        assert settings["sslSecret"] == "azureml-tls" and settings["sslCname"] == "ml.contoso.com", settings
        assert settings["inferenceRouterServiceType"] == "loadBalancer"
        assert "allowInsecureConnections" not in settings
        assert Cluster(sandbox, large if name == host else small).secret_keys("azureml-tls") == {"cert.pem", "key.pem"}
    assert "inferenceRouterHA" not in fleet.settings(host)
    assert run.fact(host, "extension_result")["adjustments"] == {}
    assert Cluster(sandbox, large).deployments()["azureml-fe-v2"] == 3
    assert Cluster(sandbox, large).router_service_type() == "LoadBalancer"
    assert all(components(run, host).values())
    # Two nodes: prerequisites turned the router's HA off, which the extension's health check would refuse (E40002).
    assert run.fact(small_host, "extension_result")["adjustments"] == {"inferenceRouterHA": "False"}
    assert fleet.settings(small_host)["inferenceRouterHA"] == "false"
    assert Cluster(sandbox, small).deployments()["azureml-fe-v2"] == 1

    # The large cluster's certificate rotates; the small one's inventory is as before.
    fleet.write({host: {"aml_tls_cert_file": second.cert, "aml_tls_key_file": second.key}, small_host: pair},
                {"aml_tls_cname": "ml.contoso.com"})
    since = sandbox.last_seq()
    again = fleet.run("aks_production")
    assert again.returncode == 0, again.tail()
    assert again.record(small_host)["outcome"] == "unchanged", again.record(small_host)
    assert fleet.extension_writes(small_host, since) == []
    rotated = again.record(host)
    assert rotated["outcome"] == "updated" and rotated["changed_steps"] == ["tls", "extension"], rotated
    assert again.fact(host, "tls_result")["rotated"] is True
    assert [e["method"] for e in fleet.extension_writes(host, since)] == ["PATCH"]  # the documented update


def test_arc_production_gpu_installs_the_gpu_components_over_nodeport_and_reuses_an_existing_dcgm_exporter(
        sandbox, tmp_path):
    pools = [{"name": "system", "count": 3}, {"name": "gpu", "count": 1, "gpu": 1}]
    plain, reusing = sandbox.seed_clusters([
        {"cluster_type": "connectedClusters", "node_count": 4, "nodes": pools},
        {"cluster_type": "connectedClusters", "node_count": 4, "nodes": pools,
         "situations": ["dcgm_exporter", "prometheus_operator"]}])
    pair = tls_pair(tmp_path / "tls")
    fleet = Fleet(sandbox, tmp_path, [plain, reusing],
                  group_vars={"aml_tls_cname": "ml.contoso.com", "aml_tls_cert_file": pair.cert,
                              "aml_tls_key_file": pair.key, "aml_gpu_node_selector": {"agentpool": "gpu"}})
    host, reusing_host = plain["name"], reusing["name"]

    run = fleet.run("arc_production_gpu")
    assert run.returncode == 0, run.tail()
    for name, cluster in ((host, plain), (reusing_host, reusing)):
        assert run.record(name)["outcome"] == "installed", run.record(name)
        settings = fleet.settings(name)
        assert settings["inferenceRouterServiceType"] == "nodePort" and settings["scoringFe.serviceType.nodePort"] == "True"
        assert settings["installNvidiaDevicePlugin"] == "True" and settings["sslSecret"] == "azureml-tls", settings
        assert Cluster(sandbox, cluster).router_service_type() == "NodePort"
        gpu = run.fact(name, "gpu_result")
        assert gpu["operation"] == "verify" and gpu["passed"] is True and gpu["total_gpus"] == 1, gpu
        assert all(components(run, name).values())
    assert fleet.settings(host)["installDcgmExporter"] == "True"
    assert {"nvidia-device-plugin-daemonset", "azureml-dcgm-exporter"} <= Cluster(sandbox, plain).daemonsets()
    # The existing exporter is reused: installDcgmExporter=False, its documented Service made by prerequisites.
    adjustments = run.fact(reusing_host, "extension_result")["adjustments"]
    assert adjustments["installDcgmExporter"] == "False", adjustments
    assert fleet.settings(reusing_host)["installDcgmExporter"] == "False"
    assert "azureml-dcgm-exporter" not in Cluster(sandbox, reusing).daemonsets()
    assert Cluster(sandbox, reusing).core.read_namespaced_service("dcgm-exporter-service", "gpu-operator")

    since = sandbox.last_seq()
    again = fleet.run("arc_production_gpu")
    assert again.returncode == 0, again.tail()
    for name in (host, reusing_host):
        assert again.record(name)["outcome"] == "unchanged", again.record(name)
        assert fleet.extension_writes(name, since) == []
