"""Services raise typed errors for Azure's failures only; a programming error is never read as "Azure refused"."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.waiter import Waiter
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.extensions import Extensions
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.providers import Providers, missing_registration


def raise_(exc):
    raise exc


def test_call_wraps_azure_errors_and_lets_bugs_through():
    with pytest.raises(AzureCallError, match="Azure refused to read x"):
        call(lambda: raise_(HttpResponseError("boom")), "read x")
    with pytest.raises(TypeError):
        call(lambda: raise_(TypeError("a bug")), "read x")


class Provider:
    def __init__(self, state):
        self.registration_state = state


class FakeProviders:
    def __init__(self, states):
        self.states = list(states)
        self.registered = []

    def get(self, namespace):
        return Provider(self.states.pop(0) if len(self.states) > 1 else self.states[0])

    def register(self, namespace):
        self.registered.append(namespace)


class Azure:
    def __init__(self):
        self.waiter = Waiter(5, sleep=lambda s: None)


def providers(states):
    service = Providers(Azure())
    service.__dict__["_providers"] = FakeProviders(states)  # the cached SDK operations
    return service


def test_providers_are_read_once_and_registered_only_when_allowed():
    service = providers(["NotRegistered"])
    with pytest.raises(Refused, match="register_provider: true"):
        service.ensure("Microsoft.Relay", allowed=False, check_mode=False)
    assert service.ensure("Microsoft.Relay", allowed=True, check_mode=True) is True  # check mode: no write
    assert service._providers.registered == []

    service = providers(["NotRegistered", "Registering", "Registered"])
    assert service.ensure("Microsoft.Relay", allowed=True, check_mode=False) is True
    assert service._providers.registered == ["Microsoft.Relay"]
    assert service.registered("Microsoft.Relay") and service.ensure("Microsoft.Relay", allowed=False,
                                                                    check_mode=False) is False


class Reader:
    """Stands in for arm/rest.ArmReader: answers by path, records (path, api-version, action)."""

    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def get(self, path, api_version, action):
        self.asked.append((path, api_version, action))
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list(self, path, api_version, action):
        return self.get(path, api_version, action)


def test_extensions_are_read_by_plain_gets_at_the_sdks_api_version():
    base = ("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/arc 1/providers/"
            "Microsoft.KubernetesConfiguration/extensions").replace(" ", "%20")
    azure = Azure()
    azure.subscription_id = "sub"
    azure.reader = Reader({base + "/azureml": {"name": "azureml"}, base + "/gone": None, base: None})
    service = Extensions(azure, "connectedClusters", "rg", "arc 1")
    assert service.get("azureml") == {"name": "azureml"}
    assert service.get("gone") is None
    assert service.list() is None  # the cluster itself is missing
    assert {version for _path, version, _action in azure.reader.asked} == {"2023-05-01"}
    assert azure.reader.asked[-1][2] == "list the extensions on connectedClusters/arc 1 in resource group rg"
    azure.reader.answers[base] = AzureCallError(HttpResponseError("boom"), "list the extensions")
    with pytest.raises(AzureCallError):
        service.list()


def missing(namespace=None, message=None):
    error = {"code": "MissingSubscriptionRegistration"}
    if namespace:
        error["target"] = namespace
    if message:
        error["message"] = message
    exc = AzureCallError(HttpResponseError("409"), "read extension azureml")
    exc.details["error"] = error
    return exc


def test_a_missing_registration_answer_is_learned_without_a_read():
    assert missing_registration(missing("Microsoft.KubernetesConfiguration")) == "Microsoft.KubernetesConfiguration"
    assert missing_registration(missing(message="The subscription is not registered to use namespace "
                                                "'Microsoft.Relay'. See https://aka.ms/rps-not-found")) == "Microsoft.Relay"
    other = AzureCallError(HttpResponseError("403"), "read extension azureml")
    assert missing_registration(other) is None
    service = providers(["Registered"])  # what a read would say: never asked
    assert service.is_missing(other, "Microsoft.Relay") is False
    assert service.is_missing(missing("Microsoft.Relay"), "Microsoft.KubernetesConfiguration") is False
    assert service.is_missing(missing("microsoft.relay"), "Microsoft.Relay") is True
    assert service.registered("Microsoft.Relay") is False
    assert service.ensure("Microsoft.Relay", allowed=True, check_mode=True) is True
    service.learned("Microsoft.KubernetesConfiguration", True)
    assert service.ensure("Microsoft.KubernetesConfiguration", allowed=False, check_mode=False) is False
    assert service._providers.registered == []
