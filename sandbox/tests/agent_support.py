"""Shared by the agent's and the seeds' tests: real control planes (``sandbox.kube.testing``) and waits.

``kube`` is a module-scoped fixture: one ``running()`` world per test module; ``cluster(kube, nodes)``
adds a fresh cluster with a unique name so tests never share objects.
"""
from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Iterator

import pytest

from sandbox.agent import kubeapi

_names = itertools.count(1)

# Helm's refusal of the seeded Volcano CRDs for release "aml" (pkg/action/validate.go, wrapped by install).
VOLCANO_JOBS_REFUSAL = (
    'rendered manifests contain a resource that already exists. Unable to continue with install: '
    'CustomResourceDefinition "jobs.batch.volcano.sh" in namespace "" exists and cannot be imported into the '
    'current release: invalid ownership metadata; label validation error: missing key '
    '"app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key '
    '"meta.helm.sh/release-name": must be set to "aml"; annotation validation error: missing key '
    '"meta.helm.sh/release-namespace": must be set to "azureml"')


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # make sandbox-tests builds the binaries first; without them these tests fail (BinariesMissing says why).
    from sandbox.kube.testing import running
    with running(tmp_path_factory.mktemp("kube")) as world:
        yield world


class Cluster:
    """One real cluster: ``run(fn)`` calls ``fn(api_client)`` as the sandbox's agent would."""

    def __init__(self, world: Any, handle: Any, name: str) -> None:
        self.world, self.handle, self.name = world, handle, name

    def run(self, work: Callable[[Any], Any]) -> Any:
        return self.world.run(self.handle, work)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return self.run(lambda api: kubeapi.get(api, api_version, kind, name, namespace))

    def list(self, api_version: str, kind: str, namespace: str | None = None, **kw: Any) -> list:
        return self.run(lambda api: kubeapi.list_(api, api_version, kind, namespace, **kw))

    def wait(self, predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                assert value, f"timed out waiting for {what}"
                return value
            time.sleep(0.5)


def cluster(world: Any, *pools: Any, prefix: str = "t") -> Cluster:
    from sandbox.kube.nodes import NodePool
    name = f"{prefix}{next(_names)}"
    return Cluster(world, world.add(name, tuple(pools) or (NodePool(count=3),)), name)


def pods_by_phase(c: Cluster, namespace: str) -> dict[str, str]:
    return {p["metadata"]["name"]: (p.get("status") or {}).get("phase") for p in c.list("v1", "Pod", namespace)}
