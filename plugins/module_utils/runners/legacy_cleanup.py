# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_legacy_cleanup``: back up, then delete, the azureml-fe v1 resources of one cluster.

``decide(found, slices, namespace, force)`` is pure: the objects read (``aml/legacy.RESOURCES``) and the
EndpointSlices of the namespace into a plan (what was found, whether the v1 router still serves and so
the cleanup is refused, what goes, in which order, and the documents of the backup). ``apply()`` does the
I/O: it reads through ``kube.Kube``, writes the backup file (mode 0600, never overwriting one), then
deletes each object with its uid and resourceVersion as preconditions, so an object changed since it was
backed up is not deleted. No object's content (the Secret's certificate and key above all) appears in
the result, the diff or a message: only kinds, names and namespaces.
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any, Callable, Mapping, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import legacy
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import Kube, KubeError, sensitive_values

BACKUP_MODE = 0o600
DIR_MODE = 0o700


# --- pure
def decide(found: Mapping[str, Mapping[str, Any] | None], slices: list[Mapping[str, Any]], namespace: str,
           force: bool = False) -> dict[str, Any]:
    """The plan. ``found`` maps ``legacy.label(resource, namespace)`` to the object read (None: absent)."""
    present = [r for r in legacy.RESOURCES if found.get(legacy.label(r, namespace)) is not None]
    terminating = [r for r in present if legacy.is_terminating(found[legacy.label(r, namespace)])]
    live = [r for r in present if r not in terminating]
    reasons = legacy.serving({legacy.label(r, namespace): found[legacy.label(r, namespace)] for r in live},
                             slices, namespace)
    refused = None
    if reasons and not force:
        refused = (f"The azureml-fe v1 router in namespace {namespace} still serves: {'; '.join(reasons)}. Nothing was "
                   "removed. Move the v1 web services off this cluster (or scale Deployment azureml-fe to 0 once "
                   "nothing uses it) and run again, or set force to remove it anyway (a backup is written first).")
    remove = [r for r in legacy.DELETE_ORDER if r in live] if refused is None else []
    documents = [legacy.restorable(found[legacy.label(r, namespace)], r) for r in legacy.RESOURCES if r in remove]
    return {"found": [legacy.ref(r, namespace) for r in live],
            "terminating": [legacy.ref(r, namespace) for r in terminating],
            "serving": reasons, "refused_reason": refused,
            "remove": [legacy.ref(r, namespace) for r in remove], "documents": documents}


def backup_name(cluster: str, taken: datetime.datetime) -> str:
    """``<cluster>-azureml-fe-v1-<UTC time>.yaml``, safe as a file name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", cluster) or "cluster"
    return f"{safe}-azureml-fe-v1-{taken.strftime('%Y%m%dT%H%M%SZ')}.yaml"


def message(plan: Mapping[str, Any], *, check_mode: bool, backup_file: str | None, namespace: str) -> str:
    if plan["refused_reason"]:
        return plan["refused_reason"]
    if not plan["found"]:
        gone = f"; {len(plan['terminating'])} still being deleted" if plan["terminating"] else ""
        return f"No azureml-fe v1 resource in namespace {namespace} or at cluster scope{gone}."
    names = ", ".join(f"{r['kind']} {r['name']}" for r in plan["remove"])
    if check_mode:
        return f"Would back up to {backup_file} and delete {len(plan['remove'])} azureml-fe v1 resources: {names}."
    return f"Backed up to {backup_file} (mode 0600) and deleted {len(plan['remove'])} azureml-fe v1 resources: {names}."


def _text(entry: Mapping[str, Any]) -> str:
    return f"{entry['kind']} {entry['namespace'] + '/' if entry['namespace'] else ''}{entry['name']}"


# --- I/O
def read(kube: Kube, namespace: str) -> tuple[dict[str, dict[str, Any] | None], list[dict[str, Any]]]:
    """The eight objects (None when absent) and the namespace's EndpointSlices of the two Services."""
    found = {legacy.label(r, namespace): kube.get(r.kind, r.name, r.namespace(namespace), api_version=r.api_version)
             for r in legacy.RESOURCES}
    slices: list[dict[str, Any]] = []
    for service in legacy.SERVICES:
        if found.get(legacy.label(service, namespace)) is not None:
            slices += kube.list("EndpointSlice", namespace, api_version=legacy.ENDPOINTSLICE_API_VERSION,
                                label_selectors=[f"{legacy.SERVICE_NAME_LABEL}={service.name}"])
    return found, slices


def write_backup(directory: str, name: str, text: str) -> str:
    """Write the backup, readable by its owner only; a file of that name is never overwritten."""
    directory = os.path.abspath(os.path.expanduser(directory))
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    stem, ext = os.path.splitext(name)
    path, attempt = os.path.join(directory, name), 1
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE)
            break
        except FileExistsError:
            attempt += 1
            path = os.path.join(directory, f"{stem}-{attempt}{ext}")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, BACKUP_MODE)  # whatever the umask
    return path


def apply(module: Any, *, kube: Kube | None = None,
          now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)) -> dict[str, Any]:
    """Read, decide, back up, delete; the module's result. Fails (refusal, API errors) through ``fail_json``."""
    p = module.params
    if kube_adapter.IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib("kubernetes (the Python client) and the kubernetes.core collection"),
                         exception=str(kube_adapter.IMPORT_ERROR))
    module.no_log_values.update(sensitive_values(p))
    namespace, cluster = p["namespace"], p["cluster_name"]
    kube = kube or Kube(p, cluster)
    result: dict[str, Any] = {"changed": False, "found": [], "terminating": [], "removed": [], "serving": [],
                              "backup_file": None, "backup_written": False, "backup_mode": None,
                              "refused": False, "refused_reason": None}
    try:
        found, slices = read(kube, namespace)
    except KubeError as exc:
        module.fail_json(msg=str(exc), **result)
    for resource in legacy.SECRETS:  # the backup holds them; nothing else may show them
        obj = found.get(legacy.label(resource, namespace))
        if obj:
            module.no_log_values.update(legacy.secret_values(obj))
    plan = decide(found, slices, namespace, p["force"])
    result.update(found=plan["found"], terminating=plan["terminating"], serving=plan["serving"],
                  refused=plan["refused_reason"] is not None, refused_reason=plan["refused_reason"])
    if plan["refused_reason"]:
        module.fail_json(msg=plan["refused_reason"], **result)
    if plan["serving"]:
        module.warn("Removing the azureml-fe v1 router although it still serves (force): " + "; ".join(plan["serving"]))
    if not plan["remove"]:
        result["message"] = message(plan, check_mode=module.check_mode, backup_file=None, namespace=namespace)
        return result
    taken = now()
    name = backup_name(cluster, taken)
    directory = os.path.abspath(os.path.expanduser(p["backup_dir"]))
    result.update(changed=True, removed=plan["remove"], backup_file=os.path.join(directory, name),
                  backup_mode="0600")
    if module._diff:
        header = f"{cluster}: azureml-fe v1 resources"
        result["diff"] = {"before": "".join(_text(r) + "\n" for r in plan["remove"]), "after": "",
                          "before_header": header, "after_header": header}
    if module.check_mode:
        result["message"] = message(plan, check_mode=True, backup_file=result["backup_file"], namespace=namespace)
        return result
    text = legacy.backup_text(plan["documents"], cluster=cluster, namespace=namespace,
                              taken=taken.strftime("%Y-%m-%dT%H:%M:%SZ"), context=kube.context)
    try:
        result["backup_file"] = write_backup(directory, name, text)
    except OSError as exc:
        result.update(changed=False, removed=[], backup_mode=None)
        module.fail_json(msg=f"Cannot write the backup {os.path.join(directory, name)}: {exc.strerror or exc}. "
                             "Nothing was deleted; choose another backup_dir.", **result)
    result["backup_written"] = True
    removed = []
    resources = {(r.kind, r.name): r for r in legacy.RESOURCES}
    for entry in plan["remove"]:
        resource = resources[(entry["kind"], entry["name"])]
        meta = (found[legacy.label(resource, namespace)] or {}).get("metadata") or {}
        preconditions = {k: meta[k] for k in ("uid", "resourceVersion") if meta.get(k)}
        try:
            kube.delete(resource.kind, resource.name, resource.namespace(namespace),
                        api_version=resource.api_version, preconditions=preconditions)
        except KubeError as exc:
            result["removed"] = removed
            text = str(exc)
            if "(409)" in text:
                text = (f"{legacy.label(resource, namespace)} changed after it was backed up, so it was not deleted "
                        f"({text}) Run again to back it up as it is now.")
            module.fail_json(msg=f"{text} Deleted before this: {len(removed)} of {len(plan['remove'])}; the backup "
                                 f"{result['backup_file']} holds all of them.", **result)
        removed.append(entry)
    result["message"] = message(plan, check_mode=False, backup_file=result["backup_file"], namespace=namespace)
    return result


def run(module: Any) -> NoReturn:
    module.exit_json(**apply(module))
