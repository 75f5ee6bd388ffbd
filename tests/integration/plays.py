"""Small builders for the playbooks the integration tests run (JSON is YAML)."""

from __future__ import annotations

import json
from typing import Any

EXTENSION = "azureml.kubernetes.aml_extension"
EXTENSION_INFO = "azureml.kubernetes.aml_extension_info"


def task(title: str, module: str = EXTENSION, *, ignore_errors: bool = False, **args: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": title, module: args}
    if ignore_errors:
        entry["ignore_errors"] = True
    return entry


def play(*tasks: dict[str, Any]) -> str:
    return json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}], indent=1)


def target(cluster: dict[str, Any], name: str = "azureml") -> dict[str, Any]:
    """The options that point a task at a seeded cluster."""
    return dict(cluster_type=cluster["cluster_type"], cluster_name=cluster["name"],
                resource_group=cluster["resource_group"], name=name)


# The documentation's first scenario (AKS proof of concept), with the doc's own key spelling.
POC_CONFIG = {
    "enableTraining": "True",
    "enableInference": "True",
    "inferenceRouterServiceType": "LoadBalancer",
    "allowInsecureConnections": "True",
    "InferenceRouterHA": "False",
}
