"""The project's own CustomResourceDefinitions, one YAML file per API group.

``load(group)`` gives the CRD objects of ``<group>.yaml``; ``get(name)`` one CRD by its name
(``<plural>.<group>``). Both return fresh copies, safe to label or annotate.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

MONITORING = "monitoring.coreos.com"
VOLCANO = "volcano"
OPENSHIFT = "security.openshift.io"
AMLARC = "amlarc.azureml.com"


@lru_cache(maxsize=None)
def _read(group: str) -> tuple:
    return tuple(d for d in yaml.safe_load_all((HERE / f"{group}.yaml").read_text()) if d)


def load(group: str) -> list[dict[str, Any]]:
    return copy.deepcopy(list(_read(group)))


def names(group: str) -> list[str]:
    return [d["metadata"]["name"] for d in _read(group)]


def get(name: str) -> dict[str, Any]:
    for path in sorted(HERE.glob("*.yaml")):
        for d in _read(path.stem):
            if d["metadata"]["name"] == name:
                return copy.deepcopy(d)
    raise KeyError(name)
