"""The token and the cloud metadata are fetched once per run and credential, not once per task.

The test runs a sandbox of its own, so every token and metadata request in its log is this test's (the
shared sandbox serves other tests' tokens meanwhile). Each run gets its own cache directory.
"""

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from sandbox.client import SandboxClient
from tests.support.plays import ansible_env, ansible_playbook, play, target, task

REPO = Path(__file__).resolve().parents[2]
INFO = "azureml.kubernetes.aml_extension_info"
METADATA = "/metadata/endpoints"


@pytest.fixture(scope="module")
def own():
    """A sandbox of this module's own, with two AKS clusters and no provisioning delay."""
    state_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"aml-token-cache-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "sandbox"]
    started = subprocess.run(command + ["start", "--state-dir", str(state_dir)], cwd=REPO, capture_output=True,
                             text=True, timeout=120, check=False)
    assert started.returncode == 0, started.stderr
    try:
        client = SandboxClient(state_dir)
        client.settings(provisioning_delay_seconds=0)
        yield client
    finally:
        subprocess.run(command + ["stop", "--state-dir", str(state_dir)], cwd=REPO, capture_output=True,
                       timeout=120, check=False)


def run(own, text, cache_dir, **environment):
    """ansible-playbook with the own sandbox's environment, this cache directory and `environment` (which may
    carry a secret: it is the process environment, never a task's `environment:`)."""
    playbook = cache_dir.parent / f"play-{uuid.uuid4().hex[:6]}.yml"
    playbook.write_text(text)
    env = ansible_env(own.env, {"AZUREML_TOKEN_CACHE_DIR": str(cache_dir), **environment})
    done = subprocess.run([ansible_playbook(), "-i", "localhost,", "-c", "local", str(playbook)], capture_output=True,
                          text=True, env=env, timeout=300, check=False, cwd=cache_dir.parent)
    return done


def auth_requests(own, since):
    entries = own.requests(kind="auth", since=since)
    tokens = [e for e in entries if e["path"].endswith("/msi/token") or e["path"].endswith("/oauth2/v2.0/token")]
    metadata = [e for e in entries if e["path"].endswith(METADATA)]
    return tokens, metadata


def two_clusters(own):
    return [own.seed_cluster(), own.seed_cluster()]


def tasks_on(clusters, **args):
    """A read of each cluster's extension: ARM requests enough for a token, without starting control planes."""
    return [task(f"read {c['name']}", INFO, **target(c), **args) for c in clusters]


def test_two_module_runs_on_two_clusters_fetch_one_token_and_one_metadata_document(own, tmp_path):
    cache_dir = tmp_path / "cache"
    clusters = two_clusters(own)
    since = own.last_seq()
    done = run(own, play(*tasks_on(clusters)), cache_dir)
    assert done.returncode == 0, done.stdout[-3000:]
    tokens, metadata = auth_requests(own, since)
    assert [e["method"] for e in tokens] == ["GET"] and [e["method"] for e in metadata] == ["GET"]
    for cluster in clusters:
        statuses = [e["status"] for e in own.requests_for(cluster["name"])]
        assert statuses and 401 not in statuses  # both tasks were served with the one token

    # the next run (another ansible-playbook) still needs neither while the token is valid
    since = own.last_seq()
    done = run(own, play(*tasks_on(clusters)), cache_dir)
    assert done.returncode == 0, done.stdout[-3000:]
    assert auth_requests(own, since) == ([], [])


def test_cache_files_are_private_and_hold_no_secret(own, tmp_path):
    cache_dir = tmp_path / "cache"
    secret = own.env["AML_SANDBOX_CLIENT_SECRET"]
    header = own.env["IDENTITY_HEADER"]
    service_principal = {"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZURE_CLIENT_ID": own.env["AML_SANDBOX_CLIENT_ID"],
                         "AZURE_SECRET": secret, "AZURE_TENANT": own.env["AML_SANDBOX_TENANT_ID"]}
    done = run(own, play(*tasks_on(two_clusters(own))), cache_dir, **service_principal)
    assert done.returncode == 0, done.stdout[-3000:]
    done = run(own, play(*tasks_on(two_clusters(own))), cache_dir)  # and the managed identity's token
    assert done.returncode == 0, done.stdout[-3000:]
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    files = list(cache_dir.iterdir())
    assert len([f for f in files if f.name.startswith("token-") and f.suffix == ".json"]) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        content = path.read_bytes()
        assert secret.encode() not in content and header.encode() not in content, path.name


def test_a_changed_secret_requests_a_fresh_token(own, tmp_path):
    cache_dir = tmp_path / "cache"
    service_principal = {"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZURE_CLIENT_ID": own.env["AML_SANDBOX_CLIENT_ID"],
                         "AZURE_SECRET": own.env["AML_SANDBOX_CLIENT_SECRET"],
                         "AZURE_TENANT": own.env["AML_SANDBOX_TENANT_ID"]}
    first, second = two_clusters(own)
    since = own.last_seq()
    assert run(own, play(*tasks_on([first])), cache_dir, **service_principal).returncode == 0
    tokens, _metadata = auth_requests(own, since)
    assert [(e["method"], e["status"]) for e in tokens] == [("POST", 200)]

    # a rotated (here: wrong) secret is never answered from the cache: Entra ID is asked, and refuses it
    wrong = "rotated~" + uuid.uuid4().hex
    since = own.last_seq()
    done = run(own, play(*tasks_on([second])), cache_dir, **{**service_principal, "AZURE_SECRET": wrong})
    assert done.returncode != 0
    assert "AADSTS7000215" in done.stdout and wrong not in done.stdout + done.stderr
    tokens, metadata = auth_requests(own, since)
    assert [(e["method"], e["status"]) for e in tokens] == [("POST", 401)] and metadata == []
    assert own.requests_for(second["name"]) == []


def test_a_changed_identity_header_is_not_answered_from_the_cache(own, tmp_path):
    cache_dir = tmp_path / "cache"
    first, second = two_clusters(own)
    assert run(own, play(*tasks_on([first])), cache_dir).returncode == 0
    since = own.last_seq()
    done = run(own, play(*tasks_on([second])), cache_dir, IDENTITY_HEADER="not-the-identity-header")
    assert done.returncode != 0 and "X-IDENTITY-HEADER" in done.stdout
    tokens, _metadata = auth_requests(own, since)
    assert [e["status"] for e in tokens] and all(e["status"] != 200 for e in tokens)
    assert own.requests_for(second["name"]) == []


def test_token_cache_false_fetches_in_every_task_and_writes_nothing(own, tmp_path):
    cache_dir = tmp_path / "cache"
    clusters = two_clusters(own)
    since = own.last_seq()
    done = run(own, play(*tasks_on(clusters)), cache_dir, AZUREML_TOKEN_CACHE="false")
    assert done.returncode == 0, done.stdout[-3000:]
    tokens, metadata = auth_requests(own, since)
    assert len(tokens) == 2 and len(metadata) == 2
    assert not cache_dir.exists()


def test_a_token_the_sandbox_no_longer_accepts_is_fetched_again_once(own, tmp_path):
    cache_dir = tmp_path / "cache"
    first, second = two_clusters(own)
    assert run(own, play(*tasks_on([first])), cache_dir).returncode == 0
    # spoil the cached token as a revoked one would be: same expiry, a signature the sandbox refuses
    (token_file,) = [f for f in cache_dir.iterdir() if f.name.startswith("token-") and f.suffix == ".json"]
    token_file.write_text(token_file.read_text().replace('"access_token": "', '"access_token": "x'))
    since = own.last_seq()
    done = run(own, play(*tasks_on([second])), cache_dir)
    assert done.returncode == 0, done.stdout[-3000:]
    tokens, _metadata = auth_requests(own, since)
    assert [(e["method"], e["status"]) for e in tokens] == [("GET", 200)]
    assert '"access_token": "x' not in token_file.read_text()  # the fresh token replaced the refused one
