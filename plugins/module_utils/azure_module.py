# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AzureModule: the one door to Azure every module of this collection goes through.

It owns the auth options, the credential, SDK client creation, retries (azure-core's RetryPolicy with
jitter; `Retry-After` is honoured by azure-core itself), waiting for long-running operations within the
user's `wait_timeout`, and the translation of ARM errors into one clear failure. A module then reads as
the operation it performs.
"""

from __future__ import annotations

import os
import random
import time
from functools import cached_property
from typing import Any, Callable, NoReturn

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.azureml.kubernetes.plugins.module_utils import azure_auth
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm_errors import describe_exception

SDK_IMPORT_ERROR: Exception | None
try:
    from azure.core.exceptions import AzureError
    from azure.core.pipeline.policies import RetryPolicy
except ImportError as exc:  # reported by the module through missing_required_lib
    SDK_IMPORT_ERROR = exc
    AzureError = Exception  # keeps `except` clauses valid without the SDK
    RetryPolicy = object
else:
    SDK_IMPORT_ERROR = None

COLLECTION_VERSION = "0.1.0"
USER_AGENT = f"ansible-azureml.kubernetes/{COLLECTION_VERSION}"
# Used between polls only when Azure sends no Retry-After; the KubernetesConfiguration RP often sends none.
DEFAULT_POLLING_INTERVAL = 10


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
    )


def wait_argument_spec(default_timeout: int) -> dict[str, Any]:
    """The `wait`/`wait_timeout` options of doc fragment azureml.kubernetes.wait."""
    return dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=default_timeout),
    )


class JitteredRetryPolicy(RetryPolicy):  # type: ignore[misc,valid-type]
    """azure-core's retry policy with full jitter, so a fleet run does not retry in lockstep.

    Retry-After, when Azure sends it, still decides the delay (azure-core reads it before backoff).
    """

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        return random.uniform(0, super().get_backoff_time(settings))


class AzureModule:
    """Base of every Azure-facing module: build it with the module's own argument spec."""

    def __init__(self, argument_spec: dict[str, Any], **module_kwargs: Any) -> None:
        spec = azure_argument_spec()
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
        if SDK_IMPORT_ERROR is not None or azure_auth.IMPORT_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("azure-identity and azure-mgmt-core"),
                                  exception=str(SDK_IMPORT_ERROR or azure_auth.IMPORT_ERROR))

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

    # --- auth
    @cached_property
    def cloud(self) -> azure_auth.Cloud:
        try:
            return azure_auth.resolve_cloud(self.params["cloud_environment"], self.verify_tls)
        except azure_auth.AzureAuthError as exc:
            self.fail(str(exc))

    @cached_property
    def _auth_choice(self) -> azure_auth.AuthChoice:
        credential_file = azure_auth.read_credential_file(
            os.environ.get("AZURE_CREDENTIAL_FILE", "~/.azure/credentials"), self.params["profile"])
        try:
            return azure_auth.choose_auth(self.params, os.environ, credential_file)
        except azure_auth.AzureAuthError as exc:
            self.fail(str(exc))

    @cached_property
    def credential(self) -> Any:
        return azure_auth.build_credential(self._auth_choice, self.cloud, self.verify_tls)

    @cached_property
    def subscription_id(self) -> str:
        subscription = self.params["subscription_id"] or self._auth_choice.subscription_id
        if not subscription and self._auth_choice.kind == "cli":
            subscription = azure_auth.cli_default_subscription(
                lambda args: self.module.run_command(args, check_rc=False, handle_exceptions=False))
        if not subscription:
            subscription = self._only_visible_subscription()
        return subscription

    def _only_visible_subscription(self) -> str:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        client = self.client(SubscriptionClient, with_subscription=False)
        ids = self.call(lambda: [s.subscription_id for s in client.subscriptions.list()], "list your subscriptions")
        if len(ids) != 1:
            self.fail(f"subscription_id is required: the identity sees {len(ids)} subscriptions. Set subscription_id "
                      "or AZURE_SUBSCRIPTION_ID.")
        return ids[0]

    # --- clients
    def client(self, client_class: type, *, with_subscription: bool = True, **kwargs: Any) -> Any:
        """An SDK management client for this cloud, with our retry policy and TLS settings."""
        options: dict[str, Any] = dict(
            base_url=self.cloud.resource_manager,
            credential_scopes=[self.cloud.scope],
            retry_policy=JitteredRetryPolicy(retry_total=6, retry_backoff_factor=1.0, retry_backoff_max=60),
            polling_interval=DEFAULT_POLLING_INTERVAL,
            user_agent=USER_AGENT,
        )
        if not self.verify_tls:
            options["connection_verify"] = False
        options.update(kwargs)
        if with_subscription:
            return client_class(self.credential, self.subscription_id, **options)
        return client_class(self.credential, **options)

    # --- calls and waits
    def call(self, operation: Callable[[], Any], action: str) -> Any:
        """Run one SDK call; an Azure error fails the task with a readable message."""
        try:
            return operation()
        except AzureError as exc:
            self.fail_azure(exc, action)

    def wait_for(self, poller: Any, action: str) -> Any:
        """Wait for a long-running operation within wait_timeout (unless wait=false).

        A timeout fails with what Azure last reported; the operation goes on in Azure.
        """
        if not self.params.get("wait", True):
            return None
        timeout = self.params.get("wait_timeout")
        started = time.monotonic()
        try:
            result = poller.result(timeout=timeout)
        except AzureError as exc:
            self.fail_azure(exc, action)
        if not poller.done():
            self.fail(
                f"Timed out after {int(time.monotonic() - started)} s (wait_timeout={timeout}) waiting to {action}; "
                f"Azure last reported '{poller.status()}'. The operation goes on in Azure: run the task again to "
                "pick it up, or raise wait_timeout."
            )
        return result

    # --- outcomes
    def fail_azure(self, exc: BaseException, action: str, **extra: Any) -> NoReturn:
        message, error = describe_exception(exc, action)
        self.fail(message, error=error, **extra)

    def fail(self, msg: str, **extra: Any) -> NoReturn:
        self.module.fail_json(msg=msg, **extra)
        raise AssertionError("unreachable")  # fail_json exits; this satisfies type checkers

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
