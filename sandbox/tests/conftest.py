"""Fixtures: one sandbox per pytest worker, started and stopped through the real CLI.

Each xdist worker gets its own state directory and port, so workers never share state. Every test
starts from the default world (POST /_sandbox/reset) with tiny delays.
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
RG = "rg-aml-sandbox"
FAST = {"provisioning_delay_seconds": 0.2, "retry_after_seconds": 0, "registration_delay_seconds": 0.1}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def read_env(state_dir: Path) -> dict[str, str]:
    env = {}
    for line in (state_dir / "env").read_text().splitlines():
        if line.startswith("export "):
            k, _, v = line[7:].partition("=")
            env[k] = v.strip("'")
    return env


@dataclass
class Sandbox:
    state_dir: Path
    url: str
    ca: str
    env: dict[str, str]

    def ctl(self, method: str, path: str, body: Any = None, raw: Optional[bytes] = None,
            headers: Optional[dict[str, str]] = None) -> tuple[int, Any, dict[str, str]]:
        """Plain HTTPS call (control API or raw ARM); returns (status, parsed body, headers)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, method=method, data=data,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        ctx = ssl.create_default_context(cafile=self.ca)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                text, status, hdrs = r.read(), r.status, dict(r.headers)
        except urllib.error.HTTPError as e:
            text, status, hdrs = e.read(), e.code, dict(e.headers)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode()
        return status, parsed, hdrs

    def settings(self, **kw: Any) -> dict:
        status, body, _ = self.ctl("POST", "/_sandbox/settings", kw)
        assert status == 200, body
        return body

    def requests(self, **filters: str) -> list[dict]:
        q = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.ctl("GET", "/_sandbox/requests" + ("?" + q if q else ""))[1]["value"]

    def token(self) -> str:
        from azure.identity import ManagedIdentityCredential
        return ManagedIdentityCredential().get_token("https://management.azure.com/.default").token


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    state_dir = tmp_path_factory.mktemp("sandbox-state")
    res = run_cli("start", "--state-dir", str(state_dir))
    assert res.returncode == 0, res.stderr
    env = read_env(state_dir)
    # The real azure-identity reads these: App Service managed identity + our CA.
    for k in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        os.environ[k] = env[k]
    sb = Sandbox(state_dir, res.stdout.strip(), str(state_dir / "ca.pem"), env)
    yield sb
    assert run_cli("stop", "--state-dir", str(state_dir)).returncode == 0


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    if "sandbox" not in request.fixturenames:
        yield
        return
    sb: Sandbox = request.getfixturevalue("sandbox")
    assert sb.ctl("POST", "/_sandbox/reset")[0] == 200
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
