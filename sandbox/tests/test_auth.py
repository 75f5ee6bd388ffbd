"""Managed identity (App Service protocol), the Entra ID authority, cloud metadata and bearer checks."""
from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError

from .conftest import RG, SUB, client_kwargs

ARM_GET = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Kubernetes/connectedClusters/arc-aml-demo?api-version=2024-01-01"


def test_msi_endpoint_contract(sandbox):
    hdr = {"X-IDENTITY-HEADER": sandbox.env["IDENTITY_HEADER"]}
    status, body, _ = sandbox.ctl("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com",
                                  headers=hdr)
    assert status == 200
    assert set(body) >= {"access_token", "expires_on", "resource", "token_type", "client_id"}
    assert isinstance(body["expires_on"], str) and body["token_type"] == "Bearer"
    status, body, _ = sandbox.ctl("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com"
                                         "&client_id=11111111-2222-3333-4444-555555555555", headers=hdr)
    assert body["client_id"] == "11111111-2222-3333-4444-555555555555"
    assert sandbox.ctl("GET", "/msi/token?api-version=2019-08-01&resource=x")[0] == 401
    assert sandbox.ctl("GET", "/msi/token?api-version=2019-08-01&resource=x", headers={"X-IDENTITY-HEADER": "no"})[0] == 401


def test_real_managed_identity_credential(sandbox, credential):
    tok = credential.get_token("https://management.azure.com/.default")
    assert tok.token.count(".") == 2 and tok.expires_on > 0
    log = sandbox.requests(kind="auth")
    assert log and all(e["response_body"]["access_token"] == "***" for e in log if e["path"] == "/msi/token")


def test_wrong_identity_header_fails(sandbox, monkeypatch):
    from azure.identity import ManagedIdentityCredential
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    with pytest.raises(ClientAuthenticationError):
        ManagedIdentityCredential().get_token("https://management.azure.com/.default")


def test_client_secret_credential_drives_sdk(sandbox):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient
    env = sandbox.env
    cred = ClientSecretCredential(env["AML_SANDBOX_TENANT_ID"], env["AML_SANDBOX_CLIENT_ID"],
                                  env["AML_SANDBOX_CLIENT_SECRET"], authority=sandbox.url,
                                  disable_instance_discovery=True, connection_verify=sandbox.ca)
    client = ConnectedKubernetesClient(cred, SUB, **client_kwargs(sandbox))
    cc = client.connected_cluster.get(RG, "arc-aml-demo")
    assert cc.name == "arc-aml-demo"
    log = sandbox.requests(kind="auth")
    assert [e["path"].rsplit("/", 1)[-1] for e in log][-2:] == ["openid-configuration", "token"]
    assert log[-1]["request_body"]["client_secret"] == "***"
    assert env["AML_SANDBOX_CLIENT_SECRET"] not in str(sandbox.requests())


def test_client_secret_credential_bad_secret(sandbox):
    from azure.identity import ClientSecretCredential
    env = sandbox.env
    cred = ClientSecretCredential(env["AML_SANDBOX_TENANT_ID"], env["AML_SANDBOX_CLIENT_ID"], "wrong",
                                  authority=sandbox.url, disable_instance_discovery=True, connection_verify=sandbox.ca)
    with pytest.raises(ClientAuthenticationError) as err:
        cred.get_token("https://management.azure.com/.default")
    assert "AADSTS7000215" in str(err.value)
    status, body, _ = sandbox.ctl("POST", f"/{env['AML_SANDBOX_TENANT_ID']}/oauth2/v2.0/token",
                                  raw=b"grant_type=client_credentials&client_id=nobody&client_secret=x&scope=a/.default",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and body["error"] == "unauthorized_client" and body["error_codes"] == [700016]


def test_arm_requires_valid_token(sandbox):
    status, body, headers = sandbox.ctl("GET", ARM_GET)
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"
    assert headers["WWW-Authenticate"].startswith("Bearer ")
    status, body, _ = sandbox.ctl("GET", ARM_GET, headers={"Authorization": "Bearer forged.token.value"})
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
    status, body, _ = sandbox.ctl("GET", ARM_GET, headers={"Authorization": f"Bearer {sandbox.token()}"})
    assert status == 200


def test_expired_token_rejected(sandbox):
    sandbox.settings(token_lifetime_seconds=0)
    status, body, _ = sandbox.ctl("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com",
                                  headers={"X-IDENTITY-HEADER": sandbox.env["IDENTITY_HEADER"]})
    status, body, _ = sandbox.ctl("GET", ARM_GET, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert status == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in body["error"]["message"]


def test_sdk_without_token_gets_client_auth_error(sandbox):
    from azure.core.credentials import AccessToken
    from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient

    class Fake:
        def get_token(self, *scopes, **kw):
            return AccessToken("fake", 2**31)

    client = ConnectedKubernetesClient(Fake(), SUB, **client_kwargs(sandbox))
    with pytest.raises(ClientAuthenticationError):
        client.connected_cluster.get(RG, "arc-aml-demo")
