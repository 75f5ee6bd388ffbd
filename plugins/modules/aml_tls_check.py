#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_tls_check
short_description: Check a TLS certificate and key for the Azure Machine Learning extension's inference endpoint
version_added: 0.2.0
description:
  - Judges a PEM certificate file (the server certificate first, then its chain) and its private key, given as files
    (O(certificate_file), O(private_key_file)) or inline (O(certificate_content), O(private_key_content)), with the same checker
    M(azureml.kubernetes.aml_extension) applies to C(sslCertPemFile)/C(sslKeyPemFile) before any write.
  - "A problem is reported for: no PEM certificate; a key protected by a passphrase (the extension does not support
    one) or not a usable PEM key; a key that does not match the server certificate, or that belongs to a later
    certificate of the file; a certificate of the chain expired or not yet valid (with its dates); a chain out of order
    (each certificate must be issued by the next one: issuer name and signature); an O(cname) that no DNS
    subjectAltName covers (a wildcard C(*.contoso.com) covers exactly one label - C(ml.contoso.com), not
    C(a.b.contoso.com) nor C(contoso.com); the common name counts only when there is no DNS subjectAltName)."
  - A caution is reported when the certificate expires within O(expiry_warning_days) days, and when it is named only
    by its common name.
  - With O(secret_name) it also reads that Secret (the extension's C(sslSecret)) from the cluster and judges it the
    same way - type C(Opaque), keys C(cert.pem) and C(key.pem), and their certificate - and says whether it holds the
    pair given. Without a pair it judges the Secret alone (for example to watch the installed certificate's expiry).
  - It never fails on a verdict (read RV(ok) and RV(problems)), and it never returns, logs or warns with key material,
    nor a PEM block.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - azureml.kubernetes.attributes.INFO_MODULE
options:
  certificate_file:
    description:
      - PEM file with the server certificate first, then its intermediates (and optionally the root), on the host
        running the module. Mutually exclusive with O(certificate_content).
    type: path
  certificate_content:
    description: The content of such a file. Mutually exclusive with O(certificate_file).
    type: str
  private_key_file:
    description: PEM file with the certificate's unencrypted private key. Mutually exclusive with O(private_key_content).
    type: path
  private_key_content:
    description: The content of such a file. Mutually exclusive with O(private_key_file).
    type: str
  cname:
    description: The host name clients use for the inference endpoint (the extension's C(sslCname)); it must be covered.
    type: str
  expiry_warning_days:
    description: Caution when the certificate expires within this many days; V(0) never.
    type: int
    default: 30
  secret_name:
    description: Also read and judge this Secret in O(namespace) (the extension's C(sslSecret)).
    type: str
  namespace:
    description: Namespace of O(secret_name).
    type: str
    default: azureml
  cluster_name:
    description: Name of the cluster, for messages.
    type: str
notes:
  - At least one of O(certificate_file), O(certificate_content) and O(secret_name) is required; a certificate needs its key.
  - The Kubernetes identity needs C(get) on the Secret (only with O(secret_name)). Kubernetes access goes through the
    client of C(kubernetes.core), so the usual O(kubeconfig), O(context) and E(K8S_AUTH_*) variables apply.
requirements:
  - cryptography
  - kubernetes >= 24.2.0 (Python client, only with O(secret_name))
seealso:
  - module: azureml.kubernetes.aml_tls_secret
  - module: azureml.kubernetes.aml_extension
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Check the certificate before using it
  azureml.kubernetes.aml_tls_check:
    certificate_file: files/ml.contoso.com-fullchain.pem
    private_key_file: files/ml.contoso.com-key.pem
    cname: ml.contoso.com
    expiry_warning_days: 21
  register: tls

- name: Refuse with what is wrong
  ansible.builtin.assert:
    that: tls.ok
    fail_msg: "{{ tls.problems | join('; ') }}"

- name: How long the installed certificate has left
  azureml.kubernetes.aml_tls_check:
    secret_name: azureml-tls
    cname: ml.contoso.com
    context: my-aks
  register: installed
"""

RETURN = r"""
ok:
  description: No problem was found in what was checked (the pair given, else the Secret).
  returned: always
  type: bool
source:
  description: What the top-level verdict is about - V(files), V(content) or V(secret).
  returned: always
  type: str
problems:
  description: Why it cannot be used, one sentence each, naming the option (or the Secret's key) and the fix.
  returned: always
  type: list
  elements: str
  sample: ["cname 'a.b.contoso.com' is not covered by the certificate in certificate_file (it names: *.contoso.com); ..."]
cautions:
  description: What works but needs attention (expiry within O(expiry_warning_days), a common name only); also
    given as warnings.
  returned: always
  type: list
  elements: str
subject:
  description: Subject of the server certificate (RFC 4514); null when none was read.
  returned: always
  type: str
  sample: CN=ml.contoso.com
issuer:
  description: Issuer of the server certificate.
  returned: always
  type: str
dns_names:
  description: The server certificate's DNS subjectAltNames.
  returned: always
  type: list
  elements: str
  sample: [ml.contoso.com, "*.apps.contoso.com"]
common_name:
  description: The server certificate's common name, or null.
  returned: always
  type: str
not_before:
  description: Start of validity (ISO 8601, UTC).
  returned: always
  type: str
  sample: "2026-11-30T09:00:00+00:00"
not_after:
  description: End of validity (ISO 8601, UTC).
  returned: always
  type: str
days_left:
  description: Whole days until RV(not_after); negative once expired.
  returned: always
  type: int
chain_length:
  description: Certificates in the file, the server certificate included.
  returned: always
  type: int
fingerprint_sha256:
  description: SHA-256 fingerprint of the server certificate, as C(openssl x509 -noout -fingerprint -sha256) shows it.
  returned: always
  type: str
secret:
  description: The verdict on O(secret_name); null without it.
  returned: always
  type: dict
  contains:
    name:
      description: O(secret_name).
      type: str
    namespace:
      description: O(namespace).
      type: str
    exists:
      description: The Secret exists.
      type: bool
    type:
      description: Its type (V(Opaque) expected).
      type: str
    data_keys:
      description: The keys of its data (names only).
      type: list
      elements: str
    certificate:
      description: Its C(cert.pem) - the same fields as at the top level (subject, issuer, dns_names, common_name,
        not_before, not_after, days_left, chain_length, fingerprint_sha256); null when it has none.
      type: dict
    matches:
      description: It holds exactly the pair given (null when no pair was given or it does not exist).
      type: bool
    problems:
      description: Its problems.
      type: list
      elements: str
    cautions:
      description: Its cautions.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.tls_check import (
    MUTUALLY_EXCLUSIVE,
    argument_spec,
    run,
)

ARGUMENT_SPEC = argument_spec(secret_name=dict(type="str", no_log=False))


def main() -> None:
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                      mutually_exclusive=MUTUALLY_EXCLUSIVE,
                      required_one_of=[("certificate_file", "certificate_content", "secret_name")]))


if __name__ == "__main__":
    main()
