"""The two transcriptions of the components table agree: the agent's (sandbox/agent/components.py) and the
collection's (plugins/module_utils/aml/components.py). The collection's file is pure and is loaded by its
path for this comparison only; the sandbox code never imports the collection."""
from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import pytest

from sandbox.agent import components as agent

COLLECTION_TABLE = Path(__file__).resolve().parents[2] / "plugins" / "module_utils" / "aml" / "components.py"


@pytest.fixture(scope="module")
def collection():
    if not COLLECTION_TABLE.exists():
        pytest.skip(f"{COLLECTION_TABLE} is not written yet")
    spec = importlib.util.spec_from_file_location("_collection_components", COLLECTION_TABLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


BOOLS = ("enableTraining", "enableInference", "inferenceRouterHA", "installPromOp", "installVolcano",
         "installDcgmExporter", "installNvidiaDevicePlugin")
CASES = [dict(zip(BOOLS, values)) for values in itertools.product(("True", "False"), repeat=len(BOOLS))]
CASES += [{"enableTraining": "true", "enableInference": "true"},
          {"enableInference": "True", "relayserver.enabled": "true", "nginxIngress.enabled": "false"},
          {"enableInference": "True", "relayserver.enabled": "false", "nginxIngress.enabled": "true"}]


def agent_rows(settings, cluster_type):
    rows = []
    for e in agent.expected("my-ext", settings, cluster_type):
        c = e.component
        resources = None if c.cpu is None else (c.cpu[0], c.cpu[1], c.memory[0], c.memory[1])
        rows.append((e.name, e.kind, None if c.per_node else e.replicas, resources))
    return rows


def collection_rows(module, settings, cluster_type):
    rows = []
    for c in module.expected(settings, "my-ext", cluster_type):
        r = c.resources
        resources = None if r is None else (r.cpu_request, r.cpu_limit, r.memory_request, r.memory_limit)
        rows.append((c.name, c.kind, c.replicas, resources))
    return rows


@pytest.mark.parametrize("cluster_type", ["managedClusters", "connectedClusters"])
def test_transcriptions_agree(collection, cluster_type):
    for settings in CASES:
        assert agent_rows(settings, cluster_type) == collection_rows(collection, settings, cluster_type), settings


def test_same_rows_and_templates(collection):
    assert [(c.name, c.kind) for c in agent.COMPONENTS] == [(r.name, r.kind) for r in collection.COMPONENTS]
