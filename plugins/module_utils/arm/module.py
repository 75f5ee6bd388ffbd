# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AzureModule: the one door to Azure every module of this collection goes through.

It owns the auth options, the cloud, the credential, the subscription, the reader of plain ARM GETs
(arm/rest), SDK client creation for writes (arm/client) and the waiter (arm/waiter, within the user's
wait_timeout). Its properties raise typed errors (arm/errors); the runner reports them through `fail()`,
the one way out with an error.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any, NoReturn

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import auth, token_cache
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.client import build_client
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AuthError, CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.rest import ArmReader
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.waiter import (
    DEFAULT_WAIT_TIMEOUT,
    MAX_WAIT_TIMEOUT,
    Waiter,
)

# Reported by the module through missing_required_lib; found, not imported (the SDK loads where it is used).
SDK_IMPORT_ERROR: Exception | None = auth._missing("azure.core", "azure.mgmt.core")  # pylint: disable=protected-access


def azure_argument_spec() -> dict[str, Any]:
    """The auth options of doc fragment azureml.kubernetes.azure."""
    return dict(
        auth_source=dict(type="str", default="auto", choices=["auto", "cli", "env", "credential_file", "msi"],
                         fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
        profile=dict(type="str", fallback=(env_fallback, ["AZURE_PROFILE"])),
        subscription_id=dict(type="str", fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_SECRET"])),
        tenant=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT"])),
        cloud_environment=dict(type="str", default="AzureCloud", fallback=(env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])),
        cert_validation_mode=dict(type="str", default="validate", choices=["validate", "ignore"],
                                  fallback=(env_fallback, ["AZURE_CERT_VALIDATION_MODE"])),
        token_cache=dict(type="bool", default=True, fallback=(env_fallback, [token_cache.ENABLE_ENV])),
    )


def wait_argument_spec() -> dict[str, Any]:
    """The `wait`/`wait_timeout` options of doc fragment azureml.kubernetes.wait."""
    return dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT),
    )


class AzureModule:
    """Base of every Azure-facing module: build it with the module's own argument spec."""

    def __init__(self, argument_spec: dict[str, Any], **module_kwargs: Any) -> None:
        spec = azure_argument_spec()
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
        # Like the argument spec's own checks, these come before any runner: nothing can work without them.
        if SDK_IMPORT_ERROR is not None or auth.IMPORT_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("azure-identity and azure-mgmt-core"),
                                  exception=str(SDK_IMPORT_ERROR or auth.IMPORT_ERROR))
        timeout = self.params.get("wait_timeout")
        if timeout is not None and not 1 <= timeout <= MAX_WAIT_TIMEOUT:
            self.module.fail_json(msg=f"wait_timeout must be between 1 and {MAX_WAIT_TIMEOUT} seconds (got {timeout}); "
                                  "to return without waiting, set wait: false.")
        self.waiter = Waiter(timeout, enabled=self.params.get("wait", True))

    # --- inputs
    @property
    def params(self) -> dict[str, Any]:
        return self.module.params

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def diff_mode(self) -> bool:
        return bool(self.module._diff)

    @property
    def verify_tls(self) -> bool:
        return self.params["cert_validation_mode"] != "ignore"

    # --- auth (each raises AuthError or AzureCallError)
    @cached_property
    def token_cache(self) -> token_cache.TokenCache | None:
        """The controller's token and metadata cache (arm/token_cache), unless token_cache is off."""
        return token_cache.TokenCache() if self.params.get("token_cache", True) else None

    @cached_property
    def cloud(self) -> auth.Cloud:
        return auth.resolve_cloud(self.params["cloud_environment"], self.verify_tls, self.token_cache)

    @cached_property
    def _auth_choice(self) -> auth.AuthChoice:
        credential_file = None
        if self.params["auth_source"] in ("auto", "credential_file"):
            credential_file = auth.read_credential_file(
                os.environ.get("AZURE_CREDENTIAL_FILE", "~/.azure/credentials"), self.params["profile"])
        return auth.choose_auth(self.params, os.environ, credential_file)

    @cached_property
    def credential(self) -> Any:
        return token_cache.credential(self._auth_choice, self.cloud, self.verify_tls, self.token_cache, os.environ,
                                      "Check tenant, client_id and cloud_environment.")

    @cached_property
    def subscription_id(self) -> str:
        subscription = self.params["subscription_id"] or self._auth_choice.subscription_id
        if not subscription and self._auth_choice.kind == "cli":
            subscription = auth.cli_default_subscription(
                lambda args: self.module.run_command(args, check_rc=False, handle_exceptions=False))
        if not subscription:
            subscription = self._only_visible_subscription()
        return subscription

    def _only_visible_subscription(self) -> str:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        client = self.client(SubscriptionClient, with_subscription=False)
        ids = call(lambda: [s.subscription_id for s in client.subscriptions.list()], "list your subscriptions")
        if len(ids) != 1:
            raise AuthError(f"subscription_id is required: the identity sees {len(ids)} subscriptions. Set "
                            "subscription_id or AZURE_SUBSCRIPTION_ID.")
        return ids[0]

    # --- clients
    @cached_property
    def reader(self) -> ArmReader:
        """Plain ARM GETs (arm/rest) on the SDK clients' policies: reads need no SDK client."""
        return ArmReader(self.cloud.resource_manager, self.credential, self.cloud.scope, verify=self.verify_tls)

    def client(self, client_class: type, *, with_subscription: bool = True, **kwargs: Any) -> Any:
        """An SDK management client for this cloud, with our retry policy and TLS settings."""
        return build_client(client_class, self.credential, self.cloud.resource_manager, self.cloud.scope,
                            verify=self.verify_tls,
                            subscription_id=self.subscription_id if with_subscription else None, **kwargs)

    # --- outcomes: used by runners only
    def fail(self, msg: str, **extra: Any) -> NoReturn:
        self.module.fail_json(msg=msg, **extra)
        raise AssertionError("unreachable")  # fail_json exits; this satisfies type checkers

    def fail_error(self, error: CollectionError, **extra: Any) -> NoReturn:
        self.fail(error.message, **{**error.details, **extra})

    def warn(self, msg: str) -> None:
        self.module.warn(msg)

    def hide(self, *secrets: str | None) -> None:
        """Mask values that did not come in through a no_log option (file contents, fetched keys)."""
        for secret in secrets:
            if secret:
                self.module.no_log_values.add(secret)

    def exit(self, **result: Any) -> NoReturn:
        self.module.exit_json(**result)
        raise AssertionError("unreachable")
