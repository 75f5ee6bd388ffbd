#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_legacy_cleanup
short_description: Back up and remove the azureml-fe v1 resources before installing the Azure Machine Learning extension
version_added: 0.2.0
description:
  - Finds the eight resources an AzureML v1 inference router leaves in a cluster, as the documentation lists them
    (v1 "Delete azureml-fe related resources", and the troubleshooting page) - ServiceAccount C(azureml-fe),
    ClusterRole C(azureml-fe-role) and ClusterRoleBinding C(azureml-fe-binding) (both cluster-scoped), Services
    C(azureml-fe) and C(azureml-fe-int-http), Deployment C(azureml-fe), Secret C(azuremlfessl) and ConfigMap
    C(azuremlfeconfig). Left in place they fail the extension's health check with C(E45004 AZUREML_FE_ROLE_CONFLICT) or
    C(E45005 AZUREML_FE_DEPLOYMENT_CONFLICT).
  - Refuses, removing nothing, while a v1 service still serves, that is while the C(azureml-fe) Deployment has ready
    replicas or either v1 Service has a ready endpoint in its EndpointSlices (O(force) overrides).
  - Otherwise writes every object found to one multi-document YAML file in O(backup_dir), with what the API server set
    (status, uid, resourceVersion, managedFields, allocated cluster IPs, ...) left out, so that C(kubectl apply -f)
    restores them; then deletes each, with its uid and resourceVersion as preconditions, so that an object changed since
    it was backed up is not deleted. The module runs where Ansible runs (give the host C(ansible_connection=local)), so
    the backup is on the controller.
  - The backup holds the Secret C(azuremlfessl) (the v1 router's certificate and private key), so it is created with
    mode C(0600) and never overwrites a file. No object's content appears in the result, the diff or a message.
  - A second run finds nothing and reports no change.
  - The Kubernetes identity needs C(get) and C(delete) on the eight objects and C(list) on C(endpointslices)
    (C(discovery.k8s.io)) in O(namespace).
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: Reads only; reports what would be backed up and deleted, and where the backup would go. No file is written.
  diff_mode:
    support: partial
    details: The objects that go, by kind, namespace and name; never their content.
options:
  cluster_name:
    description: Name of the cluster, for the backup's file name and for messages.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the namespaced v1 resources. The documentation's commands pass no C(-n), so the kubeconfig's
        namespace applies, normally C(default).
    type: str
    default: default
  backup_dir:
    description:
      - Directory of the backup, created (mode C(0700)) if missing. The file is
        C(<cluster_name>-azureml-fe-v1-<UTC time>.yaml), mode C(0600).
    type: path
    required: true
  force:
    description: Remove the v1 resources even while the v1 router still serves (a backup is still written first).
    type: bool
    default: false
notes:
  - Kubernetes access goes through the client of C(kubernetes.core), so the usual O(kubeconfig), O(context) and
    E(K8S_AUTH_*) variables apply.
  - To restore, C(kubectl --context <context> apply -f <backup_file>).
requirements:
  - kubernetes >= 24.2.0 (Python client)
seealso:
  - module: azureml.kubernetes.aml_extension
  - module: kubernetes.core.k8s
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Remove the azureml-fe v1 leftovers, keeping a backup on the controller
  azureml.kubernetes.aml_legacy_cleanup:
    cluster_name: my-aks
    context: my-aks
    backup_dir: "{{ playbook_dir }}/backups"
  register: cleanup

- name: See what would go, writing nothing
  azureml.kubernetes.aml_legacy_cleanup:
    cluster_name: my-aks
    context: my-aks
    backup_dir: "{{ playbook_dir }}/backups"
  check_mode: true
"""

RETURN = r"""
found:
  description: The v1 resources present (and not already being deleted), in restore order.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Object kind.
      type: str
      sample: Secret
    api_version:
      description: Object apiVersion.
      type: str
      sample: v1
    name:
      description: Object name.
      type: str
      sample: azuremlfessl
    namespace:
      description: Object namespace; null for the cluster-scoped ClusterRole and ClusterRoleBinding.
      type: str
      sample: default
terminating:
  description: v1 resources already being deleted (a deletionTimestamp set); neither backed up nor deleted again.
  returned: always
  type: list
  elements: dict
removed:
  description: The v1 resources deleted, in the order they were deleted (in check mode, those that would be). Same
    shape as RV(found).
  returned: always
  type: list
  elements: dict
serving:
  description: Why the v1 router still serves, one sentence per sign (ready replicas, ready endpoints); empty when idle.
  returned: always
  type: list
  elements: str
  sample: ["Deployment default/azureml-fe has 1 ready replica(s)"]
refused:
  description: The cleanup was refused because the v1 router still serves (the task fails).
  returned: always
  type: bool
refused_reason:
  description: Why it was refused, and what to do; null otherwise.
  returned: always
  type: str
backup_file:
  description:
    - Path of the backup on the controller; null when nothing was to be removed.
    - In check mode, the path it would have; the file is not written (see RV(backup_written)).
  returned: always
  type: str
  sample: /home/me/backups/my-aks-azureml-fe-v1-20261201T091500Z.yaml
backup_written:
  description: The backup file was written (false in check mode and when nothing was found).
  returned: always
  type: bool
backup_mode:
  description: Permissions of the backup file, V(0600) (it holds the Secret's certificate and key); null without one.
  returned: always
  type: str
message:
  description: One sentence saying what was (or would be) done.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import auth_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.legacy_cleanup import run

ARGUMENT_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    namespace=dict(type="str", default="default"),
    backup_dir=dict(type="path", required=True),
    force=dict(type="bool", default=False),
    **auth_argument_spec(),
)


def main() -> None:
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True))


if __name__ == "__main__":
    main()
