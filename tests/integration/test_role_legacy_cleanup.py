"""Role legacy_cleanup against the sandbox's real clusters, seeded with the eight azureml-fe v1 resources.

The seeded v1 router runs (kwok runs its pod, the endpoint controller gives its Services ready endpoints), so
the role refuses first; scaled to zero it backs everything up and deletes it; a second run changes nothing;
check mode writes nothing; `kubectl apply -f` of the backup brings every object back as it was, the Secret's
certificate and key included, and no run ever prints them. Skips while the sandbox runs no control planes.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.support.kube import kube_api, kube_target, wait_until

from tests.support.plays import play

EIGHT = [("ServiceAccount", "azureml-fe"), ("ClusterRole", "azureml-fe-role"),
         ("ClusterRoleBinding", "azureml-fe-binding"), ("ConfigMap", "azuremlfeconfig"), ("Secret", "azuremlfessl"),
         ("Service", "azureml-fe"), ("Service", "azureml-fe-int-http"), ("Deployment", "azureml-fe")]


class Cluster:
    """The Kubernetes side of one seeded cluster, through the official client (as an operator would look)."""

    def __init__(self, sandbox, cluster: dict[str, Any], namespace: str) -> None:
        import kubernetes

        self.k8s = kubernetes
        self.api = kube_api(sandbox, cluster)
        self.core = kubernetes.client.CoreV1Api(self.api)
        self.apps = kubernetes.client.AppsV1Api(self.api)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(self.api)
        self.discovery = kubernetes.client.DiscoveryV1Api(self.api)
        self.namespace = namespace

    def read(self, kind: str, name: str) -> Any:
        ns = self.namespace
        calls = {"ServiceAccount": lambda: self.core.read_namespaced_service_account(name, ns),
                 "ClusterRole": lambda: self.rbac.read_cluster_role(name),
                 "ClusterRoleBinding": lambda: self.rbac.read_cluster_role_binding(name),
                 "ConfigMap": lambda: self.core.read_namespaced_config_map(name, ns),
                 "Secret": lambda: self.core.read_namespaced_secret(name, ns),
                 "Service": lambda: self.core.read_namespaced_service(name, ns),
                 "Deployment": lambda: self.apps.read_namespaced_deployment(name, ns)}
        try:
            return calls[kind]()
        except self.k8s.client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def present(self) -> list[tuple[str, str]]:
        return [(kind, name) for kind, name in EIGHT if self.read(kind, name) is not None]

    def ready_replicas(self) -> int:
        dep = self.read("Deployment", "azureml-fe")
        return (dep.status.ready_replicas or 0) if dep is not None else 0

    def ready_endpoints(self) -> int:
        slices = self.discovery.list_namespaced_endpoint_slice(
            self.namespace, label_selector="kubernetes.io/service-name in (azureml-fe,azureml-fe-int-http)").items
        return sum(1 for s in slices for e in s.endpoints or [] if (e.conditions.ready if e.conditions else True) is not False)

    def scale_to_zero(self) -> None:
        self.apps.patch_namespaced_deployment_scale("azureml-fe", self.namespace, {"spec": {"replicas": 0}})
        wait_until(lambda: self.ready_replicas() == 0 and self.ready_endpoints() == 0, "the v1 router to stop serving")


def seeded(sandbox, namespace: str = "default") -> tuple[dict[str, Any], dict[str, str], Cluster]:
    situation: Any = "legacy_azureml_fe" if namespace == "default" else {"name": "legacy_azureml_fe",
                                                                         "namespace": namespace}
    cluster = sandbox.seed_cluster(node_count=1, situations=[situation])
    kube = kube_target(sandbox, cluster)
    k8s = Cluster(sandbox, cluster, namespace)
    wait_until(lambda: len(k8s.present()) == 8, "the eight seeded v1 resources")
    wait_until(lambda: k8s.ready_replicas() == 1 and k8s.ready_endpoints() >= 2, "the seeded v1 router to serve")
    return cluster, kube, k8s


def cleanup(title: str, cluster: dict[str, Any], kube: dict[str, str], backups: Path, **variables: Any) -> dict:
    role_vars = {"legacy_cleanup_cluster_name": cluster["name"], "legacy_cleanup_kubeconfig": kube["kubeconfig"],
                 "legacy_cleanup_context": kube["context"], "legacy_cleanup_backup_dir": str(backups)}
    role_vars.update(variables)
    return {"name": title, "ansible.builtin.include_role": {"name": "azureml.kubernetes.legacy_cleanup"},
            "vars": role_vars}


def show(title: str = "result") -> dict[str, Any]:
    return {"name": title, "ansible.builtin.debug": {"var": "legacy_cleanup_result"}}


def result_of(run, title: str = "result") -> dict[str, Any]:
    return run.task(title)["legacy_cleanup_result"]


def module_task(run) -> dict[str, Any]:
    for play_ in run.output.get("plays", []):
        for entry in play_["tasks"]:
            if entry["task"]["name"].endswith("Back up and remove the azureml-fe v1 resources"):
                return entry["hosts"]["localhost"]
    raise AssertionError(run.stdout[-3000:])


def secret_material(k8s: Cluster) -> list[str]:
    data = k8s.read("Secret", "azuremlfessl").data
    decoded = [base64.b64decode(v).decode() for v in data.values()]
    return list(data.values()) + [line for text in decoded for line in text.splitlines() if len(line) > 20]


def assert_no_secret(run, material: list[str]) -> None:
    for value in material:
        assert value not in run.stdout and value not in run.stderr


def kubectl() -> str:
    path = shutil.which("kubectl")
    if not path:
        pytest.skip("kubectl is not on PATH: the restore cannot be checked")
    return path


def test_refused_while_serving_then_backed_up_deleted_idempotent_and_restorable(sandbox, run_playbook, tmp_path):
    cluster, kube, k8s = seeded(sandbox)
    material = secret_material(k8s)
    before = {(k, n): k8s.api.sanitize_for_serialization(k8s.read(k, n)) for k, n in EIGHT}
    backups = tmp_path / "backups"

    # 1. The v1 router serves: refused, nothing removed, no file; with legacy_cleanup_fail the play fails.
    run = run_playbook(play(cleanup("cleanup", cluster, kube, backups, legacy_cleanup_fail=False), show()))
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert result["refused"] is True and result["failed"] is True and result["removed"] == []
    assert "Deployment default/azureml-fe has 1 ready replica(s)" in result["refused_reason"]
    assert "Service default/azureml-fe has 1 ready endpoint(s)" in result["refused_reason"]
    assert [(f["kind"], f["name"]) for f in result["found"]] == EIGHT
    assert result["backup_file"] is None and not backups.exists()
    run = run_playbook(play(cleanup("cleanup", cluster, kube, backups)))
    assert run.returncode != 0 and "still serves" in run.stdout
    assert len(k8s.present()) == 8
    assert_no_secret(run, material)

    # 2. Idle router, check mode: lists what would go, writes no file, deletes nothing.
    k8s.scale_to_zero()
    run = run_playbook(play(cleanup("cleanup", cluster, kube, backups), show()), check=True, diff=True)
    result = result_of(run)
    assert result["changed"] is True and result["backup_written"] is False
    assert [(r["kind"], r["name"]) for r in result["removed"]] == list(reversed(EIGHT))
    assert result["backup_file"].startswith(str(backups) + os.sep)
    assert not backups.exists() and len(k8s.present()) == 8
    assert module_task(run)["diff"]["before"].splitlines()[0] == "Deployment default/azureml-fe"
    assert_no_secret(run, material)

    # 3. The real run: backed up (0600), then deleted; no secret in any output.
    run = run_playbook(play(cleanup("cleanup", cluster, kube, backups), show()), diff=True)
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert result["changed"] is True and result["backup_written"] is True and result["refused"] is False
    assert [(r["kind"], r["name"]) for r in result["removed"]] == list(reversed(EIGHT))
    backup = Path(result["backup_file"])
    assert backup.parent == backups and backup.name.startswith(cluster["name"] + "-azureml-fe-v1-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert k8s.present() == []
    assert_no_secret(run, material)
    text = backup.read_text()
    for field in ("resourceVersion", "uid:", "managedFields", "creationTimestamp", "status:", "clusterIP:"):
        assert field not in text, field

    # 4. Idempotent: nothing found, no change, no new file.
    run = run_playbook(play(cleanup("cleanup", cluster, kube, backups), show()))
    result = result_of(run)
    assert (result["changed"], result["found"], result["removed"], result["backup_file"]) == (False, [], [], None)
    assert list(backups.iterdir()) == [backup]

    # 5. The backup restores with kubectl apply: every object, the Secret's data and the rules as they were.
    done = subprocess.run([kubectl(), "--kubeconfig", kube["kubeconfig"], "--context", kube["context"], "apply",
                           "-f", str(backup)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert k8s.present() == EIGHT
    after = {(k, n): k8s.api.sanitize_for_serialization(k8s.read(k, n)) for k, n in EIGHT}
    assert after[("Secret", "azuremlfessl")]["data"] == before[("Secret", "azuremlfessl")]["data"]
    assert after[("ConfigMap", "azuremlfeconfig")]["data"] == before[("ConfigMap", "azuremlfeconfig")]["data"]
    assert after[("ClusterRole", "azureml-fe-role")]["rules"] == before[("ClusterRole", "azureml-fe-role")]["rules"]
    assert after[("ClusterRoleBinding", "azureml-fe-binding")]["subjects"] == \
        before[("ClusterRoleBinding", "azureml-fe-binding")]["subjects"]
    for kind, name in EIGHT:
        assert after[(kind, name)]["metadata"]["labels"] == before[(kind, name)]["metadata"]["labels"]
        assert after[(kind, name)]["metadata"]["uid"] != before[(kind, name)]["metadata"]["uid"]
    assert after[("Service", "azureml-fe")]["spec"]["ports"] == before[("Service", "azureml-fe")]["spec"]["ports"]
    assert after[("Deployment", "azureml-fe")]["spec"]["template"] == before[("Deployment", "azureml-fe")]["spec"]["template"]


def test_force_removes_a_serving_router_in_another_namespace(sandbox, run_playbook, tmp_path):
    cluster, kube, k8s = seeded(sandbox, namespace="legacy-v1")
    material = secret_material(k8s)
    backups = tmp_path / "backups"
    run = run_playbook(play(cleanup("cleanup", cluster, kube, backups, legacy_cleanup_namespace="legacy-v1",
                                    legacy_cleanup_force=True), show()))
    assert run.returncode == 0, run.stdout[-3000:]
    result = result_of(run)
    assert result["refused"] is False and result["backup_written"] is True and len(result["removed"]) == 8
    assert "Deployment legacy-v1/azureml-fe has 1 ready replica(s)" in result["serving"]
    assert any("although it still serves" in w for w in module_task(run).get("warnings", []))
    assert {r["namespace"] for r in result["removed"]} == {"legacy-v1", None}
    assert k8s.present() == []
    assert_no_secret(run, material)
    assert Path(result["backup_file"]).read_text().count("\n---\n") == 8
