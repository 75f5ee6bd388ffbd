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
    from azure.core.exceptions import AzureError, DeserializationError
    from azure.core.pipeline.policies import RetryPolicy
except ImportError as exc:  # reported by the module through missing_required_lib
    SDK_IMPORT_ERROR = exc
    AzureError = DeserializationError = Exception  # keeps `except` clauses valid without the SDK
    RetryPolicy = object
else:
    SDK_IMPORT_ERROR = None

COLLECTION_VERSION = "0.1.0"
USER_AGENT = f"ansible-azureml.kubernetes/{COLLECTION_VERSION}"
# Used between polls only when Azure sends no Retry-After; the KubernetesConfiguration RP often sends none.
DEFAULT_POLLING_INTERVAL = 10
# Between reads while waiting for a state that no long-running operation reports (e.g. another run's work).
STATE_POLL_SECONDS = 2
MAX_WAIT_TIMEOUT = 7 * 24 * 3600
# azure-core counts status, connection and read errors separately, each within retry_total. Backoff doubles
# from retry_backoff_factor (the first retry is immediate) and is jittered; Retry-After, when sent, wins.
RETRY_SETTINGS: dict[str, Any] = dict(retry_total=8, retry_status=4, retry_connect=4, retry_read=4,
                                      retry_backoff_factor=0.8, retry_backoff_max=30)
DEFAULT_WAIT_TIMEOUT = 1800  # for modules without the wait options


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
        timeout = self.params.get("wait_timeout")
        if timeout is not None and not 1 <= timeout <= MAX_WAIT_TIMEOUT:
            self.fail(f"wait_timeout must be between 1 and {MAX_WAIT_TIMEOUT} seconds (got {timeout}); to return "
                      "without waiting, set wait: false.")

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
        try:
            credential_file = None
            if self.params["auth_source"] in ("auto", "credential_file"):
                credential_file = azure_auth.read_credential_file(
                    os.environ.get("AZURE_CREDENTIAL_FILE", "~/.azure/credentials"), self.params["profile"])
            return azure_auth.choose_auth(self.params, os.environ, credential_file)
        except azure_auth.AzureAuthError as exc:
            self.fail(str(exc))

    @cached_property
    def credential(self) -> Any:
        try:
            return azure_auth.build_credential(self._auth_choice, self.cloud, self.verify_tls)
        except ValueError as exc:  # azure-identity refuses a malformed tenant or authority
            self.fail(f"The credentials are not usable: {exc}. Check tenant, client_id and cloud_environment.")

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
        retry_policy = JitteredRetryPolicy(**RETRY_SETTINGS)
        options: dict[str, Any] = dict(
            base_url=self.cloud.resource_manager,
            credential_scopes=[self.cloud.scope],
            retry_policy=retry_policy,
            policies=self._policies(retry_policy),
            polling_interval=DEFAULT_POLLING_INTERVAL,
            user_agent=USER_AGENT,
        )
        if not self.verify_tls:
            options["connection_verify"] = False
        options.update(kwargs)
        if with_subscription:
            return client_class(self.credential, self.subscription_id, **options)
        return client_class(self.credential, **options)

    def _policies(self, retry_policy: Any) -> list[Any]:
        """The SDKs' standard ARM pipeline, less ARMAutoResourceProviderRegistrationPolicy.

        That policy registers a resource provider by itself when a request meets
        MissingSubscriptionRegistration: a write nobody asked for, even in check mode. The modules check
        registrations explicitly instead (`register_provider`).
        """
        from azure.core.pipeline import policies as core
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

        return [
            core.RequestIdPolicy(), core.HeadersPolicy(), core.UserAgentPolicy(user_agent=USER_AGENT),
            core.ProxyPolicy(), core.ContentDecodePolicy(), core.RedirectPolicy(), retry_policy,
            ARMChallengeAuthenticationPolicy(self.credential, self.cloud.scope), core.CustomHookPolicy(),
            core.NetworkTraceLoggingPolicy(), core.DistributedTracingPolicy(), core.SensitiveHeaderCleanupPolicy(),
            ARMHttpLoggingPolicy(),
        ]

    # --- calls and waits
    def call(self, operation: Callable[[], Any], action: str) -> Any:
        """Run one SDK call; an Azure error fails the task with a readable message."""
        try:
            return operation()
        except (AzureError, DeserializationError) as exc:  # the latter is a ValueError: an unreadable answer
            self.fail_azure(exc, action)

    def wait_for(self, poller: Any, action: str, *, always: bool = False,
                 on_failure: Callable[[BaseException], None] | None = None) -> Any:
        """Wait for a long-running operation within wait_timeout (unless wait=false and not `always`).

        A timeout fails with what Azure last reported; the operation goes on in Azure. `on_failure` may
        fail the task with more detail than the operation's error (it returns to use the default message).
        """
        if not (always or self.params.get("wait", True)):
            return None
        timeout = self.params.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT
        started = time.monotonic()
        try:
            result = poller.result(timeout=timeout)
        except (AzureError, DeserializationError) as exc:
            if on_failure is not None:
                on_failure(exc)
            self.fail_azure(exc, action)
        if not poller.done():
            self.fail(
                f"Timed out after {int(time.monotonic() - started)} s (wait_timeout={timeout}) waiting to {action}; "
                f"Azure last reported '{poller.status()}'. The operation goes on in Azure: run the task again to "
                "pick it up, or raise wait_timeout."
            )
        return result

    def wait_until(self, read: Callable[[], Any], done: Callable[[Any], bool], what: str) -> Any:
        """Read until `done(value)` within wait_timeout; for states no long-running operation reports."""
        deadline = time.monotonic() + (self.params.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT)
        while True:
            value = read()
            if done(value):
                return value
            if time.monotonic() >= deadline:
                self.fail(f"Timed out (wait_timeout={self.params.get('wait_timeout')}) waiting for {what}. Run the "
                          "task again later, or raise wait_timeout.")
            time.sleep(STATE_POLL_SECONDS)

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
