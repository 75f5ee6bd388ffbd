"""Fixtures: one sandbox per pytest worker, started and stopped through the real CLI.

Each xdist worker gets its own state directory and port, so workers never share state. Every test
starts from the default world (POST /_sandbox/reset) with tiny delays.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from sandbox.client import SandboxClient, read_env_file, run_cli  # noqa: F401 - run_cli and read_env_file for tests

ROOT = Path(__file__).resolve().parents[2]
SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
RG = "rg-aml-sandbox"
# Tiny delays; no Retry-After (the default, as recorded), so the SDK pollers use polling_interval.
FAST = {"provisioning_delay_seconds": 0.2, "registration_delay_seconds": 0.1}


class Sandbox(SandboxClient):
    """sandbox/client.py plus the one shape these tests like for raw calls: (status, parsed body, headers)."""

    @property
    def ca(self) -> str:
        return self.ca_bundle

    def ctl(self, method: str, path: str, body: Any = None, raw: Optional[bytes] = None,
            headers: Optional[dict[str, str]] = None) -> tuple[int, Any, dict[str, str]]:
        """Plain HTTPS call (control API or raw ARM; ``path`` may carry a query string)."""
        r = self.call(method, path, body, data=raw, headers=headers)
        try:
            parsed = r.json() if r.content else None
        except ValueError:
            parsed = r.text
        return r.status_code, parsed, dict(r.headers)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    state_dir = tmp_path_factory.mktemp("sandbox-state")
    sb = Sandbox.start(state_dir)
    # The real azure-identity reads these: App Service managed identity + our CA.
    for k in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        os.environ[k] = sb.env[k]
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    if "sandbox" not in request.fixturenames:
        yield
        return
    sb: Sandbox = request.getfixturevalue("sandbox")
    sb.reset()
    sb.settings(**FAST)
    yield


@pytest.fixture(scope="session")
def credential(sandbox: Sandbox):
    from azure.identity import ManagedIdentityCredential
    return ManagedIdentityCredential()


def client_kwargs(sb: Sandbox) -> dict[str, Any]:
    return {"base_url": sb.url, "connection_verify": sb.ca, "polling_interval": 0.05}


@pytest.fixture
def ext_client(sandbox: Sandbox, credential):
    from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient
    return SourceControlConfigurationClient(credential, SUB, **client_kwargs(sandbox))
