#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_resource_provider
short_description: Register an Azure resource provider namespace and wait until it is Registered
version_added: 0.2.0
description:
  - Registers a resource provider namespace in the subscription, for example C(Microsoft.KubernetesConfiguration)
    (which cluster extensions need), C(Microsoft.ContainerService), C(Microsoft.Kubernetes) or C(Microsoft.Relay),
    and waits within O(wait_timeout) until Azure reports C(Registered), polling quickly at first and then less often.
  - A namespace already C(Registered) is left alone (no write); one already C(Registering) is only waited for.
  - This is the registration logic M(azureml.kubernetes.aml_extension) uses (its C(register_provider) option).
extends_documentation_fragment:
  - azureml.kubernetes.azure
  - azureml.kubernetes.wait
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: Reads the registration state and reports whether it would register; sends nothing.
  diff_mode:
    support: full
    details: The registration state before and after.
options:
  namespace:
    description: The resource provider namespace, for example C(Microsoft.KubernetesConfiguration).
    type: str
    required: true
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Register the provider cluster extensions need
  azureml.kubernetes.aml_resource_provider:
    namespace: Microsoft.KubernetesConfiguration
    wait_timeout: 600

- name: Register the providers an Arc-enabled cluster needs
  azureml.kubernetes.aml_resource_provider:
    namespace: "{{ item }}"
  loop: [Microsoft.Kubernetes, Microsoft.KubernetesConfiguration, Microsoft.Relay]
"""

RETURN = r"""
namespace:
  description: The namespace, as given.
  returned: always
  type: str
  sample: Microsoft.KubernetesConfiguration
state_before:
  description: The registration state Azure reported before the task (C(NotRegistered), C(Registering), C(Registered), C(Unregistering)).
  returned: always
  type: str
  sample: NotRegistered
registration_state:
  description:
    - The registration state after the task - C(Registered) once waited for; C(Registering) with O(wait=false); in check
      mode the state before.
  returned: always
  type: str
  sample: Registered
"""

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.module import AzureModule, wait_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.resource_provider import run

ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    **wait_argument_spec(),
)


def main() -> None:
    run(AzureModule(ARGUMENT_SPEC))


if __name__ == "__main__":
    main()
