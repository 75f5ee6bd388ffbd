"""Fleet playbooks in integration tests: an inventory of a test's own clusters and a run of a repository playbook.

The sandbox's inventory.yml lists every cluster any parallel test seeded; a fleet test writes an inventory of its own
clusters only (in the order given: the first is the canary), with the same host and group variables, and reads the
fleet report's JSON the run leaves in its own report directory.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import yaml

from tests.support.plays import REPO, ansible_env, ansible_playbook

PLAYBOOK_TIMEOUT = 900


def fleet_inventory(sandbox, folder: Path, names: Sequence[str],
                    host_vars: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Path:
    """An inventory (group ``fleet``) of the seeded clusters ``names``, in that order, as the sandbox describes them."""
    inventory = yaml.safe_load((sandbox.state_dir / "inventory.yml").read_text())
    group = inventory["all"]["children"]["aml_clusters"]
    known = {}
    for child in group["children"].values():
        for host, values in (child.get("hosts") or {}).items():
            known[values["aml_cluster_name"]] = (host, values)
    hosts = {}
    for name in names:
        host, values = known[name]
        hosts[host] = {**values, **dict((host_vars or {}).get(name, {}))}
    path = folder / "fleet-inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"fleet": {"vars": group["vars"], "hosts": hosts}}}},
                                   sort_keys=False))
    return path


class FleetRun:
    def __init__(self, completed: subprocess.CompletedProcess[str], report_dir: Path) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        report = report_dir / "aml-fleet-report.json"
        self.report = json.loads(report.read_text()) if report.exists() else {"rows": [], "summary": {}}
        self.rows = {row["cluster"]: row for row in self.report["rows"]}

    def __str__(self) -> str:
        return f"rc={self.returncode}\n{self.stdout[-6000:]}\n{self.stderr[-3000:]}"


def run_fleet_playbook(sandbox, folder: Path, playbook: str, inventory: Path,
                       extra_vars: Optional[Mapping[str, Any]] = None, check: bool = False) -> FleetRun:
    """``ansible-playbook -i inventory playbooks/<playbook>`` with the sandbox's environment; the report goes to
    ``folder/report`` (fresh for each run)."""
    report_dir = folder / "report"
    if report_dir.exists():
        for item in report_dir.iterdir():
            item.unlink()
    command = [ansible_playbook(), "-i", str(inventory), str(REPO / "playbooks" / playbook),
               "-e", json.dumps({"aml_report_dir": str(report_dir), **dict(extra_vars or {})})]
    if check:
        command += ["--check", "--diff"]
    completed = subprocess.run(command, capture_output=True, text=True, env=ansible_env(sandbox.env),
                               timeout=PLAYBOOK_TIMEOUT, check=False, cwd=folder)
    return FleetRun(completed, report_dir)
