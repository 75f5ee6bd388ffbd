"""Credentials and cloud selection: every auth_source the sandbox can serve, and clear failures otherwise.

The sandbox's environment makes `auth_source: msi` work; tests of the other sources spoil the managed
identity (a wrong IDENTITY_HEADER), so a success can only come from the source under test.
"""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.plays import play, target, task

REPO = Path(__file__).resolve().parents[2]
CONFIG = {"enableTraining": True}
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # does not trust the sandbox's CA
NO_MSI = {"IDENTITY_HEADER": "not-the-identity-header"}


def with_env(entry, **environment):
    """A task with the `environment:` keyword (what the module's process sees)."""
    return dict(entry, environment=environment)


def service_principal(sandbox, **overrides):
    environment = dict(NO_MSI, AZURE_CLIENT_ID=sandbox.env["AML_SANDBOX_CLIENT_ID"],
                       AZURE_SECRET=sandbox.env["AML_SANDBOX_CLIENT_SECRET"],
                       AZURE_TENANT=sandbox.env["AML_SANDBOX_TENANT_ID"])
    environment.update(overrides)
    return environment


def extension_state(sandbox, cluster):
    found = [e for e in sandbox.control("GET", "extensions")["value"] if f"/{cluster['name']}/" in e["id"]]
    return found[0]["provisioningState"] if found else None


def token_requests(sandbox, since):
    return [e for e in sandbox.control("GET", "requests", kind="auth", since=since)["value"]
            if e["path"].endswith("/oauth2/v2.0/token")]


def test_env_service_principal_installs_and_the_secret_never_shows_even_at_vvvv(sandbox, run_playbook, monkeypatch):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=0.5)
    secret = sandbox.env["AML_SANDBOX_CLIENT_SECRET"]
    # In ansible-playbook's own environment, which the local module inherits: Ansible prints a task's
    # `environment:` values on the -vvv command line, so a secret never belongs there.
    for name, value in service_principal(sandbox).items():
        if name.startswith("AZURE_"):
            monkeypatch.setenv(name, value)
    since = sandbox.control("GET", "requests", path_contains=cluster["name"])["last_seq"]
    run = run_playbook(play(with_env(task("install", **target(cluster), config=CONFIG, auth_source="env"),
                                     **NO_MSI)),
                       verbosity=4, stdout_callback="default")
    assert run.returncode == 0, run.stdout[-3000:]
    assert secret not in run.stdout + run.stderr
    assert extension_state(sandbox, cluster) == "Succeeded"
    # The real ClientSecretCredential asked the Entra ID emulator (client_credentials) for a token.
    assert any(e["method"] == "POST" and e["status"] == 200 for e in token_requests(sandbox, since))
    assert secret not in str(sandbox.control("GET", "requests", since=since))


def test_env_service_principal_with_a_wrong_secret_fails_naming_the_credentials(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    wrong = "wrong~" + uuid.uuid4().hex
    run = run_playbook(play(with_env(task("install", **target(cluster), config=CONFIG, auth_source="env"),
                                     **service_principal(sandbox, AZURE_SECRET=wrong))))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert "auth_source" in result["msg"] and "secret" in result["msg"]
    assert "AADSTS7000215" in result["msg"]  # what Entra ID said: invalid client secret
    assert wrong not in run.stdout + run.stderr
    assert sandbox.requests_for(cluster["name"]) == []  # no token, no ARM request


def test_credential_file_profiles_supply_the_principal_and_the_subscription(sandbox, run_playbook, tmp_path):
    subscription = str(uuid.uuid4())  # known only to the credential file
    cluster = sandbox.seed_cluster(subscription_id=subscription, provisioning_delay_seconds=0.5)
    wrong = "wrong~" + uuid.uuid4().hex
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[default]\n"
        f"subscription_id = {subscription}\n"
        f"client_id = {sandbox.env['AML_SANDBOX_CLIENT_ID']}\n"
        f"secret = {sandbox.env['AML_SANDBOX_CLIENT_SECRET']}\n"
        f"tenant = {sandbox.env['AML_SANDBOX_TENANT_ID']}\n"
        "\n[stale]\n"
        f"subscription_id = {subscription}\n"
        f"client_id = {sandbox.env['AML_SANDBOX_CLIENT_ID']}\n"
        f"secret = {wrong}\n"
        f"tenant = {sandbox.env['AML_SANDBOX_TENANT_ID']}\n")
    environment = dict(NO_MSI, AZURE_CREDENTIAL_FILE=str(credentials), AZURE_SUBSCRIPTION_ID="")
    args = dict(target(cluster), config=CONFIG, auth_source="credential_file")
    run = run_playbook(play(
        with_env(task("install with the default profile", **args), **environment),
        with_env(task("read with the stale profile", **args, profile="stale", ignore_errors=True), **environment),
        with_env(task("read with a missing profile", **args, profile="nope", ignore_errors=True), **environment),
    ))
    installed = run.task("install with the default profile")
    assert installed.get("failed") is not True, installed.get("msg")
    assert installed["changed"] is True and installed["extension"]["provisioning_state"] == "Succeeded"
    assert subscription in installed["extension"]["id"]
    stale = run.task("read with the stale profile")
    assert stale.get("failed") is True and "auth_source" in stale["msg"]
    assert wrong not in run.stdout + run.stderr
    missing = run.task("read with a missing profile")
    assert missing.get("failed") is True
    assert "[nope]" in missing["msg"] and "AZURE_CREDENTIAL_FILE" in missing["msg"]
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    assert [w["method"] for w in writes] == ["PUT"]


def test_msi_with_a_wrong_identity_header_fails_clearly(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    run = run_playbook(play(with_env(task("install", **target(cluster), config=CONFIG, auth_source="msi"),
                                     **NO_MSI)))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert "managed identity" in result["msg"] and "X-IDENTITY-HEADER" in result["msg"]  # the cause
    assert NO_MSI["IDENTITY_HEADER"] not in result["msg"]
    assert "auth_source" in result["msg"]  # azure-identity raises CredentialUnavailableError: the hint still comes
    assert sandbox.requests_for(cluster["name"]) == []  # no token, no ARM request


def test_unknown_cloud_name_fails_before_any_request(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    result = run_playbook(play(task("install", **target(cluster), config=CONFIG,
                                    cloud_environment="NoSuchCloud"))).task("install")
    assert result.get("failed") is True
    assert "NoSuchCloud" in result["msg"] and "cloud_environment" in result["msg"]
    assert "AzureCloud" in result["msg"] and "metadata URL" in result["msg"]  # what it accepts instead
    assert sandbox.requests_for(cluster["name"]) == []


def test_cert_validation_ignore_works_without_the_sandbox_ca_and_validate_does_not(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=0.5)
    environment = {"REQUESTS_CA_BUNDLE": SYSTEM_CA_BUNDLE, "SSL_CERT_FILE": SYSTEM_CA_BUNDLE}
    args = dict(target(cluster), config=CONFIG)
    run = run_playbook(play(
        with_env(task("install ignoring TLS", **args, cert_validation_mode="ignore"), **environment),
        with_env(task("install validating TLS", **args, cert_validation_mode="validate", ignore_errors=True),
                 **environment),
    ))
    ignored = run.task("install ignoring TLS")
    assert ignored.get("failed") is not True, ignored.get("msg")
    assert ignored["extension"]["provisioning_state"] == "Succeeded"
    validated = run.task("install validating TLS")
    assert validated.get("failed") is True
    assert "CERTIFICATE_VERIFY_FAILED" in validated["msg"] and "cloud_environment" in validated["msg"]
    assert "REQUESTS_CA_BUNDLE" in validated["msg"] and "cert_validation_mode" in validated["msg"]  # the fixes
    assert len(sandbox.requests_for(cluster["name"], writes_only=True)) == 1


def test_bare_resource_manager_url_as_cloud_environment(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=0.5)
    result = run_playbook(play(task("install", **target(cluster), config=CONFIG,
                                    cloud_environment=sandbox.url))).task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["extension"]["provisioning_state"] == "Succeeded"
    assert result["extension"]["id"].startswith(f"/subscriptions/{sandbox.subscription_id}/")


@pytest.fixture
def own_sandbox(sandbox, tmp_path):
    """A sandbox of this test's own: its subscriptions are what this test makes them."""
    state_dir = tmp_path / "own-sandbox"
    command = [sys.executable, "-m", "sandbox"]
    started = subprocess.run(command + ["start", "--state-dir", str(state_dir)], cwd=REPO, capture_output=True,
                             text=True, timeout=60, check=False)
    assert started.returncode == 0, started.stderr
    try:
        yield type(sandbox)(state_dir)
    finally:
        subprocess.run(command + ["stop", "--state-dir", str(state_dir)], cwd=REPO, capture_output=True,
                       timeout=60, check=False)


def test_subscription_is_the_only_visible_one_else_it_is_required(own_sandbox, run_playbook):
    environment = {k: own_sandbox.env[k] for k in ("AZURE_CLOUD_ENVIRONMENT", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
                                                   "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    environment["AZURE_SUBSCRIPTION_ID"] = ""
    own_sandbox.control("POST", "settings", {"provisioning_delay_seconds": 0.5})
    cluster = own_sandbox.seed_cluster()
    assert [s["subscriptionId"] for s in own_sandbox.control("GET", "subscriptions")["value"]] == [
        own_sandbox.subscription_id]
    entry = with_env(task("install", **target(cluster), config=CONFIG), **environment)
    result = run_playbook(play(entry)).task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["extension"]["id"].startswith(f"/subscriptions/{own_sandbox.subscription_id}/")
    listed = [e for e in own_sandbox.control("GET", "requests")["value"] if e["path"] == "/subscriptions"]
    assert listed and listed[0]["status"] == 200

    own_sandbox.control("POST", "subscriptions", {"subscription_id": str(uuid.uuid4())})
    result = run_playbook(play(entry)).task("install")
    assert result.get("failed") is True
    assert "subscription_id is required" in result["msg"] and "2 subscriptions" in result["msg"]
    assert "AZURE_SUBSCRIPTION_ID" in result["msg"]
