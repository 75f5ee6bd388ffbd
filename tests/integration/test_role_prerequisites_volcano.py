"""Role prerequisites with a Volcano the cluster already runs (scheduler and controllers, installed by someone
else): reused with installVolcano "False" in settings_adjustments (a warn item), or, with
prerequisites_reuse_existing false, a failed item naming the clash. The sandbox's seeds hold Volcano's CRDs only
(situation volcano_crds), so the test creates the running Volcano itself, as its chart names the Deployments."""

from __future__ import annotations

from test_role_prerequisites import items, playbook, result_of, role, show

from tests.support.kube import kube_api, kube_target

NAMESPACE = "volcano-system"
PARTS = ("volcano-scheduler", "volcano-controllers")


def run_volcano(sandbox, cluster) -> None:
    """Volcano's scheduler and controllers in volcano-system, labelled by their own release."""
    import kubernetes

    api = kube_api(sandbox, cluster)
    kubernetes.client.CoreV1Api(api).create_namespace({"metadata": {"name": NAMESPACE}})
    apps = kubernetes.client.AppsV1Api(api)
    for name in PARTS:
        labels = {"app": name, "app.kubernetes.io/instance": "volcano"}
        apps.create_namespaced_deployment(NAMESPACE, {
            "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": f"volcanosh/{name[8:]}:v1.9.0"}]}}}})


def test_a_running_volcano_is_reused_or_fails_per_the_role_variable(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    run_volcano(sandbox, cluster)
    run = run_playbook(playbook(role("reuse", cluster, kube, prerequisites_fail=False), show("reused"),
                                role("refuse", cluster, kube, prerequisites_fail=False,
                                     prerequisites_reuse_existing=False), show("refused")))
    reused = result_of(run, "reused")
    volcano = items(reused)["volcano"]
    assert volcano["status"] == "warn", volcano
    assert all(part in volcano["reason"] for part in PARTS), volcano["reason"]
    assert reused["settings_adjustments"].get("installVolcano") == "False", reused["settings_adjustments"]
    assert "volcano" not in reused["failed"]

    refused = result_of(run, "refused")
    volcano = items(refused)["volcano"]
    assert volcano["status"] == "fail" and "volcano" in refused["failed"], volcano
    assert "would clash" in volcano["reason"] and "prerequisites_reuse_existing" in volcano["fix"]
    assert "installVolcano" not in refused["settings_adjustments"]
    assert refused["passed"] is False
