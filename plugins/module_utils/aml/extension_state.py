# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired versus current extension: what to send, and the diff to show (pure).

Bodies are the ARM REST JSON the module sends as-is (never SDK models, whose constructors default
`autoUpgradeMinorVersion=True, releaseTrain=Stable` and would silently change an extension).
Comparison goes through `settings_table.settings_equal`, which compares by each key's declared type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.health_checks import health_check_hints
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import is_default, settings_equal

MASK = "********"  # what a protected value looks like in a diff
# The rule ARM applies to Microsoft.KubernetesConfiguration/extensions names (the name also becomes the Helm
# release and Kubernetes object names in the cluster, which allow no '_'): 1 to 253 characters, letters, digits,
# '-' and '.', starting and ending with a letter or digit. The sandbox answers ARM's 400 InvalidResourceName
# by the same rule.
EXTENSION_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9]([-.a-zA-Z0-9]{0,251}[a-zA-Z0-9])?$")
EXTENSION_NAME_RULE = "1 to 253 characters: letters, digits, '-' and '.', starting and ending with a letter or digit"
AML_EXTENSION_TYPE = "Microsoft.AzureML.Kubernetes"
RELEASE_NAMESPACE = "azureml"


@dataclass(frozen=True)
class DesiredExtension:
    """What the user asked for, after settings processing."""

    cluster_type: str
    settings: dict[str, str]
    protected: dict[str, str] = field(repr=False)  # secrets: never in a repr or a traceback
    release_train: str | None = None
    version: str | None = None
    auto_upgrade_minor_version: bool | None = None
    extension_type: str = AML_EXTENSION_TYPE
    release_namespace: str = RELEASE_NAMESPACE


@dataclass
class Plan:
    """The outcome of comparing desired and current."""

    action: str  # create | update | none (| delete, for state=absent)
    body: dict[str, Any] | None = None
    changed_settings: list[str] = field(default_factory=list)
    changed_properties: list[str] = field(default_factory=list)
    sends_protected: bool = False
    reasons: list[str] = field(default_factory=list)


def extension_name_problem(name: str) -> str | None:
    """Why ARM would refuse this extension name (its rule named), or None for a valid name."""
    if EXTENSION_NAME_PATTERN.fullmatch(name or ""):
        return None
    return (f"name {name!r} is not a valid extension name: Azure Resource Manager accepts {EXTENSION_NAME_RULE} "
            f"(pattern {EXTENSION_NAME_PATTERN.pattern}). Choose another name, e.g. azureml.")


# Provisioning states of an operation still running in Azure (another run's, or one left by wait: false).
IN_PROGRESS = frozenset({"creating", "updating", "deleting", "accepted", "provisioning"})


def provisioning_state(resource: dict[str, Any] | None) -> str:
    return (_props(resource).get("provisioningState") or "").lower()


def current_settings(resource: dict[str, Any] | None) -> dict[str, Any]:
    """The public settings of an extension on Azure (empty when there is none)."""
    return dict(_props(resource).get("configurationSettings") or {})


def failure(resource: dict[str, Any] | None) -> tuple[str, list[str]] | None:
    """For a Failed extension: what Azure reported (errorInfo, statuses) and the health-check hints; else None."""
    view = extension_view(resource)
    if (view.get("provisioning_state") or "").lower() != "failed":
        return None
    error_info = view.get("error_info") or {}
    texts = [f"{error_info.get('code')}: {error_info.get('message')}" if error_info else ""]
    texts += [f"{s.get('code')}: {s.get('message')}" for s in view["statuses"]]
    return "; ".join(t for t in texts if t), health_check_hints(*texts)


def _props(current: dict[str, Any] | None) -> dict[str, Any]:
    return (current or {}).get("properties") or {}


def create_body(desired: DesiredExtension) -> dict[str, Any]:
    """The PUT body of a new extension (the same shape az k8s-extension create sends)."""
    properties: dict[str, Any] = {
        "extensionType": desired.extension_type,
        "autoUpgradeMinorVersion": desired.auto_upgrade_minor_version
        if desired.auto_upgrade_minor_version is not None else desired.version is None,
        "releaseTrain": desired.release_train or "stable",
        "scope": {"cluster": {"releaseNamespace": desired.release_namespace}},
        "configurationSettings": dict(desired.settings),
        "configurationProtectedSettings": dict(desired.protected),
    }
    if desired.version:
        properties["version"] = desired.version
    body: dict[str, Any] = {"properties": properties}
    # Arc-enabled clusters give the extension a system-assigned identity; AKS does not take one.
    if desired.cluster_type == "connectedClusters":
        body["identity"] = {"type": "SystemAssigned"}
    return body


def immutable_conflicts(desired: DesiredExtension, current: dict[str, Any]) -> list[str]:
    """Properties Azure cannot change in place: each needs a delete and a new create."""
    props = _props(current)
    problems = []
    current_type = props.get("extensionType") or ""
    # ARM resource type names are case-insensitive by definition, so this compare is the service's own.
    if current_type.lower() != desired.extension_type.lower():
        problems.append(f"the extension is of type {current_type!r}, not {desired.extension_type!r}")
    scope = props.get("scope") or {}
    if "namespace" in scope and scope["namespace"]:
        problems.append("the extension has namespace scope; Azure Machine Learning needs cluster scope")
    cluster_scope = scope.get("cluster") or {}
    namespace = cluster_scope.get("releaseNamespace")
    if namespace and namespace != desired.release_namespace:
        problems.append(f"the extension is released into namespace {namespace!r}, not {desired.release_namespace!r}")
    return problems


def changed_settings(desired: dict[str, str], current: dict[str, str]) -> list[str]:
    """Desired keys whose current value differs; an absent key holds its default.

    Keys only in current are kept by Azure, not removed.
    """
    return sorted(k for k, v in desired.items()
                  if not (settings_equal(k, v, current[k]) if k in current else is_default(k, v)))


def protected_goes(desired: DesiredExtension, current: dict[str, Any] | None, resend: bool) -> bool:
    """Whether the protected settings go with the write: on create, when `resend` (update_protected says so), or
    to retry a Failed extension, which is applied again completely. Never an empty map to an existing extension.
    """
    if current is None:
        return True
    return bool(desired.protected) and (resend or provisioning_state(current) == "failed")


FORCE_REASON = "force_update: the settings are sent again although they compare equal"


def plan(desired: DesiredExtension, current: dict[str, Any] | None, *, resend_protected: bool,
         force: bool = False) -> Plan:
    """Decide create, update or nothing, and build the body to send.

    ``force`` (force_update) makes an existing extension an update even when nothing differs: every desired
    setting goes again (as for a Failed extension), so the agent applies them again and re-reads what they name,
    for example the Secret ``sslSecret`` names after its pair was rotated.
    """
    if current is None:
        return Plan("create", create_body(desired), sorted(desired.settings), [], bool(desired.protected),
                    ["the extension does not exist"])
    props = _props(current)
    settings_diff = changed_settings(desired.settings, props.get("configurationSettings") or {})
    property_diff = []
    if desired.release_train is not None and (props.get("releaseTrain") or "").lower() != desired.release_train.lower():
        property_diff.append("releaseTrain")
    if desired.version is not None and props.get("version") != desired.version:
        property_diff.append("version")
    if (desired.auto_upgrade_minor_version is not None
            and bool(props.get("autoUpgradeMinorVersion")) != desired.auto_upgrade_minor_version):
        property_diff.append("autoUpgradeMinorVersion")
    failed = provisioning_state(current) == "failed"
    send_protected = protected_goes(desired, current, resend_protected)
    reasons = []
    if settings_diff:
        reasons.append("settings differ: " + ", ".join(settings_diff))
    if property_diff:
        reasons.append("properties differ: " + ", ".join(property_diff))
    if send_protected and resend_protected:
        reasons.append("the protected settings are sent again")
    if failed:
        # A failed install is retried by sending everything again, as a rerun of the playbook intends.
        reasons.append("the extension is in the Failed state: applying the settings again")
    if force and not failed:
        reasons.append(FORCE_REASON)
    if not reasons:
        return Plan("none")
    body = patch_body(desired, current, settings_diff, send_protected=send_protected, retry=failed or force)
    return Plan("update", body, settings_diff, property_diff, send_protected, reasons)


def patch_body(desired: DesiredExtension, current: dict[str, Any], changed: list[str], *, send_protected: bool,
               retry: bool = False) -> dict[str, Any]:
    """The PATCH body: changed settings (every setting with ``retry``) plus the current upgrade properties, passed
    explicitly.

    A PATCH replaces the whole protected map, so protected settings go complete or not at all.
    """
    props = _props(current)
    settings = dict(desired.settings) if retry else {k: desired.settings[k] for k in changed}
    properties: dict[str, Any] = {
        "autoUpgradeMinorVersion": desired.auto_upgrade_minor_version
        if desired.auto_upgrade_minor_version is not None else props.get("autoUpgradeMinorVersion"),
        "releaseTrain": desired.release_train if desired.release_train is not None else props.get("releaseTrain"),
    }
    version = desired.version if desired.version is not None else props.get("version")
    if version and not properties["autoUpgradeMinorVersion"]:
        properties["version"] = version
    elif properties["autoUpgradeMinorVersion"] and props.get("version"):
        properties["version"] = None  # unpinning: Azure refuses a version together with auto-upgrade
    if settings:
        properties["configurationSettings"] = settings
    if send_protected:
        properties["configurationProtectedSettings"] = dict(desired.protected)
    return {"properties": properties}


def extension_view(resource: dict[str, Any] | None) -> dict[str, Any]:
    """The extension as the modules return it (snake_case, no protected values: Azure returns none)."""
    if not resource:
        return {}
    props = _props(resource)
    return {
        "id": resource.get("id"),
        "name": resource.get("name"),
        "type": resource.get("type"),
        "extension_type": props.get("extensionType"),
        "provisioning_state": props.get("provisioningState"),
        "version": props.get("version"),
        "current_version": props.get("currentVersion"),
        "release_train": props.get("releaseTrain"),
        "auto_upgrade_minor_version": props.get("autoUpgradeMinorVersion"),
        "release_namespace": ((props.get("scope") or {}).get("cluster") or {}).get("releaseNamespace"),
        "settings": dict(props.get("configurationSettings") or {}),
        "statuses": list(props.get("statuses") or []),
        "error_info": props.get("errorInfo"),
        "identity": resource.get("identity"),
    }


def diff_view(resource_or_desired: dict[str, Any] | DesiredExtension | None,
              protected_keys: list[str] | None = None) -> dict[str, Any]:
    """One side of the diff: properties, settings, and protected keys with their values masked."""
    if resource_or_desired is None:
        return {}
    if isinstance(resource_or_desired, DesiredExtension):
        d = resource_or_desired
        return {
            "extension_type": d.extension_type,
            "release_train": d.release_train,
            "version": d.version,
            "auto_upgrade_minor_version": d.auto_upgrade_minor_version,
            "settings": dict(sorted(d.settings.items())),
            "protected_settings": {k: MASK for k in sorted(d.protected)},
        }
    view = extension_view(resource_or_desired)
    return {
        "extension_type": view["extension_type"],
        "release_train": view["release_train"],
        "version": view["version"],
        "auto_upgrade_minor_version": view["auto_upgrade_minor_version"],
        "settings": dict(sorted(view["settings"].items())),
        "protected_settings": {k: MASK for k in sorted(protected_keys or [])},
    }


def expected_after(current: dict[str, Any] | None, body: dict[str, Any]) -> dict[str, Any]:
    """What the extension will look like once Azure applies a body (for check mode's diff)."""
    after = {"properties": dict(_props(current))}
    for key, value in (body.get("properties") or {}).items():
        if key == "configurationSettings":
            merged = dict(after["properties"].get("configurationSettings") or {})
            merged.update(value)
            after["properties"][key] = merged
        elif key != "configurationProtectedSettings":
            after["properties"][key] = value
    return after
