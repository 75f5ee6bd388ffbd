"""The manage playbooks (playbooks/manage_*.yml) over a two-cluster fleet of the sandbox, an AKS and an Arc cluster,
run as a user runs them: the sandbox's inventory.yml and env, the clusters selected with -l and aml_hosts, and the
fleet report at the end. Show and list summarise each cluster (a secret another tool left in a public setting is
masked); update sends exactly the switched setting, refuses on one cluster what the extension cannot take without
stopping the other, and changes nothing the second time; the TLS rotation sends one update and leaves the new pair
in the cluster's Secret; delete refuses without the confirmation and writes nothing, check mode writes nothing, a
cluster's name confirms that cluster only, and the count confirmation with aml_delete_relay removes the Arc
cluster's extension and Relay resources.

The tests share one fleet and run in file order: show, list, update, rotate, delete (each step is the state the
next one starts from, as in a real cluster's life).
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.support import pki
from tests.support.kube import kube_api
from tests.support.plays import REPO, ansible_env, ansible_playbook, play, target, task

PLAYBOOKS = REPO / "playbooks"
POC = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
       "allowInsecureConnections": "True", "InferenceRouterHA": "False"}
CNAME = "ml.contoso.com"
EXTENSIONS_PATH = "providers/Microsoft.KubernetesConfiguration/extensions"
# A secret another tool left in an extension's public settings: the summary masks it.
FOREIGN_SECRET = "Endpoint=sb://it.servicebus.windows.net/;SharedAccessKeyName=rw;SharedAccessKey=c2VjcmV0LWtleS0x"


class Run:
    """One ansible-playbook run of a manage playbook (json callback)."""

    def __init__(self, completed: subprocess.CompletedProcess[str], report_dir: Path) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.output = json.loads(completed.stdout) if completed.stdout.strip().startswith("{") else {}
        self.report_dir = report_dir

    def result(self, task_name: str, host: str) -> dict[str, Any]:
        for play_result in self.output.get("plays", []):
            for task_result in play_result["tasks"]:
                if task_result["task"]["name"] == task_name and host in task_result["hosts"]:
                    return task_result["hosts"][host]
        raise AssertionError(f"task {task_name!r} did not run on {host}:\n{self.stdout[-4000:]}\n{self.stderr[-3000:]}")

    def report(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "aml-fleet-report.json").read_text())


class Fleet:
    """The two seeded clusters and how to run the manage playbooks over them."""

    def __init__(self, sandbox, folder: Path) -> None:
        self.sandbox = sandbox
        self.folder = folder
        self.aks = sandbox.seed_cluster(node_count=3)
        self.arc = sandbox.seed_cluster("connectedClusters", node_count=3)
        self.runs = 0

    @property
    def clusters(self) -> list[dict[str, Any]]:
        return [self.aks, self.arc]

    def run(self, playbook: str, hosts: list[dict[str, Any]], *, check: bool = False, diff: bool = False,
            **variables: Any) -> Run:
        self.runs += 1
        workdir = self.folder / f"run-{self.runs}"
        workdir.mkdir()
        names = ",".join(c["name"] for c in hosts)
        extra = {"aml_hosts": names, "aml_report_dir": str(workdir / "report"), **variables}
        command = [ansible_playbook(), "-i", str(self.sandbox.state_dir / "inventory.yml"), str(PLAYBOOKS / playbook),
                   "-l", names + ",localhost", "-e", json.dumps(extra)]
        command += ["--check"] if check else []
        command += ["--diff"] if diff else []
        env = ansible_env(self.sandbox.env, {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                                             "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"})
        completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False,
                                   cwd=workdir)
        return Run(completed, workdir / "report")

    def mark(self) -> int:
        return self.sandbox.last_seq()

    def writes_since(self, seq: int, *fragments: str) -> list[dict[str, Any]]:
        """ARM writes after ``seq`` whose path names one of the fragments (default: either cluster)."""
        fragments = fragments or tuple(c["name"] for c in self.clusters)
        return [w for w in self.sandbox.writes(since=seq) if any(f in w["path"] for f in fragments)]


@pytest.fixture(scope="module")
def fleet(sandbox, tmp_path_factory) -> Fleet:
    """AKS with the documentation's proof of concept and a Flux extension beside it (carrying a secret in a public
    setting, as another tool might leave it); Arc with training only."""
    fleet = Fleet(sandbox, tmp_path_factory.mktemp("manage"))
    aks, arc = fleet.aks, fleet.arc
    install = play(task("aks", **target(aks), config=POC), task("arc", **target(arc), config={"enableTraining": True}))
    path = fleet.folder / "install.yml"
    path.write_text(install)
    completed = subprocess.run([ansible_playbook(), "-i", "localhost,", "-c", "local", str(path)], capture_output=True,
                               text=True, env=ansible_env(sandbox.env), timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    flux = (f"/subscriptions/{aks['subscription_id']}/resourceGroups/{aks['resource_group']}/providers/"
            f"Microsoft.ContainerService/managedClusters/{aks['name']}/{EXTENSIONS_PATH}/flux")
    response = sandbox.arm("PUT", flux, {"properties": {
        "extensionType": "microsoft.flux", "autoUpgradeMinorVersion": True, "releaseTrain": "stable",
        "scope": {"cluster": {"releaseNamespace": "flux-system"}},
        "configurationSettings": {"relayServerConnectionString": FOREIGN_SECRET, "syncInterval": "5m"}}},
        api_version="2023-05-01")
    assert response.status_code < 300, response.text
    return fleet


def extension_patches(writes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [w for w in writes if w["method"] == "PATCH" and EXTENSIONS_PATH in w["path"]]


def test_show_summarises_the_extension_of_each_cluster_and_writes_nothing(fleet):
    seq = fleet.mark()
    run = fleet.run("manage_show.yml", fleet.clusters)
    assert run.returncode == 0, run.stdout[-3000:]
    aks = run.result("Report the extension", fleet.aks["name"])["aml_extension_summary"]
    arc = run.result("Report the extension", fleet.arc["name"])["aml_extension_summary"]
    for summary, cluster in ((aks, fleet.aks), (arc, fleet.arc)):
        assert summary["cluster"] == cluster["name"] and summary["cluster_type"] == cluster["cluster_type"]
        assert summary["state"] == "Succeeded" and summary["installed"] is True
        assert summary["extension_type"] == "Microsoft.AzureML.Kubernetes"
        assert summary["version"] and summary["release_train"] == "stable"
    assert aks["settings"]["enableInference"] == "True" and aks["settings"]["inferenceRouterHA"] == "false"
    assert arc["settings"]["enableInference"] == "False" and arc["settings"]["relayserver.enabled"] == "true"
    assert not fleet.writes_since(seq)
    rows = {row["cluster"]: row for row in run.report()["rows"]}
    assert set(rows) == {fleet.aks["name"], fleet.arc["name"]}
    assert {row["outcome"] for row in rows.values()} == {"unchanged"}
    assert rows[fleet.aks["name"]]["extension_state"] == "Succeeded"


def test_list_shows_every_extension_of_each_cluster(fleet):
    run = fleet.run("manage_list.yml", fleet.clusters)
    assert run.returncode == 0, run.stdout[-3000:]
    aks = run.result("Report the extensions", fleet.aks["name"])["aml_extension_list"]
    arc = run.result("Report the extensions", fleet.arc["name"])["aml_extension_list"]
    assert aks["count"] == 2
    assert {(e["name"], e["extension_type"].lower()) for e in aks["extensions"]} == {
        ("azureml", "microsoft.azureml.kubernetes"), ("flux", "microsoft.flux")}
    assert [(e["name"], e["state"]) for e in arc["extensions"]] == [("azureml", "Succeeded")]


def test_update_sends_exactly_the_switched_setting_and_refuses_what_the_extension_cannot_take(fleet):
    switch = {"aml_extension_config": {"enableTraining": False}}
    seq = fleet.mark()
    predicted = fleet.run("manage_update.yml", fleet.clusters, check=True, **switch)
    assert not fleet.writes_since(seq), "check mode wrote"
    assert predicted.result("Report what changed", fleet.aks["name"])["msg"]["outcome"] == "would_change"

    seq = fleet.mark()
    run = fleet.run("manage_update.yml", fleet.clusters, **switch)
    # Arc runs training only: turning it off would leave no workload, so the module refuses before any write,
    # and the AKS cluster is updated all the same; the report fails the run for the Arc cluster.
    assert run.returncode == 2, run.stdout[-3000:]
    arc = run.result("Report what changed", fleet.arc["name"])["msg"]
    assert arc["outcome"] == "failed"
    assert "both enableTraining and enableInference false" in arc["reason"]
    assert not fleet.writes_since(seq, fleet.arc["name"])
    aks = run.result("Report what changed", fleet.aks["name"])["msg"]
    assert aks["outcome"] == "updated" and aks["changed_settings"] == ["enableTraining"]
    patches = extension_patches(fleet.writes_since(seq, fleet.aks["name"]))
    assert len(patches) == 1
    assert patches[0]["request_body"]["properties"]["configurationSettings"] == {"enableTraining": "False"}
    rows = {row["cluster"]: row for row in run.report()["rows"]}
    assert rows[fleet.arc["name"]]["failed_step"] == "extension"

    seq = fleet.mark()
    again = fleet.run("manage_update.yml", [fleet.aks], **switch)
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.result("Report what changed", fleet.aks["name"])["msg"]["outcome"] == "unchanged"
    assert not fleet.writes_since(seq)


def secret_pair(fleet) -> tuple[x509.Certificate, bytes]:
    import kubernetes

    core = kubernetes.client.CoreV1Api(kube_api(fleet.sandbox, fleet.aks))
    data = core.read_namespaced_secret("azureml-tls", "azureml").data
    certificate = x509.load_pem_x509_certificates(base64.b64decode(data["cert.pem"]))[0]
    return certificate, base64.b64decode(data["key.pem"])


def public_key_of(pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_rotating_the_certificate_updates_the_secret_then_sends_one_update(fleet):
    first = pki.write_pair(fleet.folder, pki.ec_key(), prefix="first", common_name=CNAME, dns_names=(CNAME,))
    second = pki.write_pair(fleet.folder, pki.ec_key(), prefix="second", common_name=CNAME, dns_names=(CNAME,))
    tls = {"aml_tls_cname": CNAME}
    run = fleet.run("manage_rotate_tls.yml", [fleet.aks], aml_tls_cert_file=first.cert, aml_tls_key_file=first.key,
                    **tls)
    assert run.returncode == 0, run.stdout[-3000:]
    settings = run.result("Record the outcome", fleet.aks["name"])["ansible_facts"]["extension_result"]["extension"][
        "settings"]
    assert settings["sslSecret"] == "azureml-tls" and settings["sslCname"] == CNAME

    seq = fleet.mark()
    rotated = fleet.run("manage_rotate_tls.yml", [fleet.aks], aml_tls_cert_file=second.cert,
                        aml_tls_key_file=second.key, **tls)
    assert rotated.returncode == 0, rotated.stdout[-3000:]
    report = rotated.result("Report the rotation", fleet.aks["name"])["msg"]
    assert report["outcome"] == "updated" and report["secret"] == "Secret azureml/azureml-tls rotated"
    writes = fleet.writes_since(seq)
    assert len(writes) == 1 and extension_patches(writes) == writes, writes
    certificate, key = secret_pair(fleet)
    new_cert = x509.load_pem_x509_certificates(Path(second.cert).read_bytes())[0]
    assert certificate.fingerprint(hashes.SHA256()) == new_cert.fingerprint(hashes.SHA256())
    assert public_key_of(key) == public_key_of(Path(second.key).read_bytes())
    assert report["fingerprint_sha256"].replace(":", "").lower() == new_cert.fingerprint(hashes.SHA256()).hex()
    pem_body = Path(second.key).read_text().splitlines()[1]
    assert pem_body not in rotated.stdout + rotated.stderr

    seq = fleet.mark()
    again = fleet.run("manage_rotate_tls.yml", [fleet.aks], aml_tls_cert_file=second.cert,
                      aml_tls_key_file=second.key, **tls)
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.result("Report the rotation", fleet.aks["name"])["msg"]["outcome"] == "unchanged"
    assert not fleet.writes_since(seq)


def test_delete_refuses_without_the_confirmation_and_writes_nothing(fleet):
    seq = fleet.mark()
    for variables in ({}, {"aml_confirm_delete": "yes-delete-3-clusters"}, {"aml_confirm_delete": True}):
        run = fleet.run("manage_delete.yml", fleet.clusters, **variables)
        assert run.returncode == 2, run.stdout[-3000:]
        for cluster in fleet.clusters:
            reason = run.result("Report what was deleted", cluster["name"])["msg"]["reason"]
            assert "aml_confirm_delete" in reason and "nothing was deleted" in reason, reason
            assert "yes-delete-2-clusters" in reason and cluster["name"] in reason
    assert not fleet.writes_since(seq)
    rows = run.report()["rows"]
    assert {(row["outcome"], row["failed_step"]) for row in rows} == {("failed", "confirmation")}


def extension_gone(fleet, cluster: dict[str, Any], name: str = "azureml") -> bool:
    provider = ("Microsoft.ContainerService/managedClusters" if cluster["cluster_type"] == "managedClusters"
                else "Microsoft.Kubernetes/connectedClusters")
    path = (f"/subscriptions/{cluster['subscription_id']}/resourceGroups/{cluster['resource_group']}/providers/"
            f"{provider}/{cluster['name']}/{EXTENSIONS_PATH}/{name}")
    return fleet.sandbox.arm("GET", path, api_version="2023-05-01").status_code == 404


def test_delete_in_check_mode_writes_nothing_then_deletes_what_each_confirmation_names(fleet):
    show = fleet.run("manage_show.yml", [fleet.arc])
    hybrid_connection = show.result("Report the extension", fleet.arc["name"])["aml_extension_summary"]["settings"][
        "relayserver.hybridConnectionResourceID"]
    relay_namespace = hybrid_connection.split("/namespaces/")[1].split("/")[0]

    seq = fleet.mark()
    predicted = fleet.run("manage_delete.yml", fleet.clusters, check=True, aml_confirm_delete="yes-delete-2-clusters",
                          aml_delete_relay=True)
    assert predicted.returncode == 0, predicted.stdout[-3000:]
    assert not fleet.writes_since(seq, fleet.aks["name"], fleet.arc["name"], relay_namespace)
    arc_actions = predicted.result("Report what was deleted", fleet.arc["name"])["msg"]["actions"]
    assert any("Relay" in action for action in arc_actions), arc_actions
    assert predicted.result("Report what was deleted", fleet.aks["name"])["msg"]["outcome"] == "would_change"

    # The AKS cluster's name confirms that cluster only: the Arc cluster of the same run is refused.
    seq = fleet.mark()
    by_name = fleet.run("manage_delete.yml", fleet.clusters, aml_confirm_delete=fleet.aks["name"])
    assert by_name.returncode == 2, by_name.stdout[-3000:]
    assert by_name.result("Report what was deleted", fleet.aks["name"])["msg"]["outcome"] == "updated"
    assert by_name.result("Report what was deleted", fleet.arc["name"])["msg"]["outcome"] == "failed"
    assert extension_gone(fleet, fleet.aks) and not extension_gone(fleet, fleet.arc)
    assert not fleet.writes_since(seq, fleet.arc["name"], relay_namespace)
    rows = {row["cluster"]: row for row in by_name.report()["rows"]}
    assert rows[fleet.aks["name"]]["scenario"] == "manage_delete" and rows[fleet.aks["name"]]["outcome"] == "updated"
    assert rows[fleet.aks["name"]]["extension_state"] == "absent"

    deleted = fleet.run("manage_delete.yml", [fleet.arc], aml_confirm_delete="yes-delete-1-clusters",
                        aml_delete_relay=True)
    assert deleted.returncode == 0, deleted.stdout[-3000:]
    assert deleted.result("Report what was deleted", fleet.arc["name"])["msg"]["actions"] == arc_actions
    assert extension_gone(fleet, fleet.arc)
    assert fleet.sandbox.arm("GET", hybrid_connection, api_version="2024-01-01").status_code == 404

    # What is left: Flux on AKS (its secret-looking setting masked in the summary and the report), nothing on Arc.
    after = fleet.run("manage_show.yml", fleet.clusters, aml_extension_name="flux")
    flux = after.result("Report the extension", fleet.aks["name"])["aml_extension_summary"]
    assert flux["state"] == "Succeeded" and flux["settings"]["syncInterval"] == "5m"
    assert flux["settings"]["relayServerConnectionString"] == "********"
    assert FOREIGN_SECRET not in json.dumps(flux)
    assert "c2VjcmV0LWtleS0x" not in json.dumps(after.report())
    nothing = after.result("Report the extension", fleet.arc["name"])["aml_extension_summary"]
    assert nothing["state"] == "absent" and nothing["installed"] is False
