# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SDK management clients for one cloud: our retry policy, our user agent, and no silent registration.

azure-core is imported on first use (JitteredRetryPolicy is built when first asked for), so importing this
file costs nothing before a module's first request.
"""

from __future__ import annotations

import random
from typing import Any

# The one place for the collection's version in code (a unit test holds it to galaxy.yml).
COLLECTION_VERSION = "0.1.0"
USER_AGENT = f"ansible-azureml.kubernetes/{COLLECTION_VERSION}"
# azure-core counts status, connection and read errors separately, each within retry_total. Backoff doubles
# from retry_backoff_factor (the first retry is immediate) and is jittered; Retry-After, when sent, wins.
RETRY_SETTINGS: dict[str, Any] = dict(retry_total=8, retry_status=4, retry_connect=4, retry_read=4,
                                      retry_backoff_factor=0.8, retry_backoff_max=30)


_LAZY: dict[str, type] = {}


def _jittered_retry_policy() -> type:
    from azure.core.pipeline.policies import RetryPolicy

    class JitteredRetryPolicy(RetryPolicy):
        """azure-core's retry policy with full jitter, so a fleet run does not retry in lockstep.

        Retry-After, when Azure sends it, still decides the delay (azure-core reads it before backoff).
        """

        def get_backoff_time(self, settings: dict[str, Any]) -> float:
            return random.uniform(0, super().get_backoff_time(settings))

    return JitteredRetryPolicy


def _retrying_challenge_policy() -> type:
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    class CacheAwareChallengePolicy(ARMChallengeAuthenticationPolicy):
        """ARM's bearer policy; a 401 on a token from the token cache drops it and tries once with a fresh one."""

        def on_challenge(self, request: Any, response: Any) -> bool:
            if super().on_challenge(request, response):
                return True
            forget = getattr(self._credential, "forget", None)
            if forget is not None and forget():
                self.authorize_request(request, *self._scopes)
                return True
            return False

    return CacheAwareChallengePolicy


_FACTORIES = {"JitteredRetryPolicy": _jittered_retry_policy, "CacheAwareChallengePolicy": _retrying_challenge_policy}


def __getattr__(name: str) -> type:
    """JitteredRetryPolicy and CacheAwareChallengePolicy, defined on first use (PEP 562)."""
    if name not in _FACTORIES:
        raise AttributeError(name)
    if name not in _LAZY:
        _LAZY[name] = _FACTORIES[name]()
    return _LAZY[name]


def new_retry_policy() -> Any:
    """A JitteredRetryPolicy with the collection's RETRY_SETTINGS."""
    return __getattr__("JitteredRetryPolicy")(**RETRY_SETTINGS)


def policies(credential: Any, scope: str, retry_policy: Any) -> list[Any]:
    """The SDKs' standard ARM pipeline, less ARMAutoResourceProviderRegistrationPolicy.

    That policy registers a resource provider by itself when a request meets MissingSubscriptionRegistration:
    a write nobody asked for, even in check mode. services/providers checks registrations explicitly instead.
    """
    from azure.core.pipeline import policies as core
    from azure.mgmt.core.policies import ARMHttpLoggingPolicy

    return [
        core.RequestIdPolicy(), core.HeadersPolicy(), core.UserAgentPolicy(user_agent=USER_AGENT),
        core.ProxyPolicy(), core.ContentDecodePolicy(), core.RedirectPolicy(), retry_policy,
        __getattr__("CacheAwareChallengePolicy")(credential, scope), core.CustomHookPolicy(),
        core.NetworkTraceLoggingPolicy(), core.DistributedTracingPolicy(), core.SensitiveHeaderCleanupPolicy(),
        ARMHttpLoggingPolicy(),
    ]


def build_client(client_class: type, credential: Any, base_url: str, scope: str, *, verify: bool,
                 subscription_id: str | None = None, **kwargs: Any) -> Any:
    """A management client for this cloud (with a subscription unless None)."""
    retry = new_retry_policy()
    options: dict[str, Any] = dict(
        base_url=base_url,
        credential_scopes=[scope],
        retry_policy=retry,
        policies=policies(credential, scope, retry),
        user_agent=USER_AGENT,
    )
    if not verify:
        options["connection_verify"] = False
    options.update(kwargs)
    if subscription_id is not None:
        return client_class(credential, subscription_id, **options)
    return client_class(credential, **options)
