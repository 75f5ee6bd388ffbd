"""Result rows, the machine facts, and the Markdown and JSON writers."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .targets import Target

PASS, MISS, INFO, ERROR = "pass", "MISS", "-", "ERROR"


@dataclass
class Row:
    benchmark: str
    metric: str
    value: float | None
    unit: str
    target: str = ""
    result: str = INFO
    note: str = ""
    why: str = ""  # the target's reason (JSON only; the table points to targets.py)


def row(benchmark: str, metric: str, value: float, unit: str, target: Target | None = None, note: str = "") -> Row:
    """A measured value, judged against its target when it has one."""
    if target is None:
        return Row(benchmark, metric, value, unit, note=note)
    return Row(benchmark, metric, value, unit, target.text(unit), PASS if target.met(value) else MISS, note,
               target.why)


def error_row(benchmark: str, exc: BaseException) -> Row:
    return Row(benchmark, "could not run", None, "", result=ERROR, note=f"{type(exc).__name__}: {exc}"[:300])


def not_recorded_row(benchmark: str, metric: str, unit: str, how: str, target: Target | None = None) -> Row:
    """A value this run could not see (nothing recorded it), with how to get it: no value, no verdict (INFO, so
    neither a miss nor an error), the target shown when there is one."""
    return Row(benchmark, metric, None, unit, target.text(unit) if target else "", INFO, f"not recorded: {how}",
               target.why if target else "")


def busy_note(machine: dict[str, Any]) -> str | None:
    """The note for a machine already busy when the run started: its 1-minute load average above the CPUs this
    process may use (more runnable work than CPUs, so every timing waits its turn), else None."""
    before = float(machine["load_average_at_start"].split()[0])
    cpus = machine.get("cpus_usable") or machine.get("cpu_count") or 1
    if before <= cpus:
        return None
    return (f"The machine was already busy when the run started (1-minute load average {before:.1f} on {cpus} "
            "usable CPUs): expect noise, rerun before trusting a MISS.")


@dataclass
class Report:
    machine: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(1 for r in self.rows if r.result == k) for k in (PASS, MISS, ERROR)}


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _memory_total() -> str:
    text = _first("/proc/meminfo", "MemTotal")
    try:
        return f"{int(text.split()[0]) / 1024 / 1024:.1f} GiB RAM"
    except (ValueError, IndexError):
        return text


def machine_facts() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _first("/proc/cpuinfo", "model name"),
        "memory_total": _memory_total(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "ansible_core": _version("ansible-core"),
        "azure_core": _version("azure-core"),
        "azure_mgmt_kubernetesconfiguration": _version("azure-mgmt-kubernetesconfiguration"),
        "aiohttp": _version("aiohttp"),
    }


def _value(value: float | None) -> str:
    if value is None:
        return ""
    if value == int(value) and abs(value) >= 10:
        return f"{int(value)}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    m = report.machine
    counts = report.counts
    lines = [
        "# azureml.kubernetes benchmarks",
        "",
        f"{m['date']} · {m['cpu_count']} CPUs ({m['cpus_usable']} usable, {m['cpu_model']}) · {m['memory_total']} · "
        f"load average at start {m['load_average_at_start']}, at end {m.get('load_average_at_end', '?')}",
        f"Python {m['python']} · ansible-core {m['ansible_core']} · azure-core {m['azure_core']} · "
        f"azure-mgmt-kubernetesconfiguration {m['azure_mgmt_kubernetesconfiguration']} · aiohttp {m['aiohttp']} · "
        f"{m['platform']}",
        f"Run time {m.get('run_seconds', '?')} s · {counts[PASS]} pass, {counts[MISS]} miss, {counts[ERROR]} error "
        "(a miss does not fail the command; targets and their reasons: benchmarks/targets.py)",
        "",
        "| benchmark | metric | value | unit | target | result |",
        "|---|---|---:|---|---|---|",
    ]
    for r in report.rows:
        metric = r.metric + (f" ({r.note})" if r.note else "")
        lines.append(f"| {_cell(r.benchmark)} | {_cell(metric)} | {_value(r.value)} | {r.unit} | {_cell(r.target)} "
                     f"| {r.result} |")
    if report.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def write(report: Report, out: Path) -> tuple[Path, Path]:
    """The Markdown table at ``out`` and a JSON copy next to it (same name, .json)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(report))
    json_path = out.with_suffix(".json")
    json_path.write_text(json.dumps({"machine": report.machine, "counts": report.counts,
                                     "rows": [asdict(r) for r in report.rows], "notes": report.notes},
                                    indent=2) + "\n")
    return out, json_path
