# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action aml_fleet_report: the fleet report from the hosts' variables, written on the controller.

Thin: it picks the hosts, reads their variables from ``hostvars``, and hands them to
module_utils/aml/fleet_report.py (rows, summary, masking) and plugin_utils/fleet_report/ (the page, the files).
Documentation: plugins/modules/aml_fleet_report.py.
"""

from __future__ import annotations

from typing import Any, Mapping

from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.plugins.action import ActionBase

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fleet_report
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.fleet_report import files

DEFAULT_REPORT_DIR = "aml-report"

ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "str"},
    "report_dir": {"type": "path", "default": DEFAULT_REPORT_DIR},
    "title": {"type": "str", "default": ""},
}


def plain(value: Any) -> Any:
    """Host variables as plain Python data (Ansible's tagged and lazy containers, unsafe text)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if value is None or isinstance(value, (int, float)):
        return value
    return str(value)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def _hosts(self, hosts: list[str] | None, task_vars: Mapping[str, Any]) -> list[str]:
        """The named hosts, or those of the pattern ``aml_hosts`` (default ``all``); within ``--limit``, if any."""
        manager = InventoryManager(self._loader, parse=False)
        for group, members in (task_vars.get("groups") or {}).items():
            manager.add_group(group)
            for host in members:
                manager.add_host(host, group=group)

        def matching(patterns: list[str]) -> list[str]:
            try:
                return [host.name for host in manager.get_hosts(pattern=patterns)]
            except AnsibleError as exc:
                raise AnsibleError(f"aml_fleet_report: {patterns!r} names no inventory hosts: {exc}") from exc

        found = matching(hosts) if hosts else matching([str(task_vars.get("aml_hosts") or "all")])
        limit = task_vars.get("ansible_limit")
        if limit:
            allowed = set(matching([str(limit)]))
            found = [host for host in found if host in allowed]
        return found

    @staticmethod
    def _host_vars(hostvars: Any, host: str) -> dict[str, Any]:
        """The variables a row reads; one that cannot be templated counts as not set."""
        try:
            source = hostvars[host]
        except (KeyError, AnsibleError):
            return {}
        found: dict[str, Any] = {}
        for name in fleet_report.ROW_VARS:
            try:
                if name in source:
                    found[name] = plain(source[name])
            except AnsibleError:  # an undefined or broken template: not set
                continue
        return found

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del validation
        hosts = self._hosts(args.get("hosts"), task_vars)
        hostvars = task_vars.get("hostvars") or {}
        host_vars_of = {host: self._host_vars(hostvars, host) for host in hosts}
        report = fleet_report.build_report(hosts, host_vars_of, title=args.get("title") or "")
        previous = files.previous_report(files.paths(args["report_dir"])["json"])
        written = files.write(args["report_dir"], report, check_mode=bool(self._task.check_mode))
        summary = report["summary"]
        result.update(
            changed=written["changed"],
            html=written["html"],
            json=written["json"],
            report_dir=written["dir"],
            written=written["written"],
            generated_at=written["generated_at"],
            summary=summary,
            failed_count=summary["failed"],
            failed_clusters=[row["cluster"] for row in report["rows"] if row["outcome"] == "failed"],
            message=f"{fleet_report.one_line(summary)}. Report: {written['html']}",
        )
        if self._task.diff:
            result["diff"] = {
                "before_header": written["json"], "after_header": written["json"],
                "before": {row["cluster"]: row["outcome"] for row in (previous or {}).get("rows") or []},
                "after": {row["cluster"]: row["outcome"] for row in report["rows"]},
            }
        return result
