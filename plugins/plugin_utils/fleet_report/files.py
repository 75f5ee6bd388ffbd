# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's two files, ``aml-fleet-report.html`` and ``aml-fleet-report.json``, in one directory.

A report whose data (title, summary, rows) equals the one already written is not written again: the files
keep their generation time and the task reports no change. Each file is written to a temporary name beside it
and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from typing import Any, Mapping

from ansible_collections.azureml.kubernetes.plugins.plugin_utils.fleet_report import page

HTML_NAME = "aml-fleet-report.html"
JSON_NAME = "aml-fleet-report.json"
DATA_KEYS = ("title", "summary", "rows")


def paths(report_dir: str) -> dict[str, str]:
    folder = os.path.abspath(os.path.expanduser(report_dir))
    return {"dir": folder, "html": os.path.join(folder, HTML_NAME), "json": os.path.join(folder, JSON_NAME)}


def previous_report(json_path: str) -> dict[str, Any] | None:
    try:
        with open(json_path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _write(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix=".aml-fleet-report-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write(report_dir: str, report: Mapping[str, Any], check_mode: bool = False) -> dict[str, Any]:
    """Write both files unless the same data is already there (or in check mode); returns paths and changed."""
    where = paths(report_dir)
    data = {key: report[key] for key in DATA_KEYS}
    # The JSON round trip makes the comparison see what the file would hold (tuples as lists, ...).
    data = json.loads(json.dumps(data, default=str))
    previous = previous_report(where["json"])
    same = (previous is not None and {k: previous.get(k) for k in DATA_KEYS} == data
            and os.path.exists(where["html"]))
    if same:
        return dict(where, changed=False, written=False, generated_at=previous.get("generated_at"))
    generated_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if check_mode:
        return dict(where, changed=True, written=False, generated_at=generated_at)
    os.makedirs(where["dir"], exist_ok=True)
    document = dict(generated_at=generated_at, **data)
    _write(where["json"], json.dumps(document, indent=2, default=str) + "\n")
    _write(where["html"], page.render(data, generated_at))
    return dict(where, changed=True, written=True, generated_at=generated_at)
