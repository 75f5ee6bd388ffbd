"""playbooks/fleet_rollout.yml: waves, a gate after each, untouched clusters after a stop, and a rerun that resumes.

Each test seeds three AKS clusters of its own and runs the AKS proof-of-concept scenario over them in three waves of
one (a canary, "50%" of three, the rest), with the default threshold (any failure stops the rollout).
"""

import uuid

from tests.support.fleet import fleet_inventory, run_fleet_playbook

WAVES = {"rollout_scenario": "aks_proof_of_concept", "rollout_waves": [1, "50%", "100%"]}


def seed_three(sandbox, service_principal):
    """Three clusters named <tag>-1..3; the one at index ``service_principal`` fails the prerequisites."""
    tag = f"it-roll-{uuid.uuid4().hex[:6]}"
    specs = [{"name": f"{tag}-{i}", **({"identity_type": "ServicePrincipal"} if i == service_principal else {})}
             for i in (1, 2, 3)]
    return [s["name"] for s in sandbox.seed_clusters(specs)]


def arm_requests(sandbox, name, since=0, writes_only=False):
    return [e for e in sandbox.requests_for(name, writes_only=writes_only) if e["seq"] > since]


def test_a_failed_canary_leaves_every_other_cluster_untouched(sandbox, tmp_path):
    names = seed_three(sandbox, service_principal=3)
    # The service-principal cluster comes last in the inventory; rollout_canary puts it first.
    inventory = fleet_inventory(sandbox, tmp_path, names)
    run = run_fleet_playbook(sandbox, tmp_path, "fleet_rollout.yml", inventory,
                             {**WAVES, "rollout_canary": names[2]})

    assert run.returncode == 2, run  # the report fails the run; the batches themselves never failed a host
    canary = run.rows[names[2]]
    assert canary["outcome"] == "failed" and canary["wave"] == 1, run
    assert canary["failed_step"] == "prerequisites" and "service principal" in canary["reason"].lower(), canary
    for name, wave in ((names[0], 2), (names[1], 3)):
        row = run.rows[name]
        assert row["outcome"] == "untouched" and row["wave"] == wave, row
        assert "stopped at wave 1" in row["reason"], row
        # Not one request about the cluster reached Azure: no write, not even a read.
        assert arm_requests(sandbox, name) == [], name
    assert "2 cluster(s) are left untouched" in run.stdout, run
    # The canary itself stopped before its extension: the prerequisites refused it.
    assert not [e for e in arm_requests(sandbox, names[2], writes_only=True) if "KubernetesConfiguration" in e["path"]]


def test_a_rerun_after_the_fix_resumes_and_converged_clusters_are_no_ops(sandbox, tmp_path):
    names = seed_three(sandbox, service_principal=2)
    inventory = fleet_inventory(sandbox, tmp_path, names)
    first = run_fleet_playbook(sandbox, tmp_path, "fleet_rollout.yml", inventory, WAVES)
    assert first.returncode == 2, first
    assert [first.rows[n]["outcome"] for n in names] == ["installed", "failed", "untouched"], first
    assert [first.rows[n]["wave"] for n in names] == [1, 2, 3], first
    assert "Rollout stopped at wave 2" in first.stdout and "1 cluster(s) are left untouched" in first.stdout, first
    assert arm_requests(sandbox, names[2]) == []

    # The fix the report names: the cluster gets a managed identity (re-seeded as SystemAssigned).
    sandbox.seed_cluster(name=names[1])
    since = sandbox.last_seq()
    second = run_fleet_playbook(sandbox, tmp_path, "fleet_rollout.yml", inventory, WAVES)
    assert second.returncode == 0, second
    assert [second.rows[n]["outcome"] for n in names] == ["unchanged", "installed", "installed"], second
    assert [second.rows[n]["wave"] for n in names] == [1, 2, 3], second
    # The converged canary is a no-op: read, never written.
    assert arm_requests(sandbox, names[0], since, writes_only=True) == [], second
    assert arm_requests(sandbox, names[0], since) != []
    for name in names[1:]:
        puts = [e for e in arm_requests(sandbox, name, since, writes_only=True)
                if e["method"] == "PUT" and "KubernetesConfiguration/extensions" in e["path"]]
        assert len(puts) == 1, name
    assert "the rollout is complete" in second.stdout, second
