"""CLI: ``python -m benchmarks --out .bench/results.md [--only settings|sandbox|playbook ...]``.

Runs the benchmark groups, prints the results table and writes it as Markdown to --out with a JSON copy
next to it. Exit 0 when every benchmark ran, missed targets included (they are marked MISS); exit 1 when a
benchmark could not run (its row says ERROR), because then the table is incomplete.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from . import bench_fleet, bench_kube, bench_playbook, bench_polling, bench_sandbox, bench_settings
from .paths import BENCH_DIR
from .results import ERROR, Report, Row, busy_note, error_row, machine_facts, markdown, write

GROUPS: dict[str, tuple[str, Callable[[list[Row]], None]]] = {
    "settings": ("settings processing and plan()", bench_settings.run),
    "sandbox": ("sandbox start-up, ARM throughput, memory", bench_sandbox.run),
    "playbook": ("ansible-playbook end to end", bench_playbook.run),
    "polling": ("waiting for operations without Retry-After", bench_polling.run),
    "kube": ("the sandbox clusters' real control planes", bench_kube.run),
    "fleet": ("fleet cost: requests per cluster, converge vs ping, the 1,000-cluster read path", bench_fleet.run),
}

NOTES = [
    "Sandboxes run with provisioning_delay_seconds=0 (the polling group seeds clusters with delays of their own): the "
    "ARM and playbook times are the emulator's, the SDK's, Ansible's and the module's own cost, not an emulated install.",
    "The polling group keeps the sandbox's default Retry-After setting: none on extension operations, as real Azure "
    "(its rows say so when the sandbox sends one), so the module's own poll schedule decides when it looks again.",
    "Throughput clients and the sandbox share this machine's CPUs; the CPU rows show which side was busy.",
]


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so every sandbox started here is stopped


@contextlib.contextmanager
def _one_run_at_a_time():
    """The sandboxes live in fixed dirs under .bench/: a second run in the same tree waits for the first."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with open(BENCH_DIR / ".lock", "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another benchmark run holds {lock.name}; waiting for it to finish", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Benchmarks of azureml.kubernetes: "
                                     "a results table with targets (benchmarks/targets.py).")
    parser.add_argument("--out", type=Path, default=Path(".bench/results.md"), help="Markdown results file")
    parser.add_argument("--only", action="append", choices=sorted(GROUPS), help="run only this group (repeatable)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    with _one_run_at_a_time():
        return _run(args.out, args.only)


def _run(out: Path, only: list[str] | None) -> int:
    report = Report(machine_facts())
    began = time.perf_counter()
    chosen = [name for name in GROUPS if not only or name in only]
    for number, name in enumerate(chosen, 1):
        title, run = GROUPS[name]
        print(f"[{number}/{len(chosen)}] {title} ...", file=sys.stderr, flush=True)
        group_began = time.perf_counter()
        try:
            run(report.rows)
        except Exception as exc:  # the rows measured so far stay; the failure is a row of its own
            traceback.print_exc()
            report.rows.append(error_row(f"{name}: {title}", exc))
        print(f"[{number}/{len(chosen)}] {title}: {time.perf_counter() - group_began:.1f} s", file=sys.stderr,
              flush=True)

    report.machine["run_seconds"] = round(time.perf_counter() - began, 1)
    report.machine["load_average_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report.notes = list(NOTES)
    # The load at the end includes this run's own work; the load at the start is everybody else's.
    busy = busy_note(report.machine)
    if busy:
        report.notes.append(busy)
    md_path, json_path = write(report, out)
    print(markdown(report))
    print(f"written: {md_path} and {json_path}")
    return 1 if report.counts[ERROR] else 0


if __name__ == "__main__":
    sys.exit(main())
