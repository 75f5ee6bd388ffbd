# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The door to Azure for controller plugins (the inventory): the modules' cloud selection, credential choice,
user agent and jittered retries (module_utils/arm/auth.py and client.py), on one azure-core pipeline that reads
ARM JSON. Raises AuthError or AzureCallError (module_utils/arm/errors.py), never exits.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any, Callable, Mapping

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import auth, token_cache
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AuthError
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.rest import ArmReader

SDK_IMPORT_ERROR: Exception | None = auth._missing("requests", "azure.core", "azure.mgmt.core")  # pylint: disable=protected-access

# The auth options of doc fragment azureml.kubernetes.azure.PLUGIN (the modules' names and variables).
AUTH_OPTIONS = ("auth_source", "profile", "subscription_id", "client_id", "secret", "tenant", "cloud_environment",
                "cert_validation_mode", "token_cache")


class ArmSession:
    """One cloud and one credential for the inventory: its reader (arm/rest.ArmReader) is safe to share between threads."""

    def __init__(self, options: Mapping[str, Any], environ: Mapping[str, str] | None = None,
                 run_command: Callable[[list[str]], tuple[int, str, str]] | None = None, pool_size: int = 10) -> None:
        if SDK_IMPORT_ERROR is not None or auth.IMPORT_ERROR is not None:
            raise AuthError("The inventory needs the Python packages azure-identity, azure-core and azure-mgmt-core "
                            "(pip install -r requirements.txt of the collection) in the Python that runs Ansible: "
                            f"{SDK_IMPORT_ERROR or auth.IMPORT_ERROR}")
        self.options = {k: options.get(k) for k in AUTH_OPTIONS}
        self.options["auth_source"] = self.options["auth_source"] or "auto"
        self.environ = dict(os.environ if environ is None else environ)
        self.run_command = run_command
        self.pool_size = max(1, pool_size)

    @property
    def verify_tls(self) -> bool:
        return self.options.get("cert_validation_mode") != "ignore"

    @cached_property
    def token_cache(self) -> token_cache.TokenCache | None:
        """The modules' token and metadata cache (module_utils/arm/token_cache), unless token_cache is off."""
        if self.options.get("token_cache") is False:
            return None
        return token_cache.TokenCache(token_cache.default_dir(self.environ))

    @cached_property
    def cloud(self) -> auth.Cloud:
        return auth.resolve_cloud(self.options.get("cloud_environment"), self.verify_tls, self.token_cache)

    @cached_property
    def choice(self) -> auth.AuthChoice:
        credential_file = None
        if self.options["auth_source"] in ("auto", "credential_file"):
            credential_file = auth.read_credential_file(
                self.environ.get("AZURE_CREDENTIAL_FILE", "~/.azure/credentials"), self.options.get("profile"))
        return auth.choose_auth(self.options, self.environ, credential_file)

    @cached_property
    def credential(self) -> Any:
        return token_cache.credential(self.choice, self.cloud, self.verify_tls, self.token_cache, self.environ,
                                      "Check the inventory's tenant, client_id and cloud_environment options (or "
                                      "AZURE_TENANT, AZURE_CLIENT_ID, AZURE_CLOUD_ENVIRONMENT).")

    def default_subscription(self) -> str | None:
        """The credential's own subscription: the option, AZURE_SUBSCRIPTION_ID, or the Azure CLI's default."""
        subscription = self.options.get("subscription_id") or self.choice.subscription_id
        if not subscription and self.choice.kind == "cli" and self.run_command is not None:
            subscription = auth.cli_default_subscription(self.run_command)
        return subscription or None

    @cached_property
    def reader(self) -> ArmReader:
        """The modules' reader (module_utils/arm/rest), with a connection per inventory reader thread."""
        return ArmReader(self.cloud.resource_manager, self.credential, self.cloud.scope, verify=self.verify_tls,
                         pool_size=self.pool_size)
