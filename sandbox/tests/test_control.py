"""Control API, faults, error envelopes, request-log masking, concurrency, restart and the CLI."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from azure.mgmt.kubernetesconfiguration.models import Extension

from .conftest import RG, SUB, Sandbox, client_kwargs, run_cli

ARC_PATH = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Kubernetes/connectedClusters/arc-aml-demo"
EXT = ARC_PATH + "/providers/Microsoft.KubernetesConfiguration/extensions"


def _auth(sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token()}"}


def test_health_and_files(sandbox):
    status, body, _ = sandbox.ctl("GET", "/_sandbox/health")
    assert status == 200 and body["status"] == "ok"
    for f in ("pid", "ca.pem", "env", "inventory.yml", "state.json", "port"):
        assert (sandbox.state_dir / f).exists(), f
    inv = yaml.safe_load((sandbox.state_dir / "inventory.yml").read_text())
    kubeconfig = str((sandbox.state_dir / "kubeconfig").resolve())
    assert inv["all"]["children"]["aml_clusters"]["vars"] == {
        "ansible_python_interpreter": "{{ ansible_playbook_python }}", "aml_kubeconfig": kubeconfig}
    groups = inv["all"]["children"]["aml_clusters"]["children"]
    aks = groups["aks"]["hosts"]["aks-aml-demo"]
    assert aks == {"ansible_connection": "local", "aml_cluster_type": "managedClusters",
                   "aml_cluster_name": "aks-aml-demo", "aml_resource_group": RG, "aml_subscription_id": SUB,
                   "aml_location": "eastus", "aml_kube_context": "aks-aml-demo"}
    contexts = {c["name"] for c in yaml.safe_load(Path(kubeconfig).read_text())["contexts"]}
    assert contexts == {"aks-aml-demo", "arc-aml-demo"}
    assert groups["arc"]["hosts"]["arc-aml-demo"]["aml_cluster_type"] == "connectedClusters"
    env = sandbox.env
    assert env["ANSIBLE_AZURE_AUTH_SOURCE"] == "msi" and env["AZURE_SUBSCRIPTION_ID"] == SUB
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == str(sandbox.state_dir / "ca.pem")
    assert env["IDENTITY_ENDPOINT"] == sandbox.url + "/msi/token" and env["AML_SANDBOX_URL"] == sandbox.url
    assert env["K8S_AUTH_KUBECONFIG"] == kubeconfig


def test_cli_start_is_idempotent(sandbox):
    res = run_cli("start", "--state-dir", str(sandbox.state_dir))
    assert res.returncode == 0 and "already running" in res.stdout


def test_error_envelopes(sandbox):
    hdr = _auth(sandbox)
    status, body, _ = sandbox.ctl("PUT", EXT + "/x?api-version=2023-05-01", raw=b"{not json", headers=hdr)
    assert status == 400 and body["error"]["code"] == "InvalidRequestContent"
    status, body, _ = sandbox.ctl("GET", f"/subscriptions/{SUB}/providers/Microsoft.Foo/bars?api-version=2023-05-01",
                                  headers=hdr)
    assert status == 404 and body["error"]["code"] == "InvalidResourceType"
    status, body, _ = sandbox.ctl("GET", "/nothing/here")
    assert status == 404 and body["error"]["code"] == "NotFound"
    status, body, _ = sandbox.ctl("POST", EXT + "?api-version=2023-05-01", body={}, headers=hdr)
    assert status == 405 and "error" in body
    status, body, _ = sandbox.ctl("GET", "/_sandbox/crash")
    assert status == 500 and body == {"error": {"code": "InternalServerError", "message": body["error"]["message"]}}
    assert "Traceback" not in json.dumps(body)
    _, _, headers = sandbox.ctl("GET", EXT + "?api-version=2023-05-01", headers=hdr)
    assert headers["x-ms-request-id"] and headers["x-ms-correlation-request-id"]
    assert "x-ms-ratelimit-remaining-subscription-reads" in headers
    assert "x-ms-ratelimit-remaining-subscription-global-reads" in headers


def test_ratelimit_counts_down_and_throttles(sandbox):
    sandbox.settings(ratelimits={"reads": 3})
    hdr = _auth(sandbox)
    remaining = [sandbox.ctl("GET", EXT + "?api-version=2023-05-01", headers=hdr)[2].get(
        "x-ms-ratelimit-remaining-subscription-reads") for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    status, body, headers = sandbox.ctl("GET", EXT + "?api-version=2023-05-01", headers=hdr)
    assert status == 429 and body["error"]["code"] == "SubscriptionRequestsThrottled" and int(headers["Retry-After"]) > 0


def test_fault_429_retry_after_honoured(sandbox, ext_client):
    sandbox.ctl("POST", "/_sandbox/faults", {"method": "GET", "path_pattern": "connectedClusters/arc-aml-demo/.*/extensions$",
                                             "count": 2, "status": 429, "retry_after": 1})
    started = time.time()
    assert list(ext_client.extensions.list(RG, "Microsoft.Kubernetes", "connectedClusters", "arc-aml-demo")) == []
    assert time.time() - started >= 1.8  # two Retry-After: 1 waits
    statuses = [e["status"] for e in sandbox.requests(method="GET", kind="arm")]
    assert statuses == [429, 429, 200]
    assert sandbox.requests(method="GET", kind="arm")[0]["response_body"]["error"]["code"] == "SubscriptionRequestsThrottled"


def test_fault_dropped_connection_is_retried(sandbox, ext_client):
    sandbox.ctl("POST", "/_sandbox/faults", {"method": "GET", "path_pattern": "/extensions$", "drop_connection": True})
    assert list(ext_client.extensions.list(RG, "Microsoft.Kubernetes", "connectedClusters", "arc-aml-demo")) == []
    log = sandbox.requests(method="GET", kind="arm")
    assert log[0].get("dropped") and log[-1]["status"] == 200
    assert sandbox.ctl("GET", "/_sandbox/faults")[1]["value"] == []


def test_request_log_masks_every_secret(sandbox, ext_client):
    secret = "PROTECTED-VALUE-5f1c"
    ext = Extension(extension_type="Microsoft.AzureML.Kubernetes", configuration_settings={"enableTraining": "true"},
                    configuration_protected_settings={"sslKey": secret, "relayServerConnectionString": secret + "2"})
    ext_client.extensions.begin_create(RG, "Microsoft.Kubernetes", "connectedClusters", "arc-aml-demo", "azureml",
                                       ext).result()
    text = json.dumps(sandbox.ctl("GET", "/_sandbox/requests")[1])
    assert secret not in text and sandbox.env["IDENTITY_HEADER"] not in text
    put = sandbox.requests(method="PUT")[0]
    assert put["request_body"]["properties"]["configurationProtectedSettings"] == {"sslKey": "***",
                                                                                  "relayServerConnectionString": "***"}
    assert put["protected_keys"] == ["relayServerConnectionString", "sslKey"]
    assert put["response_body"]["properties"]["configurationProtectedSettings"] == {}
    state = json.dumps(sandbox.ctl("GET", "/_sandbox/state")[1])
    assert secret not in state and '"sslKey": "***"' in state
    assert sandbox.ctl("DELETE", "/_sandbox/requests")[0] == 200
    assert sandbox.requests() == []


def test_concurrent_installs_on_50_clusters(sandbox, ext_client):
    clusters = [{"name": f"aks-load-{i:02d}", "cluster_type": "managedClusters", "node_count": 3} for i in range(50)]
    assert sandbox.ctl("POST", "/_sandbox/clusters", {"clusters": clusters})[0] == 201

    def install(i: int) -> str:
        return ext_client.extensions.begin_create(
            RG, "Microsoft.ContainerService", "managedClusters", f"aks-load-{i:02d}", "azureml",
            Extension(extension_type="Microsoft.AzureML.Kubernetes",
                      configuration_settings={"enableTraining": "true"})).result().provisioning_state

    with ThreadPoolExecutor(max_workers=25) as pool:
        states = list(pool.map(install, range(50)))
    assert states == ["Succeeded"] * 50
    assert len(sandbox.ctl("GET", "/_sandbox/extensions")[1]["value"]) == 50
    inv = (sandbox.state_dir / "inventory.yml").read_text()
    assert "aks-load-49" in inv


class _SandboxMsi:
    """A credential for a second sandbox (the session credential is bound to the first one's env)."""

    def __init__(self, sb) -> None:
        self.sb = sb

    def get_token(self, *scopes, **kw):
        from azure.core.credentials import AccessToken
        _, body, _ = self.sb.ctl("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com",
                                 headers={"X-IDENTITY-HEADER": self.sb.env["IDENTITY_HEADER"]})
        return AccessToken(body["access_token"], int(body["expires_on"]))


def test_state_survives_restart(tmp_path: Path):
    """A second sandbox: an install in flight across stop/start completes; the port is reused."""
    from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient
    d = tmp_path / "restart"
    sb = Sandbox.start(d)
    try:
        sb.settings(provisioning_delay_seconds=1.0)
        sb.ctl("POST", "/_sandbox/clusters", {"name": "arc-persist", "cluster_type": "connectedClusters"})
        client = SourceControlConfigurationClient(_SandboxMsi(sb), SUB, **client_kwargs(sb))
        args = (RG, "Microsoft.Kubernetes", "connectedClusters", "arc-persist", "azureml")
        client.extensions.begin_create(*args, Extension(extension_type="microsoft.flux"), polling=False).result()
        assert client.extensions.get(*args).provisioning_state == "Creating"
        time.sleep(0.4)  # let the debounced save land before stopping (stop also flushes)
        assert run_cli("stop", "--state-dir", str(d)).returncode == 0
        assert run_cli("stop", "--state-dir", str(d)).returncode == 0  # stopping twice is fine
        ca_before = (d / "ca.pem").read_bytes()
        time.sleep(0.8)
        res2 = run_cli("start", "--state-dir", str(d))
        assert res2.returncode == 0, res2.stderr
        assert res2.stdout.strip() == sb.url  # same port
        assert (d / "ca.pem").read_bytes() == ca_before
        got = client.extensions.get(*args)  # the same token still works: signing key persisted
        assert got.provisioning_state == "Succeeded" and got.current_version
        assert "arc-persist" in (d / "inventory.yml").read_text()
    finally:
        run_cli("stop", "--state-dir", str(d))


def test_failure_rules_are_appended_not_replaced(sandbox):
    for cluster in ("c-one", "c-two"):
        status, body, _ = sandbox.ctl("POST", "/_sandbox/failure_rules", {"cluster_name": cluster, "code": "E1"})
        assert status == 201
    assert [r["cluster_name"] for r in sandbox.settings()["failure_rules"]] == ["c-one", "c-two"]
    status, body, _ = sandbox.ctl("POST", "/_sandbox/failure_rules", {"cluster_name": "no-code"})
    assert status == 400 and body["error"]["code"] == "InvalidSettings"
