"""Group fleet: what a run costs per cluster (issue 10), each beside its floor, in one run.

- module import CPU, this tree against BASELINE (the tree before issue 10's changes, from `git archive`);
- requests per cluster of aml_extension for create, no-change, update and delete on AKS and Arc, from the
  sandbox's request log, against the floor (1 read for no-change; the token and metadata requests apart);
- a no-change converge of the documented first scenario against `ansible.builtin.ping` over the same 20 hosts
  (100 and 200 with AML_BENCH_FLEET_LARGE=1), forks 10, provisioning delay 0. The extension is installed
  for real on one cluster; its record is copied in the sandbox's state.json to the other clusters (sandbox
  stopped), so the converge measures ARM and the controller, not 200 control planes starting;
- the 1,000-cluster read path: the aml_clusters inventory with extension state over 1,000 seeded clusters
  against the same list requests sent by plain `requests` with 10 threads (the floor).
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

from . import targets
from .measure import median
from .paths import BENCH_DIR, REPO, collections_path
from .results import Row, row
from .sandbox_proc import SandboxClient, own_sandbox

from tests.support.plays import POC_CONFIG, ansible_env, ansible_playbook, play, task  # noqa: E402  pylint: disable=wrong-import-order

BASELINE = os.environ.get("AML_BENCH_BASELINE", "c307d41")  # the tree before issue 10's changes
LARGE = os.environ.get("AML_BENCH_FLEET_LARGE") == "1"
SIZES = (20, 100, 200) if LARGE else (20,)
INVENTORY_SIZE = int(os.environ.get("AML_BENCH_INVENTORY_SIZE", "1000"))
FORKS = 10
MODULE = "ansible_collections.azureml.kubernetes.plugins.modules.aml_extension"
TIMEOUT = 1800

NO_CHANGE_READS = targets.Target("<=", 2, "issue 10: at most the extension and the cluster are read when nothing changes")
CONVERGE_VS_PING = targets.Target("<=", 1.5, "issue 10: a no-change converge within 1.5 times ansible.builtin.ping")
ONE_PER_RUN = targets.Target("<=", 1, "issue 10: one token and one metadata request per run and credential")
INVENTORY_S = targets.Target("<", 120, "issue 10: 1,000 clusters with extension state in under 2 minutes")


def _cpu_of(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _baseline_collections() -> Path:
    """BASELINE's tree as a collection root under .bench/baseline."""
    root = BENCH_DIR / "baseline" / BASELINE
    target = root / "ansible_collections" / "azureml" / "kubernetes"
    if not (target / "plugins").exists():
        shutil.rmtree(root, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", BASELINE, "plugins", "meta", "galaxy.yml"], cwd=REPO,
                                 capture_output=True, check=True, timeout=120).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return root


def _imports(rows: list[Row]) -> None:
    bench = "fleet: module import before the first request (CPU, median of 5)"
    code = f"import {MODULE}"
    values = {}
    for label, root in (("before", _baseline_collections()), ("after", collections_path())):
        env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
        _cpu_of([sys.executable, "-c", code], env)  # warm the page cache
        values[label] = median([_cpu_of([sys.executable, "-c", code], env) for _ in range(5)])
        top = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True,
                             text=True, check=True, timeout=120).stderr.splitlines()
        heavy = sorted(((int(line.split("|")[1]), line.split("|")[2].strip()) for line in top[1:] if line.count("|") == 2),
                       reverse=True)
        names = [n for _us, n in heavy if n.startswith(("azure", "requests", "cryptography", "ansible.module_utils.basic"))]
        rows.append(row(bench, f"{label} ({BASELINE if label == 'before' else 'this tree'})", values[label] * 1000,
                        "ms", note="heaviest third-party imports: " + ", ".join(names[:4])))
    rows.append(row(bench, "after / before", values["after"] / values["before"], "ratio"))


class Runner:
    def __init__(self, sandbox: SandboxClient, workdir: Path, cache_dir: Path) -> None:
        self.workdir, self.sandbox, self.count = workdir, sandbox, 0
        self.env = ansible_env(sandbox.env, {"AZUREML_TOKEN_CACHE_DIR": str(cache_dir)})

    def run(self, text: str, inventory: str, *extra: str) -> tuple[float, str]:
        self.count += 1
        playbook = self.workdir / f"fleet-play-{self.count}.yml"
        playbook.write_text(text)
        began = time.perf_counter()
        done = subprocess.run([ansible_playbook(), "-i", inventory, str(playbook), *extra], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        wall = time.perf_counter() - began
        (self.workdir / f"fleet-play-{self.count}.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"ansible-playbook exited {done.returncode}: {(done.stdout + done.stderr)[-800:]}")
        return wall, done.stdout


def _counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"reads": 0, "writes": 0, "token": 0, "metadata": 0}
    for e in entries:
        if e.get("kind") == "auth":
            counts["metadata" if e["path"].endswith("/metadata/endpoints") else "token"] += \
                e["path"].endswith(("/metadata/endpoints", "/msi/token", "/oauth2/v2.0/token"))
        elif e["method"] == "GET":
            counts["reads"] += 1
        else:
            counts["writes"] += 1
    return counts


def _requests(runner: Runner, sandbox: SandboxClient, rows: list[Row]) -> None:
    clusters = {"AKS": dict(name="req-aks", cluster_type="managedClusters"),
                "Arc": dict(name="req-arc", cluster_type="connectedClusters", distribution="k3s",
                            connectivity_status="Connected")}
    sandbox.seed_clusters([dict(c, resource_group="rg-bench-req", location="eastus", node_count=3)
                           for c in clusters.values()])
    updated = dict(POC_CONFIG, enableTraining="False")
    steps = (("create", dict(config=POC_CONFIG)), ("no-change", dict(config=POC_CONFIG)),
             ("update", dict(config=updated)), ("delete", dict(state="absent")))
    for label, cluster in clusters.items():
        bench = f"fleet: requests per cluster, {label} (aml_extension, sandbox log)"
        for step, args in steps:
            seq = sandbox.last_seq()
            runner.run(play(task(step, cluster_type=cluster["cluster_type"], cluster_name=cluster["name"],
                                 resource_group="rg-bench-req", name="azureml", **args)), "localhost,", "-c", "local")
            counts = _counts(sandbox.requests(since=seq))
            note = f"writes {counts['writes']}, token {counts['token']}, metadata {counts['metadata']}"
            if step == "no-change":
                rows.append(row(bench, f"{step}: ARM reads (floor 1)", counts["reads"], "reads", NO_CHANGE_READS,
                                note=note + f"; ratio to the floor {counts['reads'] / 1:.1f}"))
            else:
                rows.append(row(bench, f"{step}: ARM reads (incl. operation polls)", counts["reads"], "reads",
                                note=note + "; floor: 1 write and its polls"))


def _clone_extension(state_dir: Path, template: str, names: list[str]) -> None:
    """Copy the extension installed on `template` to every cluster of `names` in state.json (sandbox stopped)."""
    path = state_dir / "state.json"
    state = json.loads(path.read_text())
    extensions = state["extensions"]
    [(key, record)] = [(k, v) for k, v in extensions.items() if f"/{template}/" in k.lower()]
    text_key, text = json.dumps(key), json.dumps(record)
    for name in names:
        extensions[json.loads(text_key.replace(template, name))] = json.loads(text.replace(template, name))
    path.write_text(json.dumps(state, separators=(",", ":")))


def _converge(runner: Runner, sandbox: SandboxClient, rows: list[Row]) -> SandboxClient:
    largest = max(SIZES)
    names = [f"nc-{i:04d}x" for i in range(largest)]
    sandbox.call("POST", "/_sandbox/clusters", {"clusters": [sandbox._spec("managedClusters", dict(  # pylint: disable=protected-access
        name=n, resource_group="rg-bench-nc", location="eastus", node_count=3)) for n in names]}, timeout=600)
    converge = play(task("converge", cluster_type="managedClusters", cluster_name="{{ inventory_hostname }}",
                         resource_group="rg-bench-nc", name="azureml", config=POC_CONFIG), hosts="fleet")
    single = runner.workdir / "fleet-one.yml"
    single.write_text(json.dumps({"all": {"children": {"fleet": {"hosts": {names[0]: {"ansible_connection": "local"}}}}}}))
    runner.run(converge, str(single))  # the one real install (one control plane)
    state_dir = sandbox.state_dir
    subprocess.run([sys.executable, "-m", "sandbox", "stop", "--state-dir", str(state_dir)], cwd=REPO, check=True,
                   capture_output=True, timeout=300)
    _clone_extension(state_dir, names[0], names[1:])
    sandbox = SandboxClient.start(state_dir)
    runner.sandbox = sandbox
    runner.env.update(ansible_env(sandbox.env))
    ping = play({"name": "ping", "ansible.builtin.ping": {}}, hosts="fleet")
    for size in SIZES:
        inventory = runner.workdir / f"fleet-{size}.yml"
        hosts = {n: {"ansible_connection": "local"} for n in names[:size]}
        inventory.write_text(json.dumps({"all": {"children": {"fleet": {"hosts": hosts}}}}))
        bench = f"fleet: no-change converge vs ansible.builtin.ping, {size} AKS hosts, forks {FORKS}"
        ping_wall, _out = runner.run(ping, str(inventory), "-f", str(FORKS))
        seq = sandbox.last_seq()
        wall, out = runner.run(converge, str(inventory), "-f", str(FORKS))
        counts = _counts(sandbox.requests(since=seq))
        changed = out.count("changed: [")
        rows.append(row(bench, "ansible.builtin.ping wall time (the floor)", ping_wall, "s"))
        rows.append(row(bench, "aml_extension no-change wall time", wall, "s",
                        note=f"changed hosts {changed}; ARM reads {counts['reads'] / size:.2f}/host, writes "
                             f"{counts['writes']}, token {counts['token']}, metadata {counts['metadata']} for the run"))
        rows.append(row(bench, "converge / ping", wall / ping_wall, "ratio", CONVERGE_VS_PING,
                        note=f"{(wall - ping_wall) / size:.3f} s more per host"))
        if size == SIZES[0]:
            rows.append(row(bench, "token + metadata requests for the whole run", counts["token"] + counts["metadata"],
                            "requests", targets.Target("<=", 2, ONE_PER_RUN.why)))
            _profile(runner, single, rows)
    return sandbox


# What any SDK-based module pays before its first request: azure-core and its requests transport.
SDK_FLOOR_IMPORTS = "import azure.core, azure.core.pipeline.transport._requests_basic, azure.mgmt.core.policies"


def _module_cpu(path: Path, env: dict[str, str]) -> float:
    _cpu_of([sys.executable, str(path)], env)  # warm the page cache
    return median([_cpu_of([sys.executable, str(path)], env) for _ in range(5)])


def _profile(runner: Runner, inventory: Path, rows: list[Row]) -> None:
    """Where a no-change host's module CPU goes: the AnsiballZ payloads Ansible ran (kept), each run again
    alone, against ping's, and against what importing azure-core and its transport costs by itself."""
    remote = runner.workdir / "remote-tmp"
    shutil.rmtree(remote, ignore_errors=True)
    both = play(task("converge", cluster_type="managedClusters", cluster_name="{{ inventory_hostname }}",
                     resource_group="rg-bench-nc", name="azureml", config=POC_CONFIG),
                {"name": "ping", "ansible.builtin.ping": {}}, hosts="fleet")
    saved = dict(runner.env)
    runner.env.update(ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=str(remote), ANSIBLE_PIPELINING="0")  # payloads as files
    try:
        runner.run(both, str(inventory))
    finally:
        runner.env.clear()
        runner.env.update(saved)
    payloads = {p.name: p for p in remote.glob("*/AnsiballZ_*.py")}
    aml, ping = _module_cpu(payloads["AnsiballZ_aml_extension.py"], runner.env), _module_cpu(
        payloads["AnsiballZ_ping.py"], runner.env)
    bare = median([_cpu_of([sys.executable, "-c", "pass"], runner.env) for _ in range(5)])
    sdk = median([_cpu_of([sys.executable, "-c", SDK_FLOOR_IMPORTS], runner.env) for _ in range(5)]) - bare
    bench = "fleet: where a no-change host's module CPU goes (the AnsiballZ payload run alone, median of 5)"
    rows.append(row(bench, "ansible.builtin.ping module run (the floor)", ping * 1000, "ms"))
    rows.append(row(bench, "aml_extension no-change module run", aml * 1000, "ms",
                    note=f"{(aml - ping) * 1000:.0f} ms more than ping"))
    rows.append(row(bench, "of which: importing azure-core and its requests transport alone", sdk * 1000, "ms",
                    note="what any module on the Azure SDK pays before its first request"))
    rows.append(row(bench, "of which: the rest (the collection's code compiled from the zip, the token cache, the GET)",
                    (aml - ping - sdk) * 1000, "ms"))


def _inventory(runner: Runner, sandbox: SandboxClient, rows: list[Row]) -> None:
    sub = str(uuid.uuid4())
    sandbox.control("POST", "subscriptions", {"subscription_id": sub})
    specs = [sandbox._spec("managedClusters", dict(  # pylint: disable=protected-access
        name=f"inv-{i:04d}", subscription_id=sub, resource_group="rg-bench-inv", location="eastus", node_count=3))
        for i in range(INVENTORY_SIZE)]
    r = sandbox.call("POST", "/_sandbox/clusters", {"clusters": specs}, timeout=1800)
    if r.status_code != 201:
        raise RuntimeError(f"seeding {INVENTORY_SIZE} clusters: {r.status_code} {r.text[:300]}")
    source = runner.workdir / "fleet.aml_clusters.yml"
    source.write_text(json.dumps({"plugin": "azureml.kubernetes.aml_clusters", "subscriptions": [sub],
                                  "cluster_types": ["managedClusters"], "read_extensions": True,
                                  "extension_workers": 10}))
    seq = sandbox.last_seq()
    began = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list"],
                          env=dict(runner.env, ANSIBLE_INVENTORY_UNPARSED_FAILED="true"), capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"ansible-inventory exited {done.returncode}: {done.stderr[-800:]}")
    hosts = len(json.loads(done.stdout)["_meta"]["hostvars"])
    gets = [e for e in sandbox.requests(since=seq, method="GET") if f"/subscriptions/{sub}/" in e["path"] + "/"]
    # the floor: the same GETs, by plain requests with 10 threads
    paths = [(e["path"], e.get("query") or {}) for e in gets]
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda pq: sandbox.arm("GET", pq[0], params=pq[1]), paths))
    floor = time.perf_counter() - began
    bench = f"fleet: read path, aml_clusters inventory with extension state, {INVENTORY_SIZE} AKS clusters"
    rows.append(row(bench, "ansible-inventory --list wall time", wall, "s", INVENTORY_S,
                    note=f"{hosts} hosts; {len(gets)} GETs ({len(gets) / max(hosts, 1):.2f}/cluster)"))
    rows.append(row(bench, "the same GETs by plain requests, 10 threads (the floor)", floor, "s"))
    rows.append(row(bench, "inventory / floor", wall / floor, "ratio"))


def run(rows: list[Row]) -> None:
    workdir = BENCH_DIR / "fleet"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    _imports(rows)
    with own_sandbox("fleet") as (sandbox, _seconds):
        sandbox.settings(provisioning_delay_seconds=0)
        runner = Runner(sandbox, workdir, workdir / "token-cache")
        _requests(runner, sandbox, rows)
        sandbox = _converge(runner, sandbox, rows)
        _inventory(runner, sandbox, rows)
