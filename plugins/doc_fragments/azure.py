# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure authentication options shared by every Azure-facing module of this collection."""

from __future__ import annotations


class ModuleDocFragment:
    # Names and environment variables follow azure.azcollection, so existing inventories, vaults and
    # module_defaults carry over unchanged.
    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the Azure credentials come from.
      - V(auto) tries, in order, the O(client_id)/O(secret)/O(tenant) options, the E(AZURE_CLIENT_ID)/E(AZURE_SECRET)/E(AZURE_TENANT)
        environment variables, the O(profile) of C(~/.azure/credentials), a managed identity when E(IDENTITY_ENDPOINT) or
        E(MSI_ENDPOINT) is set, and finally the Azure CLI login.
      - V(cli) uses the Azure CLI login (C(az login)); V(env) the environment variables; V(credential_file) C(~/.azure/credentials)
        (or E(AZURE_CREDENTIAL_FILE)); V(msi) a managed identity (O(client_id) selects a user-assigned one).
      - Can also be set with E(ANSIBLE_AZURE_AUTH_SOURCE).
    type: str
    default: auto
    choices: [auto, cli, env, credential_file, msi]
  profile:
    description:
      - Section of the credential file to read. Can also be set with E(AZURE_PROFILE).
    type: str
  subscription_id:
    description:
      - The subscription holding the cluster. Can also be set with E(AZURE_SUBSCRIPTION_ID).
      - When not given, the Azure CLI's default subscription (V(cli)) or the only subscription the identity can see is used.
    type: str
  client_id:
    description:
      - Service principal application (client) ID, or the client ID of a user-assigned managed identity with O(auth_source=msi).
      - Can also be set with E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - Service principal secret. Can also be set with E(AZURE_SECRET).
    type: str
  tenant:
    description:
      - Microsoft Entra ID tenant of the service principal. Can also be set with E(AZURE_TENANT).
    type: str
  cloud_environment:
    description:
      - "The Azure cloud: V(AzureCloud), V(AzureChinaCloud) or V(AzureUSGovernment), or the URL of a cloud's metadata
        endpoint (Azure Stack Hub, or the collection's local sandbox), for example
        C(https://management.local.azurestack.external/metadata/endpoints?api-version=2022-09-01)."
      - Can also be set with E(AZURE_CLOUD_ENVIRONMENT).
    type: str
    default: AzureCloud
  cert_validation_mode:
    description:
      - V(ignore) skips TLS certificate validation of Azure endpoints, for test clouds only.
      - To trust a private CA, point E(REQUESTS_CA_BUNDLE) at it instead.
      - Can also be set with E(AZURE_CERT_VALIDATION_MODE).
    type: str
    choices: [validate, ignore]
    default: validate
  token_cache:
    description:
      - Keep the access token and the cloud metadata on the controller for the tasks that follow, so a run over many
        clusters asks the identity provider and the metadata endpoint once per credential, not once per task.
      - Tokens live in C($XDG_CACHE_HOME/azureml.kubernetes/) (by default C(~/.cache/azureml.kubernetes/); E(AZUREML_TOKEN_CACHE_DIR)
        moves it), a directory of mode 0700 with files of mode 0600, as the Azure CLI keeps C(~/.azure/msal_token_cache.json).
        A token is reused until five minutes before it expires (Entra ID tokens live about an hour), cloud metadata for an hour.
      - A token file is named after the authority, tenant, client, scope and a salted hash of the secret, so a changed secret
        never reuses a token; the secret itself is never written. A token Azure refuses is dropped and fetched again once.
      - V(false) fetches a token and the metadata in every task, as azure.azcollection does. Can also be set with
        E(AZUREML_TOKEN_CACHE).
    type: bool
    default: true
requirements:
  - python >= 3.11
  - azure-identity
  - azure-mgmt-core
notes:
  - The modules run on the controller (or the host they are delegated to), which needs the Python packages
    listed in the collection's C(requirements.txt).
  - Give O(secret) from a vault, or as E(AZURE_SECRET) in the environment of C(ansible-playbook) itself. Do not set it
    with a task's C(environment) keyword, which Ansible shows in clear text at C(-vvv).
  - The Azure SDK's automatic resource provider registration is turned off, so no request writes anything the task
    did not say it would (check mode included).
"""

    # The same options for controller plugins (the inventory aml_clusters): the same names and AZURE_* variables,
    # given in the inventory source or the environment.
    PLUGIN = r"""
options:
  auth_source:
    description:
      - Where the Azure credentials come from, as for the modules.
      - V(auto) tries, in order, the O(client_id)/O(secret)/O(tenant) options, the E(AZURE_CLIENT_ID)/E(AZURE_SECRET)/E(AZURE_TENANT)
        environment variables, the O(profile) of C(~/.azure/credentials), a managed identity when E(IDENTITY_ENDPOINT) or
        E(MSI_ENDPOINT) is set, and finally the Azure CLI login.
      - V(cli) uses the Azure CLI login (C(az login)); V(env) the environment variables; V(credential_file) C(~/.azure/credentials)
        (or E(AZURE_CREDENTIAL_FILE)); V(msi) a managed identity (O(client_id) selects a user-assigned one).
    type: str
    default: auto
    choices: [auto, cli, env, credential_file, msi]
    env:
      - name: ANSIBLE_AZURE_AUTH_SOURCE
  profile:
    description:
      - Section of the credential file to read.
    type: str
    env:
      - name: AZURE_PROFILE
  subscription_id:
    description:
      - The credential's subscription, listed when O(subscriptions) is not given.
    type: str
    env:
      - name: AZURE_SUBSCRIPTION_ID
  client_id:
    description:
      - Service principal application (client) ID, or the client ID of a user-assigned managed identity with O(auth_source=msi).
    type: str
    env:
      - name: AZURE_CLIENT_ID
  secret:
    description:
      - Service principal secret. Prefer E(AZURE_SECRET), or a vaulted value, to writing it in the inventory file.
    type: str
    env:
      - name: AZURE_SECRET
  tenant:
    description:
      - Microsoft Entra ID tenant of the service principal.
    type: str
    env:
      - name: AZURE_TENANT
  cloud_environment:
    description:
      - "The Azure cloud: V(AzureCloud), V(AzureChinaCloud) or V(AzureUSGovernment), or the URL of a cloud's metadata
        endpoint (Azure Stack Hub, or the collection's local sandbox)."
    type: str
    default: AzureCloud
    env:
      - name: AZURE_CLOUD_ENVIRONMENT
  cert_validation_mode:
    description:
      - V(ignore) skips TLS certificate validation of Azure endpoints, for test clouds only.
      - To trust a private CA, point E(REQUESTS_CA_BUNDLE) at it instead.
    type: str
    choices: [validate, ignore]
    default: validate
    env:
      - name: AZURE_CERT_VALIDATION_MODE
  token_cache:
    description:
      - "Share the modules' controller-side cache of access tokens and cloud metadata (see the modules' O(token_cache)):
        C($XDG_CACHE_HOME/azureml.kubernetes/) or E(AZUREML_TOKEN_CACHE_DIR), mode 0700, files 0600, no secret written."
      - V(false) fetches a token and the metadata on every inventory run.
    type: bool
    default: true
    env:
      - name: AZUREML_TOKEN_CACHE
requirements:
  - python >= 3.11
  - azure-identity
  - azure-core
  - azure-mgmt-core
"""
