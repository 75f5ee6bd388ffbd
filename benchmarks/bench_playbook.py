"""Group 3: ansible-playbook end to end against a sandbox of its own (.bench/sandbox-e2e).

The sandbox's provisioning delay is 0 s, so the times are Ansible's, the module's and the SDK's own
overhead, not an emulated install. Measured:

- one cluster: the install (changed) and the idempotent second run (not changed) of one aml_extension task
  with the documentation's proof-of-concept settings, each the median of 3 (3 fresh AKS clusters);
- a fleet: one play over 20 seeded AKS clusters (an inventory of 20 hosts, ansible_connection: local,
  forks 10), total wall time and per host.

Every run's outcome is checked (changed or not, no failure) through the bench_timer callback, which also
gives each host's task time (from the worker starting the task to its result arriving).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from . import targets
from .measure import median, percentile
from .paths import BENCH_DIR, CALLBACK_DIR
from .results import Row, row
from .sandbox_proc import SandboxClient, own_sandbox

from tests.support.plays import POC_CONFIG, ansible_env, ansible_playbook, play, task  # noqa: E402  pylint: disable=wrong-import-order

RUNS = 3
FLEET_HOSTS = 20
FORKS = 10
RG_SINGLE = "rg-bench-e2e"
RG_FLEET = "rg-bench-fleet"
TASK = "install the AzureML extension"
PLAYBOOK_TIMEOUT = 300
FLEET_OK = targets.Target("==", FLEET_HOSTS, "every host installs")


def _play(hosts: str, cluster_type: str, cluster_name: str, resource_group: str) -> str:
    return play(task(TASK, cluster_type=cluster_type, cluster_name=cluster_name, resource_group=resource_group,
                     name="azureml", config=POC_CONFIG), hosts=hosts)


class Runner:
    """Runs ansible-playbook with the sandbox's environment and the bench_timer callback."""

    def __init__(self, sandbox: SandboxClient, workdir: Path) -> None:
        self.workdir = workdir
        self.count = 0
        self.env = ansible_env(sandbox.env, {"ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
                                             "ANSIBLE_CALLBACKS_ENABLED": "bench_timer"})
        self.ansible_playbook = ansible_playbook()

    def run(self, playbook_text: str, inventory: str, *extra: str) -> tuple[float, list[dict[str, Any]]]:
        """(wall seconds, bench_timer records) of one ansible-playbook run; a failed run raises."""
        self.count += 1
        playbook = self.workdir / f"play-{self.count}.yml"
        playbook.write_text(playbook_text)
        records_path = self.workdir / f"timer-{self.count}.json"
        records_path.unlink(missing_ok=True)
        began = time.perf_counter()
        done = subprocess.run([self.ansible_playbook, "-i", inventory, str(playbook), *extra], cwd=self.workdir,
                              env=dict(self.env, BENCH_TIMER_OUT=str(records_path)), capture_output=True, text=True,
                              timeout=PLAYBOOK_TIMEOUT, check=False)
        wall = time.perf_counter() - began
        (self.workdir / f"play-{self.count}.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0 or not records_path.exists():
            log = self.workdir / f"play-{self.count}.log"
            raise RuntimeError(f"ansible-playbook exited {done.returncode} (log: {log}): "
                               f"{(done.stdout + done.stderr)[-800:]}")
        return wall, [r for r in json.loads(records_path.read_text()) if r["task"] == TASK]


def _one(records: list[dict[str, Any]], changed: bool, what: str) -> float:
    """The single host's task time, after checking it ended as expected."""
    if len(records) != 1 or records[0]["status"] != "ok" or records[0]["changed"] != changed:
        raise AssertionError(f"{what}: expected one ok task with changed={changed}, got {records}")
    return records[0]["end"] - records[0]["start"]


def _calls(entries: list[dict[str, Any]]) -> str:
    """What a run asked of Azure, from the sandbox's request log: 'GET 4, PUT 1, auth 1'."""
    counts: dict[str, int] = {}
    for entry in entries:
        key = "auth" if entry.get("kind") == "auth" else entry["method"]
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _single(runner: Runner, sandbox: SandboxClient, rows: list[Row]) -> None:
    names = [f"e2e-{i}" for i in range(RUNS)]
    sandbox.seed_clusters([{"name": n, "resource_group": RG_SINGLE, "location": "eastus", "node_count": 3} for n in names])
    play = _play("localhost", "managedClusters", "{{ cluster }}", RG_SINGLE)
    walls: dict[str, list[float]] = {"install": [], "second": []}
    tasks: dict[str, list[float]] = {"install": [], "second": []}
    calls: dict[str, list[str]] = {"install": [], "second": []}
    for name in names:
        for kind, changed in (("install", True), ("second", False)):
            seq = sandbox.last_seq()
            wall, records = runner.run(play, "localhost,", "-c", "local", "-e", f"cluster={name}")
            tasks[kind].append(_one(records, changed, f"{kind} on {name}"))
            walls[kind].append(wall)
            calls[kind].append(_calls(sandbox.requests(since=seq)))
    bench = "playbook: one AKS cluster, proof-of-concept settings"
    for kind, title, target in (("install", "install (changed)", targets.E2E_INSTALL_S),
                                ("second", "second run (idempotent, not changed)", targets.E2E_IDEMPOTENT_S)):
        runs = ", ".join(f"{w:.2f}" for w in walls[kind])
        rows.append(row(bench, f"{title}: ansible-playbook wall time, median of {RUNS}", median(walls[kind]), "s",
                        target, note=runs))
        rows.append(row(bench, f"{title}: the task alone, median of {RUNS}", median(tasks[kind]), "s",
                        note=f"requests the module made: {calls[kind][0]}"))


def _fleet(runner: Runner, sandbox: SandboxClient, rows: list[Row]) -> None:
    names = [f"fleet-{i:02d}" for i in range(FLEET_HOSTS)]
    sandbox.seed_clusters([{"name": n, "resource_group": RG_FLEET, "location": "eastus", "node_count": 3} for n in names])
    inventory = runner.workdir / "fleet-inventory.yml"
    hosts = {n: {"ansible_connection": "local", "aml_cluster_type": "managedClusters", "aml_cluster_name": n,
                 "aml_resource_group": RG_FLEET} for n in names}
    inventory.write_text(json.dumps({"all": {"children": {"fleet": {"hosts": hosts}}}}, indent=1))
    play = _play("fleet", "{{ aml_cluster_type }}", "{{ aml_cluster_name }}", "{{ aml_resource_group }}")
    wall, records = runner.run(play, str(inventory), "-f", str(FORKS))
    good = [r for r in records if r["status"] == "ok" and r["changed"]]
    bad = [r for r in records if r not in good]
    bench = f"playbook: fleet of {FLEET_HOSTS} AKS clusters, forks {FORKS}"
    rows.append(row(bench, "install: total wall time", wall, "s", targets.FLEET_TOTAL_S))
    rows.append(row(bench, "install: per host, amortised (total / hosts)", wall / FLEET_HOSTS, "s",
                    targets.FLEET_PER_HOST_S))
    times = [r["end"] - r["start"] for r in good if r.get("start")]
    if times:
        rows.append(row(bench, "install: each host's task time, p50", median(times), "s"))
        rows.append(row(bench, "install: each host's task time, p95", percentile(times, 95), "s"))
    rows.append(row(bench, "hosts installed (ok, changed)", len(good), "hosts", FLEET_OK,
                    note=f"{bad[0]['host']}: {bad[0]['status']} {bad[0]['msg']}" if bad else ""))


def run(rows: list[Row]) -> None:
    workdir = BENCH_DIR / "e2e"
    workdir.mkdir(parents=True, exist_ok=True)
    with own_sandbox("e2e") as (sandbox, _seconds):
        sandbox.settings(provisioning_delay_seconds=0)  # otherwise the sandbox's defaults: no Retry-After, as Azure
        runner = Runner(sandbox, workdir)
        _single(runner, sandbox, rows)
        _fleet(runner, sandbox, rows)
