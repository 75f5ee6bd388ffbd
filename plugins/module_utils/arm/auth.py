# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Azure cloud, and which credential: the same choices and names as azure.azcollection.

`resolve_cloud` turns `cloud_environment` (a known cloud name, or a metadata URL as Azure Stack Hub and
the local sandbox use) into endpoints; `choose_auth` decides from the options and the environment which
credential to build (pure, so it is unit-tested); `build_credential` builds it with azure-identity.

Nothing heavy is imported here: `requests` only when a metadata document is fetched, azure-identity only
when a credential is built (with the token cache, only when no cached token serves the task).
"""

from __future__ import annotations

import configparser
import hashlib
import importlib.util
import json
import os
import platform
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AuthError


def _missing(*names: str) -> Exception | None:
    """An ImportError for the first package that is not installed, found without importing it."""
    for name in names:
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError) as exc:
            return ImportError(f"{name}: {exc}")
        if found is None:
            return ImportError(f"No module named '{name}'")
    return None


# Reported by the module through missing_required_lib; the packages themselves are imported where used.
IMPORT_ERROR: Exception | None = _missing("requests", "azure.identity")


@dataclass(frozen=True)
class Cloud:
    name: str
    resource_manager: str  # base URL without a trailing slash
    authority: str  # Entra ID (login) endpoint
    audience: str  # the token audience of Resource Manager

    @property
    def scope(self) -> str:
        return self.audience.rstrip("/") + "/.default"

    @property
    def is_known(self) -> bool:
        return self.name in KNOWN_CLOUDS


KNOWN_CLOUDS: dict[str, Cloud] = {
    c.name: c
    for c in (
        Cloud("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
              "https://management.core.windows.net/"),
        Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
              "https://management.core.chinacloudapi.cn/"),
        Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
              "https://management.core.usgovcloudapi.net/"),
    )
}

# The metadata document of a cloud. Public Azure answers this api-version with one JSON object (name,
# resourceManager, authentication.{loginEndpoint, audiences}, suffixes); Azure Stack Hub with a list of such
# objects. Both are read.
METADATA_PATH = "/metadata/endpoints?api-version=2022-09-01"


def metadata_url(value: str) -> str:
    """A bare Resource Manager URL gets the metadata path appended; a full metadata URL is kept."""
    parts = urlsplit(value)
    if parts.path in ("", "/") and not parts.query:
        return value.rstrip("/") + METADATA_PATH
    return value


def cloud_from_metadata(url: str, document: Any) -> Cloud:
    """Read a metadata document in either form: one cloud object, or a list of them.

    From a list, the cloud whose resourceManager is on the URL's host is taken (else the first). Every
    endpoint comes from the document; the URL's host is used only when a list entry names no resourceManager.
    """
    host = urlsplit(url).netloc.lower()
    if isinstance(document, list):
        clouds = [c for c in document if isinstance(c, dict)]
        if not clouds:
            raise AuthError(f"cloud_environment {url} returned no cloud")
        chosen = next((c for c in clouds if urlsplit(c.get("resourceManager") or "").netloc.lower() == host), clouds[0])
    elif isinstance(document, dict) and isinstance(document.get("authentication"), dict):
        chosen = document
    else:
        raise AuthError(f"cloud_environment {url} did not return a cloud metadata document")
    auth = chosen.get("authentication") or {}
    audiences = auth.get("audiences") or []
    if isinstance(audiences, str):
        audiences = [audiences]
    if not auth.get("loginEndpoint") or not audiences:
        raise AuthError(f"cloud_environment {url}: the metadata lacks authentication.loginEndpoint or audiences")
    resource_manager = chosen.get("resourceManager") or f"https://{host}"
    name = chosen.get("name") or urlsplit(resource_manager).netloc or host
    return Cloud(name, resource_manager.rstrip("/"), auth["loginEndpoint"].rstrip("/"), audiences[0])


def resolve_cloud(value: str | None, verify: bool, cache: Any = None) -> Cloud:
    """Return the endpoints of a named cloud, or fetch them from a metadata URL (through `cache`, a TokenCache)."""
    value = value or "AzureCloud"
    for name, cloud in KNOWN_CLOUDS.items():
        if value.lower() == name.lower():
            return cloud
    if not value.lower().startswith("https://"):
        raise AuthError(
            f"cloud_environment {value!r} is neither a known cloud ({', '.join(KNOWN_CLOUDS)}) nor an https "
            "metadata URL"
        )
    url = metadata_url(value)
    if cache is not None and cache.usable():
        document = cache.metadata(url, lambda: fetch_metadata(url, verify), verified=verify)
    else:
        document = fetch_metadata(url, verify)
    return cloud_from_metadata(url, document)


def fetch_metadata(url: str, verify: bool) -> Any:
    """GET a cloud metadata document (JSON); AuthError with the fix on any failure."""
    import requests

    try:
        response = requests.get(url, verify=verify, timeout=30)
        response.raise_for_status()
        document = response.json()
    except requests.exceptions.SSLError as exc:
        raise AuthError(
            f"cloud_environment: the TLS certificate of {url} is not trusted ({exc}). Point REQUESTS_CA_BUNDLE at "
            "the CA that signed it, or set cert_validation_mode: ignore for a test cloud.") from exc
    except (requests.RequestException, ValueError) as exc:
        raise AuthError(f"cloud_environment: could not read the cloud metadata at {url}: {exc}") from exc
    cloud_from_metadata(url, document)  # only a usable document is worth caching
    return document


@dataclass(frozen=True)
class AuthChoice:
    """The credential to build: kind is service_principal, msi or cli."""

    kind: str
    source: str  # where it came from, for messages
    client_id: str | None = None
    secret: str | None = None
    tenant: str | None = None
    subscription_id: str | None = None


def read_credential_file(path: str, profile: str | None) -> dict[str, str] | None:
    """Return the profile section of an azure.azcollection style credential file, if any."""
    # No interpolation: a '%' in a secret is a character, not a reference.
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if not parser.read(os.path.expanduser(path)):
            return None
    except configparser.Error as exc:
        # The parser's own message may quote a line of the file, secret included.
        raise AuthError(f"The credential file {path} is not an INI file with [profile] sections "
                        f"({type(exc).__name__}); fix it or point AZURE_CREDENTIAL_FILE elsewhere.") from None
    section = profile or "default"
    if not parser.has_section(section):
        return None
    return dict(parser.items(section))


def choose_auth(params: Mapping[str, Any], environ: Mapping[str, str], credential_file: dict[str, str] | None) -> AuthChoice:
    """Decide which credential to build, in azure.azcollection's order (pure)."""
    source = params.get("auth_source") or "auto"

    def service_principal(values: Mapping[str, Any], origin: str) -> AuthChoice | None:
        if values.get("client_id") and values.get("secret") and values.get("tenant"):
            return AuthChoice("service_principal", origin, values["client_id"], values["secret"], values["tenant"],
                              values.get("subscription_id"))
        return None

    env_values = {
        "client_id": environ.get("AZURE_CLIENT_ID"),
        "secret": environ.get("AZURE_SECRET"),
        "tenant": environ.get("AZURE_TENANT"),
        "subscription_id": environ.get("AZURE_SUBSCRIPTION_ID"),
    }
    has_msi_env = bool(environ.get("IDENTITY_ENDPOINT") or environ.get("MSI_ENDPOINT"))

    if source == "msi":
        return AuthChoice("msi", "msi", client_id=params.get("client_id"), subscription_id=params.get("subscription_id"))
    if source == "cli":
        return AuthChoice("cli", "cli", subscription_id=params.get("subscription_id"))
    if source == "env":
        choice = service_principal(env_values, "env")
        if choice is None:
            raise AuthError("auth_source=env needs AZURE_CLIENT_ID, AZURE_SECRET and AZURE_TENANT in the environment")
        return choice
    if source == "credential_file":
        choice = service_principal(credential_file or {}, "credential_file")
        if choice is None:
            raise AuthError(
                f"auth_source=credential_file: profile [{params.get('profile') or 'default'}] with client_id, secret "
                "and tenant was not found in ~/.azure/credentials (or AZURE_CREDENTIAL_FILE)"
            )
        return choice
    for candidate in (
        service_principal(params, "parameters"),
        service_principal(env_values, "env"),
        service_principal(credential_file or {}, "credential_file"),
    ):
        if candidate is not None:
            return candidate
    if has_msi_env:
        return AuthChoice("msi", "msi", client_id=params.get("client_id"), subscription_id=params.get("subscription_id"))
    return AuthChoice("cli", "cli", subscription_id=params.get("subscription_id"))


def cache_identity(choice: AuthChoice, cloud: Cloud, environ: Mapping[str, str],
                   secret_hash: Callable[[str | None], str]) -> tuple[str, ...] | None:
    """What a cached token is for, with every secret only as `secret_hash(secret)`; None: do not cache.

    A service principal: the authority, tenant, client and secret. A managed identity: the machine, its
    endpoint (the App Service or Arc one, else IMDS), the client id of a user-assigned one and the identity header. The
    Azure CLI: its config directory and the account it is logged in to (azureProfile.json), so `az login`
    or `az account set` as someone else never meets a token of the one before.
    """
    if choice.kind == "service_principal":
        return ("service_principal", cloud.authority, choice.tenant or "", choice.client_id or "",
                secret_hash(choice.secret))
    if choice.kind == "msi":
        endpoint = environ.get("IDENTITY_ENDPOINT") or environ.get("MSI_ENDPOINT") or "imds"
        header = environ.get("IDENTITY_HEADER") or environ.get("MSI_SECRET")
        # the machine too: a home directory shared between VMs must not hand one VM's identity to another
        return ("msi", platform.node(), endpoint, choice.client_id or "", secret_hash(header))
    config_dir = os.path.expanduser(environ.get("AZURE_CONFIG_DIR") or "~/.azure")
    try:
        with open(os.path.join(config_dir, "azureProfile.json"), "rb") as handle:
            profile = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None  # not logged in, or somewhere we cannot see: the CLI decides, uncached
    return ("cli", config_dir, profile)


def build_credential(choice: AuthChoice, cloud: Cloud, verify: bool) -> Any:
    """Build the azure-identity credential for a choice, pointed at the cloud's authority."""
    from azure.identity import AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential

    transport_options: dict[str, Any] = {} if verify else {"connection_verify": False}
    if choice.kind == "service_principal":
        return ClientSecretCredential(
            choice.tenant, choice.client_id, choice.secret,
            authority=cloud.authority,
            # A private cloud's authority is not in Microsoft's instance list.
            disable_instance_discovery=not cloud.is_known,
            **transport_options,
        )
    if choice.kind == "msi":
        return ManagedIdentityCredential(client_id=choice.client_id, **transport_options)
    return AzureCliCredential()


def cli_default_subscription(run_command: Callable[[list[str]], tuple[int, str, str]]) -> str | None:
    """The subscription `az account show` reports, when the Azure CLI is installed and logged in."""
    try:
        rc, out, _err = run_command(["az", "account", "show", "--output", "json"])
    except OSError:
        return None
    if rc != 0:
        return None
    try:
        return json.loads(out).get("id")
    except ValueError:
        return None
