#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done on the controller by the action plugin plugins/action/aml_fleet_report.py; this file holds its
# documentation, as collections do for action plugins.

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_fleet_report
short_description: Write the fleet report (one HTML page and a JSON file) of a run over many clusters
version_added: 0.2.0
description:
  - Reads, for every host of O(hosts) (by default the hosts of the pattern in variable C(aml_hosts), or C(all), within
    C(--limit) when one is given), its
    C(aml_run_record) and the roles' results (C(prerequisites_result), C(legacy_cleanup_result),
    C(authorized_ip_ranges_result), C(gpu_result), C(tls_result), C(extension_result), C(verify_result)) from
    C(hostvars), and writes one row per cluster. A host is a cluster when it has C(aml_cluster_name) or a run record;
    a cluster without a run record is C(untouched) (it never ran, or a rollout stopped before it).
  - "A row: cluster, type (AKS or Arc), region, subscription and resource group, scenario, outcome (C(installed),
    C(updated), C(unchanged), C(would_change), C(failed) or C(untouched)), wave, extension state and version, the
    public settings, the number of components ready (from C(verify_result)), the preflight warnings, the failed step
    with its reason and documented fix, and what changed or, in check mode, would change (settings before and after,
    version, missing components)."
  - "Summary counts by outcome, by scenario, by region and by cluster type, at the top of the page and in the JSON."
  - Writes C(aml-fleet-report.html) (self-contained - inline CSS and JavaScript, no external asset; the table sorts
    by a click on a header and filters by a text box and by outcome; the URL fragment, for example
    C(#outcome=failed&q=eastus&sort=cluster&dir=desc), sets the view) and C(aml-fleet-report.json) (the same summary
    and rows) in O(report_dir).
  - "Secrets are never written: the settings shown exclude every key the settings table marks secret and every
    protected key (listed by name only); the values of C(aml_extension_config_protected) and
    C(extension_config_protected), PEM blocks, connection strings' keys, SAS signatures, bearer tokens and JWTs are
    masked in every text."
  - When the data equals the report already in O(report_dir), nothing is written and the task reports no change.
  - It never fails on a cluster's outcome; read RV(failed_count). Playbook C(azureml.kubernetes.fleet_report) fails
    the run when a cluster failed.
extends_documentation_fragment:
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: Writes nothing; reports whether the report would change. The playbook runs it with C(check_mode=false).
  diff_mode:
    support: full
    details: Each cluster's outcome in the previous report and in this one.
  action:
    support: full
    description: Runs on the controller as an action plugin.
options:
  hosts:
    description:
      - Host names or patterns of the clusters to report. Default the pattern in variable C(aml_hosts), else C(all).
    type: list
    elements: str
  report_dir:
    description:
      - Directory of the two files, created when missing. A relative path is relative to the current directory
        of C(ansible-playbook).
    type: path
    default: aml-report
  title:
    description: "The page's title. Default C(Azure Machine Learning extension: fleet report)."
    type: str
    default: ""
notes:
  - The report is written on the controller; run it on C(localhost).
seealso:
  - name: Playbook fleet_report.yml
    description: Imported at the end of every scenario and fleet playbook (docs/playbooks/fleet_report.md).
    link: https://github.com/azureml-kubernetes/azureml.kubernetes/blob/main/docs/playbooks/fleet_report.md
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Fleet report
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the report
      azureml.kubernetes.aml_fleet_report:
        report_dir: /srv/ops/aml-report
      check_mode: false
      register: report

    - name: Where it is
      ansible.builtin.debug:
        msg: "{{ report.message }}"

    - name: Fail when a cluster failed
      ansible.builtin.fail:
        msg: "Failed: {{ report.failed_clusters | join(', ') }}"
      when: report.failed_count > 0
"""

RETURN = r"""
html:
  description: Absolute path of the HTML page.
  returned: always
  type: str
  sample: /srv/ops/aml-report/aml-fleet-report.html
json:
  description: Absolute path of the JSON file (keys C(generated_at), C(title), C(summary), C(rows)).
  returned: always
  type: str
  sample: /srv/ops/aml-report/aml-fleet-report.json
report_dir:
  description: Absolute path of O(report_dir).
  returned: always
  type: str
written:
  description: Whether the files were written by this task (false when unchanged or in check mode).
  returned: always
  type: bool
generated_at:
  description: UTC time the report in the files was generated (of the previous report when unchanged).
  returned: always
  type: str
  sample: "2026-12-01T12:30:00Z"
summary:
  description: The summary counts.
  returned: always
  type: dict
  contains:
    total:
      description: Clusters reported.
      type: int
    failed:
      description: Clusters whose outcome is C(failed).
      type: int
    by_outcome:
      description: Clusters by outcome; every outcome is listed, with zeros.
      type: dict
      sample: {installed: 15, updated: 0, unchanged: 1, would_change: 0, failed: 3, untouched: 1}
    by_scenario:
      description: "Per scenario: C(total) and the count of each outcome present."
      type: dict
      sample: {aks_production: {total: 20, installed: 15, failed: 3, unchanged: 1, untouched: 1}}
    by_region:
      description: "Per region: C(total) and the count of each outcome present."
      type: dict
    by_type:
      description: Clusters by type (C(AKS), C(Arc)).
      type: dict
    modes:
      description: The run modes seen (C(apply), C(check)).
      type: list
      elements: str
failed_count:
  description: Clusters whose outcome is C(failed).
  returned: always
  type: int
failed_clusters:
  description: Names of those clusters.
  returned: always
  type: list
  elements: str
message:
  description: The summary in one line and where the page is.
  returned: always
  type: str
  sample: "20 cluster(s): 15 installed, 1 unchanged, 3 failed, 1 untouched (skipped). Report: /srv/ops/aml-report/aml-fleet-report.html"
"""
