# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wave gate of playbooks/fleet_rollout.yml: its decisions, and the action plugin run over real task vars."""
from __future__ import annotations

from unittest import mock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.azureml.kubernetes.plugins.action import aml_rollout_gate as gate

HOSTS = ["c1", "c2", "c3", "c4", "c5", "c6"]


def rec(outcome, wave, reason="", step=""):
    return {"scenario": "s", "mode": "apply", "outcome": outcome, "failed_step": step, "reason": reason, "fix": "",
            "wave": wave}


def test_first_batch_is_wave_one_and_proceeds():
    verdict = gate.start(HOSTS, ["c1"], {}, 0)
    assert verdict["wave"] == 1 and verdict["proceed"] is True
    assert verdict["stopped_at_wave"] is None and verdict["untouched_record"] is None


def test_wave_number_follows_the_records_of_earlier_batches():
    records = {"c1": rec("installed", 1), "c2": rec("installed", 2), "c3": rec("unchanged", 2)}
    assert gate.start(HOSTS, ["c4", "c5", "c6"], records, 0)["wave"] == 3


def test_records_without_a_wave_do_not_count_as_earlier_batches():
    # A record from a converge outside the rollout (wave null) is not a wave of this rollout.
    records = {"c1": rec("failed", None), "c2": rec("installed", True)}
    verdict = gate.start(HOSTS, ["c1"], records, 0)
    assert verdict["wave"] == 1 and verdict["proceed"] is True


def test_a_failed_canary_stops_later_waves_with_an_untouched_record():
    records = {"c1": rec("failed", 1, "service principal", "prerequisites")}
    verdict = gate.start(HOSTS, ["c2"], records, 0, scenario="aks_production")
    assert verdict["proceed"] is False and verdict["wave"] == 2 and verdict["stopped_at_wave"] == 1
    untouched = verdict["untouched_record"]
    assert untouched["outcome"] == "untouched" and untouched["wave"] == 2 and untouched["scenario"] == "aks_production"
    assert "stopped at wave 1" in untouched["reason"] and untouched["mode"] == "apply"
    assert "c2" in verdict["msg"]


def test_untouched_waves_keep_the_stop_at_the_first_failed_wave():
    records = {"c1": rec("failed", 1), "c2": rec("untouched", 2), "c3": rec("untouched", 2)}
    verdict = gate.start(HOSTS, ["c4", "c5", "c6"], records, 0)
    assert verdict["wave"] == 3 and verdict["stopped_at_wave"] == 1 and not verdict["proceed"]


def test_check_mode_records_mode_check():
    verdict = gate.start(HOSTS, ["c2"], {"c1": rec("failed", 1)}, 0, check_mode=True)
    assert verdict["untouched_record"]["mode"] == "check"


def test_end_stops_when_failures_pass_the_threshold():
    records = {"c1": rec("installed", 1), "c2": rec("failed", 2, "E40002 INSUFFICIENT_NODE", "extension"),
               "c3": rec("installed", 2)}
    verdict = gate.end(HOSTS, ["c2", "c3"], records, 25)
    assert verdict["stop"] is True and verdict["failed_hosts"] == ["c2"] and verdict["failed_percent"] == 50.0
    assert verdict["remaining"] == ["c4", "c5", "c6"] and verdict["stopped_at_wave"] == 2
    assert "Rollout stopped at wave 2" in verdict["msg"]
    assert "c2 (extension: E40002 INSUFFICIENT_NODE)" in verdict["msg"]
    assert "3 cluster(s) are left untouched: c4, c5, c6" in verdict["msg"]


def test_end_threshold_must_be_passed_not_reached():
    records = {"c1": rec("failed", 1), "c2": rec("installed", 1)}
    assert gate.end(HOSTS, ["c1", "c2"], records, 50)["stop"] is False
    assert gate.end(HOSTS, ["c1", "c2"], records, 49.9)["stop"] is True


def test_zero_threshold_stops_at_the_first_failure_and_hundred_never():
    records = {"c1": rec("failed", 1)}
    assert gate.end(HOSTS, ["c1"], records, 0)["stop"] is True
    assert gate.end(HOSTS, ["c1"], records, 100)["stop"] is False


def test_unchanged_updated_would_change_are_not_failures():
    outcomes = ["unchanged", "updated", "installed", "would_change", "untouched", "unchanged"]
    records = {h: rec(o, 1) for h, o in zip(HOSTS, outcomes)}
    verdict = gate.end(HOSTS, HOSTS, records, 0)
    assert verdict["failed_hosts"] == [] and verdict["stop"] is False and verdict["remaining"] == []
    assert "the rollout is complete" in verdict["msg"]


def test_a_host_without_a_record_counts_as_failed():
    verdict = gate.end(HOSTS, ["c1"], {}, 0)
    assert verdict["failed_hosts"] == ["c1"] and verdict["stop"] is True
    assert gate.NO_RECORD_REASON in verdict["msg"]


def test_last_wave_failing_stops_with_nothing_left():
    records = {"c1": rec("installed", 1), "c2": rec("failed", 2)}
    verdict = gate.end(["c1", "c2"], ["c2"], records, 0)
    assert verdict["stop"] and verdict["remaining"] == []
    assert "No cluster was left untouched" in verdict["msg"]


def test_end_after_an_earlier_stop_does_not_stop_again():
    records = {"c1": rec("failed", 1), "c2": rec("untouched", 2)}
    verdict = gate.end(HOSTS, ["c2"], records, 0)
    assert verdict["stop"] is False and verdict["stopped_at_wave"] == 1 and verdict["failed_hosts"] == []


def test_rerun_after_the_fix_resumes():
    # A fresh run: no records yet; the fixed canary converges; the next wave proceeds.
    records = {"c1": rec("unchanged", 1)}
    assert gate.end(HOSTS, ["c1"], records, 0)["stop"] is False
    assert gate.start(HOSTS, ["c2"], records, 0)["proceed"] is True


@pytest.mark.parametrize("bad", [None, "x", [], {"wave": "one"}, {"wave": None}, {"wave": False}])
def test_wave_of_odd_records(bad):
    assert gate._wave_of(bad) is None


def test_a_wave_templated_into_a_string_still_counts():
    assert gate._wave_of({"wave": "2"}) == 2


# ---- the action plugin over task vars ---------------------------------------------------------------------


def _action(args, check_mode=False):
    task = mock.MagicMock()
    task.args = args
    task.async_val = 0
    play_context = mock.MagicMock()
    play_context.check_mode = check_mode
    return gate.ActionModule(task, mock.MagicMock(), play_context, loader=None, templar=None, shared_loader_obj=None)


def _vars(records, play_hosts, batch):
    return {"ansible_play_hosts_all": play_hosts, "ansible_play_batch": batch,
            "hostvars": {h: ({"aml_run_record": r} if r is not None else {}) for h, r in records.items()}}


def test_action_start_reads_hostvars_and_warns_when_stopped():
    records = {"c1": rec("failed", 1), "c2": None, "c3": None}
    result = _action({"phase": "start", "scenario": "poc"}).run(task_vars=_vars(records, ["c1", "c2", "c3"], ["c2", "c3"]))
    assert result["proceed"] is False and result["wave"] == 2 and result["changed"] is False
    assert result["untouched_record"]["scenario"] == "poc"
    assert any("stopped at wave 1" in w for w in result["warnings"])


def test_action_end_counts_the_given_batch_even_when_a_host_left_the_play_batch():
    records = {"c1": rec("installed", 1), "c2": None}
    result = _action({"phase": "end", "batch": ["c1", "c2"], "max_failures_percent": 0}).run(
        task_vars=_vars(records, ["c1", "c2", "c3"], ["c1"]))
    assert result["stop"] is True and result["failed_hosts"] == ["c2"] and result["remaining"] == ["c3"]
    assert any("Rollout stopped at wave 1" in w for w in result["warnings"])


def test_action_refuses_a_threshold_out_of_range():
    with pytest.raises(AnsibleActionFail, match="rollout_max_failures_percent"):
        _action({"phase": "end", "max_failures_percent": 150}).run(task_vars=_vars({}, ["c1"], ["c1"]))


def test_every_returned_key_is_documented():
    import yaml

    from ansible_collections.azureml.kubernetes.plugins.modules import aml_rollout_gate as stub

    documented = set(yaml.safe_load(stub.RETURN))
    options = set(yaml.safe_load(stub.DOCUMENTATION)["options"])
    assert options == set(gate.ARGUMENT_SPEC)
    records = {"c1": rec("failed", 1)}
    for verdict in (gate.start(HOSTS, ["c2"], records, 0), gate.end(HOSTS, ["c1"], records, 0)):
        assert set(verdict) <= documented, set(verdict) - documented


def test_a_third_failed_is_above_a_threshold_of_33_33_percent():
    records = {"c1": rec("installed", 1), "c2": rec("failed", 2), "c3": rec("installed", 2), "c4": rec("installed", 2)}
    verdict = gate.end(HOSTS, ["c2", "c3", "c4"], records, 33.33)
    assert verdict["stop"] is True and verdict["failed_percent"] == 33.33


def test_a_host_that_broke_outside_the_rescue_keeps_the_stop_for_the_next_batch():
    # c3 failed in Ansible's sense in wave 2 (no record); c2 passed. The end gate stopped; the next start must too.
    records = {"c1": rec("installed", 1), "c2": rec("installed", 2)}
    assert gate.end(HOSTS, ["c2", "c3"], records, 0)["stop"] is True
    verdict = gate.start(HOSTS, ["c4", "c5", "c6"], records, 0)
    assert verdict["proceed"] is False and verdict["stopped_at_wave"] == 2
