"""Integration tests: the real modules, run by ansible-playbook, against the running sandbox.

`make integration` starts the sandbox and sets AML_SANDBOX_DIR. Each test seeds clusters of its own
(unique names), so tests run in parallel against one sandbox and read only their own request-log entries.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from sandbox.client import SandboxClient
from tests.support import pki
from tests.support.plays import ansible_env, ansible_playbook

PLAYBOOK_TIMEOUT = 300


@pytest.fixture(scope="session")
def sandbox() -> SandboxClient:
    state_dir = os.environ.get("AML_SANDBOX_DIR")
    if not state_dir:
        pytest.fail("AML_SANDBOX_DIR is not set: run the integration tests with `make integration`")
    return SandboxClient(Path(state_dir))


@pytest.fixture(autouse=True)
def token_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own token cache (arm/token_cache): a token one test fetched never answers another's."""
    directory = tmp_path / "token-cache"
    monkeypatch.setenv("AZUREML_TOKEN_CACHE_DIR", str(directory))
    return directory


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
def run_playbook(sandbox: SandboxClient, tmp_path: Path):
    """Run a playbook (text) against localhost with the sandbox environment; returns a PlaybookRun."""

    def run(text: str, *, extra_vars: dict[str, Any] | None = None, check: bool = False, diff: bool = False,
            verbosity: int = 0, stdout_callback: str = "ansible.posix.json") -> PlaybookRun:
        playbook = tmp_path / f"play-{uuid.uuid4().hex[:6]}.yml"
        playbook.write_text(text)
        command = [ansible_playbook(), "-i", "localhost,", "-c", "local", str(playbook)]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        env = ansible_env(sandbox.env, {"ANSIBLE_STDOUT_CALLBACK": stdout_callback,
                                        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"})
        completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=PLAYBOOK_TIMEOUT,
                                   check=False, cwd=tmp_path)
        return PlaybookRun(completed)

    return run


def make_tls_files(folder: Path) -> pki.PemPair:
    """A self-signed EC certificate for ml.contoso.com and its unencrypted key, as PEM files in ``folder``."""
    return pki.write_pair(folder, pki.ec_key(), common_name="ml.contoso.com", dns_names=("ml.contoso.com",))


@pytest.fixture
def tls_files(tmp_path: Path) -> pki.PemPair:
    return make_tls_files(tmp_path / "tls")
