# -*- coding: utf-8 -*-
"""An aggregate callback for the benchmarks: when each host's task started and ended, and how it ended.

Enabled only by the benchmarks (ANSIBLE_CALLBACK_PLUGINS pointing here, ANSIBLE_CALLBACKS_ENABLED=bench_timer);
writes a JSON list to the file named by BENCH_TIMER_OUT at the end of the playbook.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: per-host task start, end and outcome, for the azureml.kubernetes benchmarks
description:
  - Writes one JSON record per host and task to the file named by the BENCH_TIMER_OUT environment variable.
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._records = {}

    def v2_runner_on_start(self, host, task):
        self._records[(host.get_name(), task._uuid)] = {"host": host.get_name(), "task": task.get_name(),
                                                        "start": time.time()}

    def _finish(self, result, status):
        key = (result._host.get_name(), result._task._uuid)
        record = self._records.setdefault(key, {"host": key[0], "task": result._task.get_name(), "start": None})
        outcome = result._result
        record.update(end=time.time(), status=status, changed=bool(outcome.get("changed")),
                      msg=str(outcome.get("msg") or "")[:500])

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMER_OUT")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(list(self._records.values()), handle, indent=1)
