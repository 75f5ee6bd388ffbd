#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_tls_secret
short_description: Create or rotate the Azure Machine Learning extension's sslSecret
version_added: 0.2.0
description:
  - Puts a certificate (the server certificate first, then its chain) and its key into the Secret the extension's
    C(sslSecret) setting names, as the documentation describes it - type C(Opaque), keys C(cert.pem) (full chain) and
    C(key.pem), in namespace C(azureml) (created when missing).
  - The pair is checked first by the collection's certificate checker (as M(azureml.kubernetes.aml_tls_check) reports
    it); any problem fails the task naming the option and the fix, and nothing is written.
  - Idempotent - when the Secret already holds this pair (compared on its data, line endings aside) nothing is sent.
    A Secret holding another pair is rotated - C(cert.pem) and C(key.pem) are replaced by a merge patch carrying the
    resourceVersion read (any other key, label or annotation is kept) and RV(rotated) is true, so that the extension is
    told (M(azureml.kubernetes.aml_extension) update, as the documentation's rotation step says).
  - A Secret of another type is refused (Kubernetes cannot change a Secret's type), as is a namespace being deleted.
  - No result, diff, warning or message holds key material or a PEM block; the diff shows fingerprints.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: The writes go to the API server as server-side dry runs (admission and RBAC judge them, nothing is stored);
      when the namespace is missing only its creation is dry-run. The result predicts RV(created) and RV(rotated).
  diff_mode:
    support: full
    details: The namespace and the Secret before and after - type, key names, the certificate's SHA-256 fingerprint and
      each key's content digest; never PEM.
options:
  certificate_file:
    description: PEM file with the server certificate first, then its chain, on the host running the module.
      Mutually exclusive with O(certificate_content).
    type: path
  certificate_content:
    description: The content of such a file.
    type: str
  private_key_file:
    description: PEM file with the certificate's unencrypted private key. Mutually exclusive with O(private_key_content).
    type: path
  private_key_content:
    description: The content of such a file.
    type: str
  cname:
    description: The host name clients use for the inference endpoint (C(sslCname)); refused unless the certificate
      covers it.
    type: str
  expiry_warning_days:
    description: Warn when the certificate expires within this many days; V(0) never.
    type: int
    default: 30
  secret_name:
    description: Name of the Secret (the extension's C(sslSecret) setting).
    type: str
    required: true
  namespace:
    description: Namespace of the Secret; the extension reads it from C(azureml).
    type: str
    default: azureml
  cluster_name:
    description: Name of the cluster, for messages.
    type: str
notes:
  - One of O(certificate_file) and O(certificate_content), and one of O(private_key_file) and O(private_key_content), are required.
  - The Kubernetes identity needs C(get), C(create) and C(patch) on secrets in O(namespace), and C(get) (and C(create)
    when it is missing) on the namespace. Kubernetes access goes through the client of C(kubernetes.core), so the usual
    O(kubeconfig), O(context) and E(K8S_AUTH_*) variables apply.
  - Use C(no_log) on the task when the key is given inline; the module masks it in its own output, but the task's
    arguments are Ansible's to show.
requirements:
  - cryptography
  - kubernetes >= 24.2.0 (Python client)
seealso:
  - module: azureml.kubernetes.aml_tls_check
  - module: azureml.kubernetes.aml_extension
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: The inference endpoint's certificate
  azureml.kubernetes.aml_tls_secret:
    certificate_file: files/ml.contoso.com-fullchain.pem
    private_key_file: files/ml.contoso.com-key.pem
    cname: ml.contoso.com
    secret_name: azureml-tls
    context: my-aks
  no_log: true
  register: tls_secret

- name: Tell the extension about a new certificate
  azureml.kubernetes.aml_extension:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
    config:
      enableInference: true
      inferenceRouterServiceType: LoadBalancer
      sslSecret: "{{ tls_secret.secret_name }}"
      sslCname: ml.contoso.com
  when: tls_secret.rotated
"""

RETURN = r"""
secret_name:
  description: O(secret_name).
  returned: always
  type: str
namespace:
  description: O(namespace).
  returned: always
  type: str
created:
  description: The Secret was created (in check mode, would be).
  returned: always
  type: bool
rotated:
  description: The Secret held another pair and now holds this one (in check mode, would); the extension must be updated.
  returned: always
  type: bool
namespace_created:
  description: The namespace was created (in check mode, would be).
  returned: always
  type: bool
fingerprint_sha256:
  description: SHA-256 fingerprint of the server certificate now in the Secret.
  returned: always
  type: str
previous_fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate the Secret held before; null when it did not exist.
  returned: always
  type: str
ok:
  description: The pair passed the checker (a task that returns always has V(true); a refusal fails).
  returned: always
  type: bool
problems:
  description: Why the pair was refused (also in the failure message).
  returned: always
  type: list
  elements: str
cautions:
  description: What works but needs attention (near expiry, common name only); also given as warnings.
  returned: always
  type: list
  elements: str
subject:
  description: Subject of the server certificate.
  returned: always
  type: str
issuer:
  description: Its issuer.
  returned: always
  type: str
dns_names:
  description: Its DNS subjectAltNames.
  returned: always
  type: list
  elements: str
common_name:
  description: Its common name, or null.
  returned: always
  type: str
not_before:
  description: Start of validity (ISO 8601, UTC).
  returned: always
  type: str
not_after:
  description: End of validity (ISO 8601, UTC).
  returned: always
  type: str
days_left:
  description: Whole days until RV(not_after).
  returned: always
  type: int
chain_length:
  description: Certificates in C(cert.pem), the server certificate included.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.tls_check import (
    MUTUALLY_EXCLUSIVE,
    argument_spec,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.tls_secret import run

ARGUMENT_SPEC = argument_spec(secret_name=dict(type="str", required=True, no_log=False))


def main() -> None:
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                      mutually_exclusive=MUTUALLY_EXCLUSIVE,
                      required_one_of=[("certificate_file", "certificate_content"), ("private_key_file", "private_key_content")]))


if __name__ == "__main__":
    main()
