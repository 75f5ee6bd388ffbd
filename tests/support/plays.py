"""Playbooks for tests and benchmarks: builders (JSON is YAML) and the environment ansible-playbook runs in."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".build" / "collections"  # `make setup` links the repository there
EXTENSION = "azureml.kubernetes.aml_extension"
EXTENSION_INFO = "azureml.kubernetes.aml_extension_info"


def task(title: str, module: str = EXTENSION, *, ignore_errors: bool = False, **args: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": title, module: args}
    if ignore_errors:
        entry["ignore_errors"] = True
    return entry


def play(*tasks: dict[str, Any], hosts: str = "localhost") -> str:
    return json.dumps([{"hosts": hosts, "gather_facts": False, "tasks": list(tasks)}], indent=1)


def target(cluster: Mapping[str, Any], name: str = "azureml") -> dict[str, Any]:
    """The options that point a task at a seeded cluster."""
    return dict(cluster_type=cluster["cluster_type"], cluster_name=cluster["name"],
                resource_group=cluster["resource_group"], name=name)


def ansible_playbook() -> str:
    """The ansible-playbook of the Python running the tests (the venv's)."""
    return str(Path(sys.executable).parent / "ansible-playbook")


def ansible_env(sandbox_env: Mapping[str, str], extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """This process's environment plus what `make` exports and the sandbox's variables: the modules find the
    collection and the sandbox, run with this Python, and Ansible stays quiet about localhost."""
    env = dict(os.environ)
    env.update(sandbox_env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="true",
               PYTHONPATH=os.pathsep.join([str(COLLECTIONS), str(REPO)]),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    env.update(extra or {})
    return env


# The documentation's first scenario (AKS proof of concept), with the doc's own key spelling.
POC_CONFIG = {
    "enableTraining": "True",
    "enableInference": "True",
    "inferenceRouterServiceType": "LoadBalancer",
    "allowInsecureConnections": "True",
    "InferenceRouterHA": "False",
}
