# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin azureml.kubernetes.aml_rollout_gate: the wave gate of playbooks/fleet_rollout.yml.

Runs on the controller, once per batch (``run_once``), and decides from the ``aml_run_record`` facts of the
play's hosts (``hostvars``) alone, so it needs no state of its own between batches:

- ``phase: start``: which wave this batch is (one more than the highest wave an earlier batch recorded), and
  whether the rollout still goes on: it stopped when an earlier wave's failed clusters passed
  ``max_failures_percent``. When it stopped, ``untouched_record`` is the run record each host of this batch
  takes instead of being converged.
- ``phase: end``: this batch's failed clusters (outcome ``failed``, or no record at all) against the
  threshold; ``stop`` when it is passed (strictly above, as Ansible's ``max_fail_percentage``), with a message
  that names the failed clusters and counts those left untouched.

The decisions are the pure functions below (unit-tested in tests/unit/test_rollout_gate.py);
``run()`` only gathers their input from the task's variables.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

FAILED = "failed"
UNTOUCHED = "untouched"
NO_RECORD_REASON = "The converge tasks left no aml_run_record for this cluster (it failed outside their rescue)."

ARGUMENT_SPEC = {
    "phase": {"type": "str", "required": True, "choices": ["start", "end"]},
    "max_failures_percent": {"type": "float", "default": 0.0},
    "batch": {"type": "list", "elements": "str"},
    "hosts": {"type": "list", "elements": "str"},
    "scenario": {"type": "str", "default": ""},
}


def _wave_of(record: Any) -> Optional[int]:
    if not isinstance(record, Mapping):
        return None
    wave = record.get("wave")
    if isinstance(wave, str) and wave.strip().isdigit():  # a wave templated into a string
        return int(wave)
    if isinstance(wave, bool) or not isinstance(wave, int):
        return None
    return wave


def failed_percent(failed: int, size: int) -> float:
    """Unrounded: 1 of 3 is above a threshold of 33.33 (round only to show it)."""
    return 0.0 if size <= 0 else 100.0 * failed / size


def is_failed(record: Any) -> bool:
    """A cluster of a batch failed when its record says so, or when it has no record (it broke outside the rescue)."""
    return not isinstance(record, Mapping) or record.get("outcome") == FAILED


def earlier_waves(hosts: Sequence[str], batch: Iterable[str], records: Mapping[str, Any]) -> dict[int, list[str]]:
    """The hosts of earlier batches, by the wave their record carries (hosts of this batch left out).

    A host before this batch in the play's order with no record broke outside the converge's rescue in an
    earlier batch: it counts in the latest earlier wave (as failed), so the stop it caused is not forgotten.
    """
    current = set(batch)
    first = min((i for i, host in enumerate(hosts) if host in current), default=len(hosts))
    waves: dict[int, list[str]] = {}
    broken: list[str] = []
    for position, host in enumerate(hosts):
        if host in current:
            continue
        wave = _wave_of(records.get(host))
        if wave is not None:
            waves.setdefault(wave, []).append(host)
        elif position < first and not isinstance(records.get(host), Mapping):
            broken.append(host)
    if broken:
        waves.setdefault(max(waves) if waves else 1, []).extend(broken)
    return waves


def wave_verdict(wave_hosts: Sequence[str], records: Mapping[str, Any], max_failures_percent: float) -> dict[str, Any]:
    """One wave's failed clusters and whether they pass the threshold (strictly above it)."""
    failed = [h for h in wave_hosts if is_failed(records.get(h))]
    percent = failed_percent(len(failed), len(wave_hosts))
    return {"size": len(wave_hosts), "failed": failed, "failed_percent": percent,
            "exceeded": bool(failed) and percent > max_failures_percent}


def stopped_at(waves: Mapping[int, Sequence[str]], records: Mapping[str, Any], max_failures_percent: float) -> Optional[int]:
    """The first wave whose failures passed the threshold (the rollout stopped after it), or None."""
    for wave in sorted(waves):
        if wave_verdict(waves[wave], records, max_failures_percent)["exceeded"]:
            return wave
    return None


def _failure_line(host: str, record: Any) -> str:
    if not isinstance(record, Mapping):
        return f"{host} ({NO_RECORD_REASON})"
    step = record.get("failed_step") or "converge"
    reason = str(record.get("reason") or "no reason recorded").strip()
    return f"{host} ({step}: {reason})"


def untouched_reason(stop_wave: int, this_wave: int) -> str:
    return (f"The rollout stopped at wave {stop_wave}: its failures passed the threshold, so this cluster "
            f"(wave {this_wave}) was left untouched. Fix the failed clusters and run the rollout again; "
            "it resumes (converged clusters are no-ops).")


def start(hosts: Sequence[str], batch: Sequence[str], records: Mapping[str, Any], max_failures_percent: float,
          scenario: str = "", check_mode: bool = False) -> dict[str, Any]:
    """The gate before a batch: its wave number, and whether the rollout goes on."""
    waves = earlier_waves(hosts, batch, records)
    wave = max(waves) + 1 if waves else 1
    stop_wave = stopped_at(waves, records, max_failures_percent)
    result: dict[str, Any] = {"phase": "start", "wave": wave, "batch": list(batch), "proceed": stop_wave is None,
                              "stopped_at_wave": stop_wave, "max_failures_percent": max_failures_percent,
                              "untouched_record": None}
    if stop_wave is None:
        result["msg"] = f"Wave {wave}: {len(batch)} cluster(s): {', '.join(batch)}."
        return result
    result["untouched_record"] = {
        "scenario": scenario, "mode": "check" if check_mode else "apply", "outcome": UNTOUCHED,
        "failed_step": "", "reason": untouched_reason(stop_wave, wave), "fix": "", "wave": wave}
    result["msg"] = (f"The rollout stopped at wave {stop_wave}: wave {wave}'s {len(batch)} cluster(s) are left "
                     f"untouched: {', '.join(batch)}.")
    return result


def end(hosts: Sequence[str], batch: Sequence[str], records: Mapping[str, Any], max_failures_percent: float) -> dict[str, Any]:
    """The gate after a batch: its failures against the threshold; when passed, the rollout stops here."""
    waves = earlier_waves(hosts, batch, records)
    wave = max(waves) + 1 if waves else 1
    already = stopped_at(waves, records, max_failures_percent)
    verdict = wave_verdict(batch, records, max_failures_percent) if already is None else \
        {"size": len(batch), "failed": [], "failed_percent": 0.0, "exceeded": False}
    done = set(batch).union(*[set(v) for v in waves.values()]) if waves else set(batch)
    remaining = [h for h in hosts if h not in done]
    stop = verdict["exceeded"]
    result: dict[str, Any] = {"phase": "end", "wave": wave, "batch": list(batch), "size": verdict["size"],
                              "failed_hosts": verdict["failed"], "failed_percent": round(verdict["failed_percent"], 2),
                              "max_failures_percent": max_failures_percent, "stop": stop,
                              "stopped_at_wave": already if already is not None else (wave if stop else None),
                              "remaining": remaining}
    summary = (f"Wave {wave}: {len(verdict['failed'])} of {verdict['size']} cluster(s) failed "
               f"({round(verdict['failed_percent'], 2):g}%, threshold {max_failures_percent:g}%)")
    if already is not None:
        result["msg"] = f"Wave {wave} was left untouched: the rollout stopped at wave {already}."
    elif stop:
        failures = "; ".join(_failure_line(h, records.get(h)) for h in verdict["failed"])
        left = (f"{len(remaining)} cluster(s) are left untouched: {', '.join(remaining)}." if remaining
                else "No cluster was left untouched (this was the last wave).")
        result["msg"] = f"Rollout stopped at wave {wave}. {summary}: {failures}. {left}"
    else:
        result["msg"] = summary + (": the rollout goes on." if remaining else ": the rollout is complete.")
    return result


class ActionModule(ActionBase):
    """Decide the rollout's next step from the run records in hostvars (no connection, no module)."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        threshold = args["max_failures_percent"]
        if not 0 <= threshold <= 100:
            raise AnsibleActionFail(f"max_failures_percent (rollout_max_failures_percent) is {threshold:g}: "
                                    "give a percentage from 0 (any failure stops the rollout) to 100 (never stop).")
        hosts = list(args["hosts"] if args["hosts"] is not None else task_vars.get("ansible_play_hosts_all", []))
        batch = list(args["batch"] if args["batch"] is not None else task_vars.get("ansible_play_batch", []))
        hostvars = task_vars.get("hostvars", {})
        records = {}
        for host in set(hosts) | set(batch):
            try:
                records[host] = hostvars[host].get("aml_run_record")
            except KeyError:
                records[host] = None
        if args["phase"] == "start":
            verdict = start(hosts, batch, records, threshold, args["scenario"], bool(self._play_context.check_mode))
            if not verdict["proceed"]:
                result.setdefault("warnings", []).append(verdict["msg"])
        else:
            verdict = end(hosts, batch, records, threshold)
            if verdict["stop"]:
                result.setdefault("warnings", []).append(verdict["msg"])
        result.update(verdict)
        result["changed"] = False
        return result
