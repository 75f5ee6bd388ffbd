"""Integration tests: the real modules, run by ansible-playbook, against the running sandbox.

`make integration` starts the sandbox and sets AML_SANDBOX_DIR. Each test seeds clusters of its own
(unique names), so tests run in parallel against one sandbox and read only their own request-log entries.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).parent
REPO = HERE.parent.parent
PLAYBOOK_TIMEOUT = 300


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("export "):
            key, _equals, value = line[len("export "):].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


class Sandbox:
    """The sandbox's control API (/_sandbox/), and the environment that points the modules at it."""

    def __init__(self, state_dir: Path) -> None:
        self.env = read_env_file(state_dir / "env")
        self.url = self.env["AML_SANDBOX_URL"].rstrip("/")
        self.subscription_id = self.env["AZURE_SUBSCRIPTION_ID"]
        self.session = requests.Session()
        self.ca_bundle = self.env["REQUESTS_CA_BUNDLE"]

    def control(self, verb: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.session.request(verb, f"{self.url}/_sandbox/{path}", json=body, params=params, timeout=30,
                                        verify=self.ca_bundle)  # per request: REQUESTS_CA_BUNDLE would win
        response.raise_for_status()
        return response.json() if response.content else None

    def seed_cluster(self, cluster_type: str = "managedClusters", **fields: Any) -> dict[str, Any]:
        name = fields.pop("name", None) or f"it-{uuid.uuid4().hex[:10]}"
        cluster = dict(name=name, cluster_type=cluster_type, resource_group="rg-it", location="eastus",
                       node_count=3, subscription_id=self.subscription_id)
        cluster.update(fields)
        self.control("POST", "clusters", cluster)
        return cluster

    def seed_subscription(self, *unregistered: str) -> str:
        """A new subscription where the given resource providers are not registered; returns its id."""
        subscription = str(uuid.uuid4())
        self.control("POST", "subscriptions", {"subscription_id": subscription,
                                               "providers": {ns: "NotRegistered" for ns in unregistered}})
        return subscription

    def requests_for(self, path_fragment: str, *, writes_only: bool = False) -> list[dict[str, Any]]:
        """The logged ARM requests whose path holds the fragment (a cluster name, a subscription id)."""
        entries = self.control("GET", "requests")["value"]
        mine = [e for e in entries if path_fragment.lower() in e["path"].lower()]
        if writes_only:
            mine = [e for e in mine if e["method"] in ("PUT", "PATCH", "POST", "DELETE")]
        return mine


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    state_dir = os.environ.get("AML_SANDBOX_DIR")
    if not state_dir:
        pytest.fail("AML_SANDBOX_DIR is not set: run the integration tests with `make integration`")
    return Sandbox(Path(state_dir))


class PlaybookRun:
    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.output = json.loads(completed.stdout) if completed.stdout.strip().startswith("{") else {}

    def task(self, name: str, host: str = "localhost") -> dict[str, Any]:
        for play in self.output.get("plays", []):
            for task in play["tasks"]:
                if task["task"]["name"] == name:
                    return task["hosts"][host]
        raise AssertionError(f"task {name!r} not in the run:\n{self.stdout[-4000:]}\n{self.stderr[-4000:]}")


@pytest.fixture
def run_playbook(sandbox: Sandbox, tmp_path: Path):
    """Run a playbook (text) against localhost with the sandbox environment; returns a PlaybookRun."""

    def run(text: str, *, extra_vars: dict[str, Any] | None = None, check: bool = False, diff: bool = False,
            verbosity: int = 0, stdout_callback: str = "ansible.posix.json") -> PlaybookRun:
        playbook = tmp_path / f"play-{uuid.uuid4().hex[:6]}.yml"
        playbook.write_text(text)
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                   str(playbook)]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        env = dict(os.environ)
        env.update(sandbox.env)
        env.update(ANSIBLE_STDOUT_CALLBACK=stdout_callback, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_LOCALHOST_WARNING="0")
        completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=PLAYBOOK_TIMEOUT, check=False,
                                   cwd=tmp_path)
        return PlaybookRun(completed)

    return run


class TlsFiles:
    def __init__(self, cert: Path, key: Path) -> None:
        import base64

        self.cert = cert
        self.key = key
        self.key_b64 = base64.b64encode(key.read_bytes()).decode()
        self.cert_b64 = base64.b64encode(cert.read_bytes()).decode()


def make_tls_files(folder: Path) -> TlsFiles:
    """A self-signed certificate for ml.contoso.com and its unencrypted key, as PEM files in `folder`."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ml.contoso.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("ml.contoso.com")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return TlsFiles(cert_path, key_path)


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path / "tls")
