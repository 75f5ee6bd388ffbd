"""Services raise typed errors for Azure's failures only; a programming error is never read as "Azure refused"."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call, read
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


def test_read_maps_a_missing_resource_to_none():
    assert read(lambda: raise_(ResourceNotFoundError("gone")), "read x") is None
    assert read(lambda: {"id": "x"}, "read x") == {"id": "x"}
    with pytest.raises(AzureCallError):
        read(lambda: raise_(HttpResponseError("boom")), "read x")


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


def test_listing_a_missing_cluster_is_none_and_other_errors_raise():
    class Ops:
        def __init__(self, exc):
            self.exc = exc

        def list(self, *args):
            raise self.exc

    service = Extensions(Azure(), "managedClusters", "rg", "aks1")
    service.__dict__["_extensions"] = Ops(ResourceNotFoundError("no cluster"))
    assert service.list() is None
    service.__dict__["_extensions"] = Ops(HttpResponseError("boom"))
    with pytest.raises(AzureCallError, match="list the extensions on managedClusters/aks1"):
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
