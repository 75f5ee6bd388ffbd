"""playbooks/fleet_drift.yml: the scenario's converge in check and diff mode reports what would change and writes
nothing, neither in Azure (the sandbox's request log) nor in the clusters (every object's resourceVersion)."""

import uuid

from tests.support.fleet import fleet_inventory, run_fleet_playbook
from tests.support.kube import kube_api

SCENARIO = {"rollout_scenario": "aks_proof_of_concept", "aml_hosts": "all"}


def cluster_objects(sandbox, name):
    """Every object the converge could write, with what a write changes: the resourceVersion, and for workloads
    (whose status the controllers and kwok keep updating) the generation, labels and annotations."""
    import kubernetes

    api = kube_api(sandbox, {"name": name})
    core, apps = kubernetes.client.CoreV1Api(api), kubernetes.client.AppsV1Api(api)
    rbac, ext = kubernetes.client.RbacAuthorizationV1Api(api), kubernetes.client.ApiextensionsV1Api(api)
    listings = {
        "Namespace": core.list_namespace, "ConfigMap": core.list_config_map_for_all_namespaces,
        "Secret": core.list_secret_for_all_namespaces, "Service": core.list_service_for_all_namespaces,
        "ServiceAccount": core.list_service_account_for_all_namespaces,
        "ClusterRole": rbac.list_cluster_role, "ClusterRoleBinding": rbac.list_cluster_role_binding,
        "Role": rbac.list_role_for_all_namespaces, "RoleBinding": rbac.list_role_binding_for_all_namespaces,
        "CustomResourceDefinition": ext.list_custom_resource_definition,
    }
    workloads = {"Deployment": apps.list_deployment_for_all_namespaces,
                 "DaemonSet": apps.list_daemon_set_for_all_namespaces,
                 "StatefulSet": apps.list_stateful_set_for_all_namespaces}
    seen = {}
    for kind, listing in listings.items():
        for obj in listing().items:
            seen[(kind, obj.metadata.namespace, obj.metadata.name)] = obj.metadata.resource_version
    for kind, listing in workloads.items():
        for obj in listing().items:
            meta = obj.metadata
            seen[(kind, meta.namespace, meta.name)] = (meta.generation, meta.labels, meta.annotations)
    return seen


def arm_writes(sandbox, name, since):
    return [e for e in sandbox.requests_for(name, writes_only=True) if e["seq"] > since]


def test_drift_on_a_converged_fleet_reports_nothing_and_writes_nothing_then_reports_a_changed_setting(sandbox, tmp_path):
    tag = f"it-drift-{uuid.uuid4().hex[:6]}"
    names = [s["name"] for s in sandbox.seed_clusters([{"name": f"{tag}-1"}, {"name": f"{tag}-2"}])]
    inventory = fleet_inventory(sandbox, tmp_path, names)
    converge = run_fleet_playbook(sandbox, tmp_path, "aks_proof_of_concept.yml", inventory, {"aml_hosts": "all"})
    assert converge.returncode == 0, converge
    assert {converge.rows[n]["outcome"] for n in names} == {"installed"}, converge
    assert sandbox.extensions(), "the scenario installed nothing"

    objects = {n: cluster_objects(sandbox, n) for n in names}
    assert any(key[1] == "azureml" for key in objects[names[0]]), "no object in namespace azureml to watch"
    since = sandbox.last_seq()
    drift = run_fleet_playbook(sandbox, tmp_path, "fleet_drift.yml", inventory, SCENARIO, check=True)
    assert drift.returncode == 0, drift
    for name in names:
        row = drift.rows[name]
        assert row["outcome"] == "unchanged" and row["mode"] == "check", row
        assert not (row["changes"] or {}).get("settings"), row
        assert arm_writes(sandbox, name, since) == [], name
        assert cluster_objects(sandbox, name) == objects[name], name
    assert sandbox.requests_for(names[0]), "drift read nothing"

    # Someone changed a setting for the second cluster (in its host variables): drift shows it, still writing nothing.
    changed = fleet_inventory(sandbox, tmp_path, names,
                              host_vars={names[1]: {"aml_extension_config": {"inferenceRouterServiceType": "NodePort"}}})
    since = sandbox.last_seq()
    drift = run_fleet_playbook(sandbox, tmp_path, "fleet_drift.yml", changed, SCENARIO, check=True)
    assert drift.returncode == 0, drift
    assert drift.rows[names[0]]["outcome"] == "unchanged", drift
    row = drift.rows[names[1]]
    assert row["outcome"] == "would_change" and "extension" in str(drift.stdout), row
    settings = {s["key"]: (str(s["before"]).lower(), str(s["after"]).lower()) for s in row["changes"]["settings"]}
    assert settings["inferenceRouterServiceType"] == ("loadbalancer", "nodeport"), settings
    for name in names:
        assert arm_writes(sandbox, name, since) == [], name
        assert cluster_objects(sandbox, name) == objects[name], name


def test_drift_without_check_on_the_command_line_refuses_before_reading_anything(sandbox, tmp_path):
    name = sandbox.seed_cluster(name=f"it-drift-{uuid.uuid4().hex[:6]}")["name"]
    run = run_fleet_playbook(sandbox, tmp_path, "fleet_drift.yml", fleet_inventory(sandbox, tmp_path, [name]), SCENARIO)
    assert run.returncode != 0, run
    assert "Run fleet_drift.yml with --check --diff" in run.stdout, run
    assert sandbox.requests_for(name) == []
