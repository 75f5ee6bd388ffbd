"""Cloud selection and credential choice, in azure.azcollection's order."""

from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.auth import (
    AuthError,
    choose_auth,
    cloud_from_metadata,
    metadata_url,
    resolve_cloud,
)

SP = {"client_id": "app", "secret": "s", "tenant": "t"}
ENV_SP = {"AZURE_CLIENT_ID": "env-app", "AZURE_SECRET": "env-s", "AZURE_TENANT": "env-t"}


def test_known_clouds_resolve_without_a_request():
    cloud = resolve_cloud("azurechinacloud", verify=True)
    assert cloud.resource_manager == "https://management.chinacloudapi.cn"
    assert cloud.scope == "https://management.core.chinacloudapi.cn/.default"


def test_a_name_that_is_not_a_cloud_or_https_url_is_refused():
    with pytest.raises(AuthError, match="neither a known cloud"):
        resolve_cloud("http://insecure.example", verify=True)


def test_metadata_url_completion():
    assert metadata_url("https://127.0.0.1:8443") == "https://127.0.0.1:8443/metadata/endpoints?api-version=2022-09-01"
    full = "https://x/metadata/endpoints?api-version=2015-01-01"
    assert metadata_url(full) == full


def test_list_metadata_picks_the_cloud_of_the_host():
    doc = [
        {"name": "Other", "resourceManager": "https://other/", "authentication": {
            "loginEndpoint": "https://login.other/", "audiences": ["https://other-aud/"]}},
        {"name": "AzureSandbox", "resourceManager": "https://127.0.0.1:9/", "authentication": {
            "loginEndpoint": "https://127.0.0.1:9/", "audiences": ["https://management.core.windows.net/"]}},
    ]
    cloud = cloud_from_metadata("https://127.0.0.1:9/metadata/endpoints?api-version=2022-09-01", doc)
    assert (cloud.name, cloud.resource_manager, cloud.authority) == ("AzureSandbox", "https://127.0.0.1:9",
                                                                     "https://127.0.0.1:9")
    assert not cloud.is_known


def test_legacy_single_cloud_metadata():
    doc = {"galleryEndpoint": "", "authentication": {"loginEndpoint": "https://adfs.local/adfs",
                                                     "audiences": ["https://management.adfs.local/x"]}}
    cloud = cloud_from_metadata("https://management.local.azurestack.external/metadata/endpoints?api-version=1.0", doc)
    assert cloud.resource_manager == "https://management.local.azurestack.external"


def test_metadata_without_authentication_is_refused():
    with pytest.raises(AuthError, match="loginEndpoint"):
        cloud_from_metadata("https://x/", [{"name": "x", "resourceManager": "https://x/", "authentication": {}}])


def test_auto_prefers_parameters_then_env_then_file_then_msi_then_cli():
    assert choose_auth({**SP, "auth_source": "auto"}, ENV_SP, None).client_id == "app"
    assert choose_auth({"auth_source": "auto"}, ENV_SP, None).client_id == "env-app"
    assert choose_auth({"auth_source": "auto"}, {}, {"client_id": "f", "secret": "s", "tenant": "t"}).source == \
        "credential_file"
    assert choose_auth({"auth_source": "auto"}, {"IDENTITY_ENDPOINT": "https://x"}, None).kind == "msi"
    assert choose_auth({"auth_source": "auto"}, {}, None).kind == "cli"


def test_explicit_sources():
    msi = choose_auth({"auth_source": "msi", "client_id": "uami"}, ENV_SP, None)
    assert (msi.kind, msi.client_id) == ("msi", "uami")
    assert choose_auth({"auth_source": "cli"}, ENV_SP, None).kind == "cli"
    with pytest.raises(AuthError, match="AZURE_CLIENT_ID"):
        choose_auth({"auth_source": "env"}, {}, None)
    with pytest.raises(AuthError, match="profile"):
        choose_auth({"auth_source": "credential_file", "profile": "prod"}, {}, None)


def test_credential_files_are_read_literally_and_broken_ones_fail_without_their_content(tmp_path):
    from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.auth import read_credential_file

    good = tmp_path / "credentials"
    good.write_text("[default]\nclient_id=app\nsecret=ab%cdSECRETVALUE\ntenant=t\n")
    assert read_credential_file(str(good), None)["secret"] == "ab%cdSECRETVALUE"
    assert read_credential_file(str(good), "other") is None
    assert read_credential_file(str(tmp_path / "missing"), None) is None
    broken = tmp_path / "broken"
    broken.write_text("secret=TOPSECRETVALUE\n")
    with pytest.raises(AuthError) as info:
        read_credential_file(str(broken), None)
    assert "TOPSECRETVALUE" not in str(info.value) and "AZURE_CREDENTIAL_FILE" in str(info.value)


# Public Azure's answer to /metadata/endpoints?api-version=2022-09-01: one object (abridged).
PUBLIC_OBJECT = {
    "name": "AzureCloud",
    "portal": "https://portal.azure.com",
    "resourceManager": "https://management.azure.com/",
    "authentication": {"loginEndpoint": "https://login.microsoftonline.com",
                       "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
                       "tenant": "common", "identityProvider": "AAD"},
    "suffixes": {"storage": "core.windows.net"},
}


def test_object_metadata_is_read_from_the_document_not_from_the_url():
    # Served from another host than its resourceManager (a mirror, a proxy, the sandbox on 127.0.0.1).
    cloud = cloud_from_metadata("https://metadata.mirror.example/metadata/endpoints?api-version=2022-09-01",
                                PUBLIC_OBJECT)
    assert cloud.name == "AzureCloud" and cloud.is_known
    assert cloud.resource_manager == "https://management.azure.com"
    assert cloud.authority == "https://login.microsoftonline.com"
    assert cloud.scope == "https://management.core.windows.net/.default"


def test_object_and_list_forms_give_the_same_cloud():
    sandbox = {"name": "AzureSandbox", "resourceManager": "https://127.0.0.1:9/",
               "authentication": {"loginEndpoint": "https://127.0.0.1:9/",
                                  "audiences": ["https://management.core.windows.net/"]}}
    url = "https://127.0.0.1:9/metadata/endpoints?api-version=2022-09-01"
    assert cloud_from_metadata(url, sandbox) == cloud_from_metadata(url, [sandbox])
    # An Azure Stack Hub list served from a host that none of its entries names: the first cloud.
    assert cloud_from_metadata("https://elsewhere/", [sandbox]).resource_manager == "https://127.0.0.1:9"


def test_a_document_that_is_no_cloud_is_refused():
    for document in ({"resourceManager": "https://x/"}, [], ["x"], "text", None):
        with pytest.raises(AuthError):
            cloud_from_metadata("https://x/", document)
