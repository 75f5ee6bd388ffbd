"""Situation seeds: what a cluster already holds before the extension arrives.

A cluster seed names its situations as a list; each item is a name, or an object with ``name`` and
the situation's options::

    "situations": ["volcano_crds", {"name": "legacy_azureml_fe", "namespace": "default"}]

``validate(items)`` checks such a list and returns it normalised as ``[(name, options), ...]``
(raising ``SeedError``, a ``ValueError`` whose ``target`` names the bad field, before anything is
written); ``apply(api, items)`` writes them in order. GPU nodes are not a situation: they come from the
seed's node list (``nvidia.com/gpu`` allocatable, labels, taints).

| situation | options (default) |
|---|---|
| legacy_azureml_fe | namespace ("default") |
| prometheus_operator | namespace ("monitoring"), kubelet_namespace ("kube-system") |
| volcano_crds | none |
| dcgm_exporter | namespace ("gpu-operator"), instance ("gpu-operator") |
| openshift | none |
| azureml_terminating | namespace ("azureml") |
"""
from __future__ import annotations

import inspect
import re
from typing import Any, Callable

from kubernetes.client import ApiClient

from sandbox.seeds import situations as _s

SITUATIONS: dict[str, Callable[..., list[str]]] = {
    "legacy_azureml_fe": _s.legacy_azureml_fe,
    "prometheus_operator": _s.prometheus_operator,
    "volcano_crds": _s.volcano_crds,
    "dcgm_exporter": _s.dcgm_exporter,
    "openshift": _s.openshift,
    "azureml_terminating": _s.azureml_terminating,
}

release_terminating = _s.release_terminating

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class SeedError(ValueError):
    def __init__(self, message: str, target: str):
        super().__init__(message)
        self.target = target


def options(name: str) -> dict[str, Any]:
    """A situation's options and their defaults."""
    sig = inspect.signature(SITUATIONS[name])
    return {p.name: p.default for p in list(sig.parameters.values())[1:]}


def validate(items: Any, target: str = "situations") -> list[tuple[str, dict[str, str]]]:
    """The situations list of a cluster seed, checked and normalised; ``SeedError`` on the first fault."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise SeedError(f"{target} must be a list of situation names or objects", target)
    out, seen = [], set()
    for i, item in enumerate(items):
        where = f"{target}[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise SeedError(f"{where} must be a situation name or an object with a string 'name'", where)
        name = item["name"]
        if name not in SITUATIONS:
            raise SeedError(f"{where}: unknown situation '{name}'; known: {', '.join(sorted(SITUATIONS))}",
                            f"{where}.name")
        allowed = options(name)
        opts = {}
        for key, value in item.items():
            if key == "name":
                continue
            if key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise SeedError(f"{where}: situation '{name}' has no option '{key}' (options: {known})",
                                f"{where}.{key}")
            if not isinstance(value, str) or not _DNS_LABEL.match(value):
                raise SeedError(f"{where}.{key} must be a Kubernetes name (lower-case DNS label)", f"{where}.{key}")
            opts[key] = value
        if name in seen:
            raise SeedError(f"{where}: situation '{name}' is listed twice", f"{where}.name")
        seen.add(name)
        out.append((name, opts))
    return out


def apply(api: ApiClient, items: Any) -> list[str]:
    """Validate, then write every situation in order; the refs of what was written."""
    written = []
    for name, opts in validate(items):
        written += SITUATIONS[name](api, **opts)
    return written
