#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin plugins/action/aml_rollout_gate.py, which does the work on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_rollout_gate
short_description: The wave gate of a fleet rollout of the Azure Machine Learning extension
version_added: 0.2.0
description:
  - Decides, between the batches (C(serial)) of a rollout, whether it goes on, from the C(aml_run_record) fact each
    cluster's converge tasks leave (see C(playbooks/fleet_rollout.yml)). It keeps no state of its own; the waves come
    from the C(wave) each earlier batch's records carry.
  - With O(phase=start) (before a batch) it returns the batch's wave number (RV(wave)) and whether the rollout goes on
    (RV(proceed)); when an earlier wave's failures passed O(max_failures_percent), RV(untouched_record) is the run record
    each host of the batch takes instead of being changed (outcome C(untouched), with the wave the rollout stopped at).
  - With O(phase=end) (after a batch) it counts the batch's failed clusters (outcome C(failed), or no record at all)
    and returns RV(stop) when their share is strictly above O(max_failures_percent) (as Ansible's
    C(max_fail_percentage)), with a message naming the failed clusters, their failed step and reason, and how many
    clusters are left untouched. A stop is also a warning.
  - It never fails a host; failing the run is the fleet report's job.
  - Run it with C(run_once=true) in a play with C(serial).
options:
  phase:
    description: V(start) before the batch's tasks, V(end) after them.
    type: str
    required: true
    choices: [start, end]
  max_failures_percent:
    description:
      - The share of a wave's clusters that may fail before the rollout stops; it must be passed, so V(0) stops at the
        first failure and V(100) never stops.
    type: float
    default: 0
  batch:
    description:
      - The hosts of this batch. Defaults to C(ansible_play_batch); pass the start gate's RV(batch) to the end gate, so a
        host that failed outside its rescue (and left the batch) still counts as failed.
    type: list
    elements: str
  hosts:
    description: Every host of the rollout, in order. Defaults to C(ansible_play_hosts_all).
    type: list
    elements: str
  scenario:
    description: The scenario name written into RV(untouched_record).
    type: str
    default: ""
extends_documentation_fragment:
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: It reads facts only; in check mode the untouched record says mode C(check).
  diff_mode:
    support: none
  action:
    support: full
    description: Runs on the controller as an action plugin.
seealso:
  - module: azureml.kubernetes.aml_extension
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Roll out in waves
  hosts: aml_clusters
  serial: [1, "20%", "100%"]
  gather_facts: false
  tasks:
    - name: Gate before the wave
      azureml.kubernetes.aml_rollout_gate:
        phase: start
        max_failures_percent: 10
      run_once: true
      register: gate

    - name: Converge (sets aml_run_record)
      ansible.builtin.include_tasks: tasks/converge.yml
      when: gate.proceed

    - name: Gate after the wave
      azureml.kubernetes.aml_rollout_gate:
        phase: end
        batch: "{{ gate.batch }}"
        max_failures_percent: 10
      run_once: true
      when: gate.proceed
"""

RETURN = r"""
phase:
  description: The phase asked for.
  returned: always
  type: str
wave:
  description: This batch's wave number (1 for the first batch).
  returned: always
  type: int
  sample: 2
batch:
  description: The hosts of this batch.
  returned: always
  type: list
  elements: str
proceed:
  description: The rollout goes on with this batch (no earlier wave passed the threshold).
  returned: phase is start
  type: bool
stopped_at_wave:
  description: The wave after which the rollout stopped, or null.
  returned: always
  type: int
untouched_record:
  description: The aml_run_record for each host of a batch the rollout did not reach (outcome C(untouched)), or null.
  returned: phase is start
  type: dict
size:
  description: The number of clusters in the batch.
  returned: phase is end
  type: int
failed_hosts:
  description: The batch's failed clusters.
  returned: phase is end
  type: list
  elements: str
failed_percent:
  description: Their share of the batch, in percent.
  returned: phase is end
  type: float
stop:
  description: The batch's failures passed the threshold; later batches are left untouched.
  returned: phase is end
  type: bool
remaining:
  description: The hosts after this batch (untouched when RV(stop)).
  returned: phase is end
  type: list
  elements: str
max_failures_percent:
  description: The threshold applied.
  returned: always
  type: float
msg:
  description: One line for people.
  returned: always
  type: str
  sample: "Rollout stopped at wave 1. Wave 1: 1 of 1 cluster(s) failed (100%, threshold 0%): aks-7 (prerequisites: ...). 4 cluster(s) are left untouched: ..."
"""
