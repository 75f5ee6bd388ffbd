"""Group: the sandbox clusters' real control planes.

- build: how long this machine's cold build of the binaries took (recorded by sandbox/kube/tools/build.sh
  in the cache, per binary), against the 90-minute CI budget a fresh machine must build within; a cache with
  no record (built before build.sh kept one, or AML_KUBE_BIN_DIR) gets a "not recorded" row saying how to get it;
- time to ready: one cluster from nothing to a Ready node (API server /readyz, controllers, kwok, the
  node), then ten at once (the sandbox starts two at a time), as a ratio of ten times one: how well
  parallel starts use the two cores;
- memory: the resident memory of one running cluster's four processes (the shared etcd reported apart),
  and what 20 running clusters would need as a share of the machine's memory;
- activation: the first request through an evicted cluster's public port (it starts the control plane),
  against a request to a running one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

from . import targets
from .measure import median
from .paths import ensure_importable
from .results import Row, not_recorded_row, row

CI_BUDGET_S = 90 * 60


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _machine_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def _ready_node(api) -> bool:
    from kubernetes import client
    nodes = client.CoreV1Api(api).list_node().items
    return bool(nodes) and all(any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
                               for n in nodes)


def _until_ready(world, cluster, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not world.run(cluster, _ready_node):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{cluster.name} had no Ready node within {timeout:.0f} s")
        time.sleep(0.1)


def build_rows(bin_dir: Path, names: tuple[str, ...], explicit: bool = False) -> list[Row]:
    """The cold build's rows from `build-seconds` beside the cache's `bin/` (build.sh appends a line per binary it
    builds). A cache built before build.sh recorded times, or a directory given by AML_KUBE_BIN_DIR (`explicit`),
    has none: the rows then say the time was not recorded and how to get it, rather than being left out."""
    metric = f"cold build of the {len(names)} binaries (this cache, recorded by build.sh)"
    seconds = bin_dir.parent / "build-seconds"
    per_binary: dict[str, float] = {}
    if not explicit and seconds.is_file():
        for line in seconds.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in names:
                per_binary[parts[0]] = float(parts[1])  # a binary built again: its last time
    missing = [name for name in names if name not in per_binary]
    if not missing:
        total = sum(per_binary.values())
        return [row("kube", metric, total, "s", note=", ".join(f"{k} {v:g} s" for k, v in per_binary.items())),
                row("kube", "cold build / CI budget", total / CI_BUDGET_S, "ratio", targets.KUBE_BUILD_BUDGET)]
    cold = ("make kube-binaries (tens of minutes on 2 cores; Go's own build cache, `go env GOCACHE`, still makes it "
            "quicker than on a fresh machine)")
    if explicit:
        how = f"the binaries come from AML_KUBE_BIN_DIR={bin_dir}, not from build.sh; unset it and run {cold}"
    else:
        how = f"no time in {seconds} for {', '.join(missing)}; for a cold build remove {bin_dir.parent} and run {cold}"
    return [not_recorded_row("kube", metric, "s", how),
            not_recorded_row("kube", "cold build / CI budget", "ratio", "see the row above", targets.KUBE_BUILD_BUDGET)]


def run(rows: list[Row]) -> None:
    ensure_importable()
    from sandbox.kube.binaries import NAMES, locate
    from sandbox.kube.nodes import NodePool
    from sandbox.kube.testing import running

    binaries = locate(build=False)
    rows.extend(build_rows(binaries.directory, NAMES, explicit=bool(os.environ.get("AML_KUBE_BIN_DIR"))))
    started = time.perf_counter()
    subprocess.run(["bash", str(Path(__file__).parents[1] / "sandbox/kube/tools/build.sh")], check=True,
                   capture_output=True)
    rows.append(row("kube", "make kube-binaries when built", time.perf_counter() - started, "s",
                    targets.KUBE_WARM_BUILD_S))

    with tempfile.TemporaryDirectory(prefix="bench-kube-") as tmp, running(Path(tmp), max_running=12) as world:
        singles = []
        for index in range(3):
            began = time.perf_counter()
            cluster = world.add(f"one-{index}", (NodePool(count=1),))
            _until_ready(world, cluster)
            singles.append(time.perf_counter() - began)
        one = median(singles)
        rows.append(row("kube", "time to ready, one cluster (median of 3)", one, "s"))

        pids = [p.pid for p in cluster.plane.processes]
        per_cluster_mib = sum(_rss_kib(pid) for pid in pids) / 1024
        etcd_mib = _rss_kib(world.world.etcd.process.pid) / 1024
        rows.append(row("kube", "memory of one running cluster (4 processes, RSS)", per_cluster_mib, "MiB",
                        note=f"shared etcd: {etcd_mib:.0f} MiB"))
        share = (20 * per_cluster_mib + etcd_mib) * 1024 / _machine_kib()
        rows.append(row("kube", "20 running clusters / machine memory", share, "ratio", targets.KUBE_TWENTY_SHARE))

        began = time.perf_counter()
        ten = [world.world.add(f"/bench/ten-{i}", f"ten-{i}", (NodePool(count=1),)) for i in range(10)]
        clusters = [world._wait(c) for c in ten]

        async def start_all():
            await asyncio.gather(*(world.world.ensure_running(c) for c in clusters))
        world._wait(start_all(), timeout=600)
        for cluster in clusters:
            _until_ready(world, cluster)
        ten_s = time.perf_counter() - began
        rows.append(row("kube", "time to ready, ten clusters at once", ten_s, "s"))
        rows.append(row("kube", "ten at once / (10 x one)", ten_s / (10 * one), "ratio", targets.KUBE_TEN_PARALLEL))

        # Activation: a request through the public port of an evicted (stopped) cluster, against a running one.
        victim = clusters[0]
        world._wait(victim.plane.stop())
        kubectl = ["kubectl", "--kubeconfig", str(world.kubeconfig), "--context", victim.name, "get", "--raw", "/readyz"]
        began = time.perf_counter()
        subprocess.run(kubectl, check=True, capture_output=True, timeout=120)
        cold = time.perf_counter() - began
        warm = median([_timed(kubectl) for _ in range(3)])
        rows.append(row("kube", "first kubectl request to a stopped cluster", cold, "s",
                        note=f"to a running one: {warm:.2f} s"))
        rows.append(row("kube", "stopped / running request", cold / warm, "ratio", targets.KUBE_ACTIVATION_RATIO))


def _timed(argv: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - began
