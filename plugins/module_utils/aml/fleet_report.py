# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fleet report says (pure): one row per cluster from its host variables, the summary counts, and the
masking that keeps every secret out of it.

The action plugin ``aml_fleet_report`` hands in each host's variables (``aml_run_record`` and the roles'
``<role>_result`` facts, see playbooks/tasks/converge.yml); this module decides the rows and the summary, and
plugins/plugin_utils/fleet_report/ renders them. A host without ``aml_run_record`` is ``untouched``: it never ran,
or the rollout stopped before it.

Secrets never reach a row: the settings shown are the public settings minus every key the settings table marks
``secret`` and every key given as protected; the values of the protected settings given to the play are masked
wherever they appear (a reason, a fix, a warning), and so are PEM blocks, connection strings' keys, SAS
signatures, bearer tokens and JWTs.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import MASK
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.health_checks import health_check_hints
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import (
    COMPUTED,
    FINGERPRINT_KEY,
    INTERNAL,
    describe,
    secret_keys,
)

OUTCOMES = ("installed", "updated", "unchanged", "would_change", "failed", "untouched")
# How the page names them (the JSON keeps the machine names above).
OUTCOME_LABELS = {
    "installed": "installed",
    "updated": "updated",
    "unchanged": "unchanged",
    "would_change": "would change (drift)",
    "failed": "failed",
    "untouched": "untouched (skipped)",
}
CLUSTER_TYPES = {"managedClusters": "AKS", "connectedClusters": "Arc"}
# The role results a row reads, by role (each role registers <role>_result).
ROLE_RESULTS = ("prerequisites", "legacy_cleanup", "authorized_ip_ranges", "gpu", "tls", "extension", "verify")
# Host variables that hold protected settings given to the play (their values are masked everywhere).
PROTECTED_VARS = ("aml_extension_config_protected", "extension_config_protected")
# Host variables that are a secret themselves (an inline TLS key, which may come without its PEM armour).
SECRET_TEXT_VARS = ("aml_tls_key_content", "tls_key_content")
# Host variables a row reads: the inventory's (sandbox or aml_clusters plugin), the run record, the results.
ROW_VARS = (("aml_cluster_name", "aml_cluster_type", "aml_resource_group", "aml_subscription_id", "aml_location",
             "aml_scenario", "aml_extension_state", "aml_extension_version", "aml_run_record")
            + PROTECTED_VARS + SECRET_TEXT_VARS + tuple(f"{role}_result" for role in ROLE_RESULTS))
# Values this short, or booleans, are not masked as text: "True" in a protected map would blank out the page.
MIN_MASKED_LENGTH = 6

# Secret shapes masked in any text, whatever variable they came from.
SECRET_PATTERNS = (
    # PEM blocks (keys, certificates), also a block cut short.
    re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S),
    # Connection strings' secret parts (Relay/Service Bus, storage) and SAS signatures.
    re.compile(r"(?i)((?:SharedAccessKey|AccountKey|SharedAccessSignature|Password|Pwd|sig)\s*=\s*)[^;&\s\"'<>]+"),
    # Authorization headers and bare JWTs.
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
)


class Masker:
    """Masks the given secret values and the secret shapes in any text or nested data."""

    def __init__(self, values: Iterable[Any] = ()) -> None:
        # numbers too (a protected port or pin given unquoted), as their text
        texts = {str(v) for v in values
                 if isinstance(v, (str, int, float)) and not isinstance(v, bool) and len(str(v)) >= MIN_MASKED_LENGTH}
        # Longest first, so a value containing another is masked whole.
        self.values = sorted(texts, key=len, reverse=True)

    def text(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for secret in self.values:
            value = value.replace(secret, MASK)
            for line in secret.splitlines():  # a multi-line secret quoted line by line
                if len(line.strip()) >= MIN_MASKED_LENGTH * 3:
                    value = value.replace(line.strip(), MASK)
        for pattern in SECRET_PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.groups() and m.group(1) else "") + MASK, value)
        return value

    def data(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return self.text(value)


def _dict(value: Any) -> dict[str, Any]:
    """A role result as a dict; a skipped task's registration counts as no result."""
    if not isinstance(value, Mapping) or value.get("skipped"):
        return {}
    return dict(value)


def protected_values(host_vars: Mapping[str, Any]) -> list[Any]:
    """Every value given as a protected setting, and every value under a key the settings table marks secret."""
    found: list[Any] = []
    for name in PROTECTED_VARS:
        found += list(_dict(host_vars.get(name)).values())
    found += [host_vars.get(name) for name in SECRET_TEXT_VARS if host_vars.get(name)]
    secret = set(secret_keys())

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in secret and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk({k: host_vars.get(k) for k in ROW_VARS})
    return [v for v in found if isinstance(v, (str, int, float)) and not isinstance(v, bool) and v != "" and v != MASK]


def protected_keys(host_vars: Mapping[str, Any]) -> list[str]:
    keys: set[str] = set()
    for name in PROTECTED_VARS:
        keys |= set(_dict(host_vars.get(name)))
    ext = _dict(host_vars.get("extension_result"))
    diff_after = _dict(_dict(ext.get("diff")).get("after"))
    keys |= set(_dict(diff_after.get("protected_settings")))
    return sorted(keys)


def _chosen(key: str) -> bool:
    """A setting someone chose: not one the CLI computes (clusterId, location, ...) nor an internal one."""
    setting = describe(key)
    return setting is None or setting.origin not in (COMPUTED, INTERNAL)


def public_settings(settings: Mapping[str, Any], hidden: Iterable[str]) -> dict[str, str]:
    """The settings a row shows: the chosen ones, less the table's secret keys, the protected ones and the
    fingerprint."""
    skip = set(secret_keys()) | set(hidden) | {FINGERPRINT_KEY}
    return {str(k): "" if v is None else str(v) for k, v in sorted(settings.items()) if k not in skip and _chosen(k)}


def _components(verify: Mapping[str, Any]) -> dict[str, Any] | None:
    components = verify.get("components")
    if not isinstance(components, list) or not verify:
        return None
    not_ready = [c for c in components if isinstance(c, Mapping) and not c.get("ready")]
    return {
        "ready": len(components) - len(not_ready),
        "total": len(components),
        "not_ready": [{"name": c.get("name"), "kind": c.get("kind"), "reason": c.get("reason")} for c in not_ready],
        "passed": verify.get("passed"),
        "message": verify.get("message"),
    }


def _preflight_warnings(prerequisites: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"id": item.get("id"), "reason": item.get("reason"), "fix": item.get("fix")}
            for item in prerequisites.get("checks") or []
            if isinstance(item, Mapping) and item.get("status") == "warn"]


def _changes(extension: Mapping[str, Any], components: dict[str, Any] | None, hidden: Iterable[str]) -> dict[str, Any]:
    """What changed (apply) or would change (check): settings before -> after, the version, missing components."""
    diff = _dict(extension.get("diff"))
    before, after = _dict(diff.get("before")), _dict(diff.get("after"))
    skip = set(secret_keys()) | set(hidden) | {FINGERPRINT_KEY}
    settings = []
    if diff:
        old, new = _dict(before.get("settings")), _dict(after.get("settings"))
        for key in sorted(set(old) | set(new)):
            if old.get(key) == new.get(key):
                continue
            shown = key not in skip
            settings.append({"key": key, "before": old.get(key) if shown else (MASK if key in old else None),
                             "after": new.get(key) if shown else (MASK if key in new else None)})
        old_p, new_p = _dict(before.get("protected_settings")), _dict(after.get("protected_settings"))
        for key in sorted(set(new_p) - set(old_p)):
            settings.append({"key": key, "before": None, "after": MASK})
    else:
        # No diff (diff mode off): the keys the module says it sent, without values.
        settings = [{"key": key, "before": None, "after": None} for key in extension.get("changed_settings") or []]
    version = None
    if diff and after:
        old_v = before.get("version") or _dict(extension.get("extension")).get("current_version")
        new_v = after.get("version")
        if new_v and new_v != old_v:
            version = {"before": old_v, "after": new_v}
        elif before.get("release_train") != after.get("release_train") and before and after.get("release_train"):
            version = {"before": f"train {before.get('release_train')}", "after": f"train {after.get('release_train')}"}
    return {
        "create": bool(diff) and not before and bool(after),
        "delete": bool(diff) and bool(before) and not after,
        "settings": settings,
        "version": version,
        "missing_components": [c["name"] for c in (components or {}).get("not_ready", [])],
        "actions": list(extension.get("actions") or []),
    }


def _failure_fix(record: Mapping[str, Any], results: Mapping[str, dict[str, Any]]) -> str:
    """The documented fix: the record's, else the failed preflight item's, else the health-check code's."""
    if record.get("fix"):
        return str(record["fix"])
    prerequisites = results.get("prerequisites") or {}
    failed = set(prerequisites.get("failed") or [])
    for item in prerequisites.get("checks") or []:
        if isinstance(item, Mapping) and item.get("id") in failed and item.get("fix"):
            return str(item["fix"])
    extension = results.get("extension") or {}
    hints = health_check_hints(str(record.get("reason") or ""), str(extension.get("msg") or ""))
    return " ".join(hints)


def _outcome(record: Mapping[str, Any] | None) -> str:
    if not record:
        return "untouched"
    outcome = str(record.get("outcome") or "")
    if not outcome:
        return "failed" if record.get("failed_step") else "untouched"
    return "would_change" if outcome == "drifted" else outcome


def is_cluster_host(host_vars: Mapping[str, Any]) -> bool:
    """A host is a cluster when it has the inventory's cluster variables or a run record (not a bare localhost)."""
    return bool(host_vars.get("aml_cluster_name") or host_vars.get("aml_run_record"))


def build_row(host: str, host_vars: Mapping[str, Any]) -> dict[str, Any]:
    """One cluster's row, masked."""
    record = _dict(host_vars.get("aml_run_record")) or None
    results = {role: _dict(host_vars.get(f"{role}_result")) for role in ROLE_RESULTS}
    extension = results["extension"]
    ext_view = _dict(extension.get("extension"))
    hidden = protected_keys(host_vars)
    components = _components(results["verify"])
    outcome = _outcome(record)
    record = record or {}
    cluster_type = str(host_vars.get("aml_cluster_type") or "")
    state = (ext_view.get("provisioning_state") or results["verify"].get("provisioning_state")
             or host_vars.get("aml_extension_state"))
    if extension and not ext_view and not extension.get("failed"):
        state = state or "absent"
    row = {
        "host": host,
        "cluster": str(host_vars.get("aml_cluster_name") or host),
        "type": CLUSTER_TYPES.get(cluster_type, cluster_type or "unknown"),
        "region": str(host_vars.get("aml_location") or (results["prerequisites"].get("cluster_facts") or {})
                      .get("location") or "unknown"),
        "subscription": str(host_vars.get("aml_subscription_id") or ""),
        "resource_group": str(host_vars.get("aml_resource_group") or ""),
        "scenario": str(record.get("scenario") or host_vars.get("aml_scenario") or "none"),
        "mode": str(record.get("mode") or ""),
        "outcome": outcome,
        "wave": record.get("wave"),
        "extension_state": str(state) if state else None,
        "version": ext_view.get("current_version") or ext_view.get("version") or host_vars.get("aml_extension_version"),
        "settings": public_settings(_dict(ext_view.get("settings")), hidden),
        "protected_keys": hidden,
        "components": components,
        "preflight_warnings": _preflight_warnings(results["prerequisites"]),
        "failed_step": str(record.get("failed_step") or ""),
        "reason": str(record.get("reason") or ""),
        "fix": _failure_fix(record, results) if outcome == "failed" else str(record.get("fix") or ""),
        "changes": _changes(extension, components, hidden) if extension else None,
        "changed_steps": [str(step) for step in record.get("changed_steps") or []],
    }
    return Masker(protected_values(host_vars)).data(row)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by outcome (every outcome listed, zeros included), by scenario, by region and by cluster type."""
    by_outcome = {outcome: 0 for outcome in OUTCOMES}
    by_scenario: dict[str, dict[str, int]] = {}
    by_region: dict[str, dict[str, int]] = {}
    by_type: dict[str, int] = {}
    for row in rows:
        outcome = row["outcome"]
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
        for table, key in ((by_scenario, row["scenario"]), (by_region, row["region"])):
            counts = table.setdefault(key, {"total": 0})
            counts["total"] += 1
            counts[outcome] = counts.get(outcome, 0) + 1
        by_type[row["type"]] = by_type.get(row["type"], 0) + 1
    modes = sorted({row["mode"] for row in rows if row["mode"]})
    return {
        "total": len(rows),
        "failed": by_outcome.get("failed", 0),
        "by_outcome": by_outcome,
        "by_scenario": dict(sorted(by_scenario.items())),
        "by_region": dict(sorted(by_region.items())),
        "by_type": dict(sorted(by_type.items())),
        "modes": modes,
    }


def one_line(summary: Mapping[str, Any]) -> str:
    """The summary in one line: '20 clusters: 15 installed, 3 failed, 2 untouched (skipped)'."""
    parts = [f"{count} {OUTCOME_LABELS.get(outcome, outcome)}"
             for outcome, count in summary["by_outcome"].items() if count]
    return f"{summary['total']} cluster(s): " + (", ".join(parts) if parts else "none")


def build_report(hosts: Iterable[str], host_vars_of: Mapping[str, Mapping[str, Any]], title: str = "") -> dict[str, Any]:
    """The report's data (what the JSON file holds, less its generation time): summary and rows, by cluster name."""
    rows = [build_row(host, host_vars_of[host]) for host in hosts if is_cluster_host(host_vars_of.get(host) or {})]
    rows.sort(key=lambda r: (r["cluster"], r["host"]))
    return {"title": title or "Azure Machine Learning extension: fleet report", "summary": summarize(rows),
            "rows": rows}
