# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_resource_provider``: register a resource provider namespace and wait for ``Registered``.

``decide(state, check_mode)`` is pure: from the registration state Azure reports it says what to do
(nothing, register, or only wait for a registration already under way). ``apply()`` does it through
``services/providers`` (the one registration logic, which ``aml_extension`` uses too), within wait_timeout.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.providers import Providers

REGISTERED = "Registered"


def decide(state: str, *, wait: bool = True) -> dict[str, Any]:
    """What to do about a provider in ``state``: {register, wait, changed, after}."""
    current = state or "NotRegistered"
    if current.lower() == REGISTERED.lower():
        return {"register": False, "wait": False, "changed": False, "after": REGISTERED}
    if current.lower() == "registering":  # someone else's registration: only wait for it
        return {"register": False, "wait": wait, "changed": False, "after": REGISTERED if wait else current}
    return {"register": True, "wait": wait, "changed": True, "after": REGISTERED if wait else "Registering"}


def apply(azure: Any, providers: Providers | None = None) -> dict[str, Any]:
    p = azure.params
    namespace = p["namespace"].strip()
    if not namespace or "/" in namespace:
        azure.fail(f"namespace must be a resource provider namespace such as Microsoft.KubernetesConfiguration, "
                   f"not {p['namespace']!r}.")
    providers = providers or Providers(azure)
    try:
        before = providers.state(namespace)
        plan = decide(before, wait=p["wait"])
        if not azure.check_mode:
            if plan["register"]:
                providers.register(namespace, wait=plan["wait"])
            elif plan["wait"]:
                providers.wait(namespace)
    except CollectionError as exc:
        azure.fail_error(exc, namespace=namespace)
    result: dict[str, Any] = dict(changed=plan["changed"], namespace=namespace, state_before=before,
                                  registration_state=plan["after"] if not azure.check_mode or not plan["changed"]
                                  else before)
    if azure.check_mode and plan["changed"]:
        result["msg"] = f"{namespace} is {before}: it would be registered."
    if azure.diff_mode:
        result["diff"] = {"before": {"namespace": namespace, "registrationState": before},
                          "after": {"namespace": namespace, "registrationState": plan["after"]}}
    return result


def run(azure: Any) -> NoReturn:
    azure.exit(**apply(azure))
