# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/resource_provider: decide() per registration state; apply() with a fake provider service and module."""
from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import WaitTimeout
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import resource_provider as runner


@pytest.mark.parametrize("state, wait, expected", [
    ("Registered", True, {"register": False, "wait": False, "changed": False, "after": "Registered"}),
    ("registered", False, {"register": False, "wait": False, "changed": False, "after": "Registered"}),
    ("NotRegistered", True, {"register": True, "wait": True, "changed": True, "after": "Registered"}),
    ("Unregistering", True, {"register": True, "wait": True, "changed": True, "after": "Registered"}),
    ("", True, {"register": True, "wait": True, "changed": True, "after": "Registered"}),
    ("NotRegistered", False, {"register": True, "wait": False, "changed": True, "after": "Registering"}),
    ("Registering", True, {"register": False, "wait": True, "changed": False, "after": "Registered"}),
    ("Registering", False, {"register": False, "wait": False, "changed": False, "after": "Registering"}),
])
def test_decide(state, wait, expected):
    assert runner.decide(state, wait=wait) == expected


class Failed(Exception):
    pass


class FakeAzure:
    def __init__(self, namespace="Microsoft.KubernetesConfiguration", check_mode=False, diff=False, wait=True):
        self.params = {"namespace": namespace, "wait": wait}
        self.check_mode = check_mode
        self.diff_mode = diff
        self.failure = None

    def fail(self, msg, **extra):
        self.failure = (msg, extra)
        raise Failed(msg)

    def fail_error(self, error, **extra):
        self.fail(error.message, **{**error.details, **extra})


class FakeProviders:
    def __init__(self, state, raises=None):
        self._state = state
        self.calls = []
        self.raises = raises

    def state(self, namespace):
        self.calls.append(("state", namespace))
        return self._state

    def register(self, namespace, wait=True):
        self.calls.append(("register", namespace, wait))
        if self.raises:
            raise self.raises

    def wait(self, namespace):
        self.calls.append(("wait", namespace))


def test_registers_and_waits():
    providers = FakeProviders("NotRegistered")
    result = runner.apply(FakeAzure(diff=True), providers)
    assert providers.calls[1] == ("register", "Microsoft.KubernetesConfiguration", True)
    assert result["changed"] is True and result["registration_state"] == "Registered"
    assert result["diff"] == {"before": {"namespace": "Microsoft.KubernetesConfiguration",
                                         "registrationState": "NotRegistered"},
                              "after": {"namespace": "Microsoft.KubernetesConfiguration",
                                        "registrationState": "Registered"}}


def test_check_mode_sends_nothing():
    providers = FakeProviders("NotRegistered")
    result = runner.apply(FakeAzure(check_mode=True), providers)
    assert providers.calls == [("state", "Microsoft.KubernetesConfiguration")]
    assert result["changed"] is True and result["registration_state"] == "NotRegistered"
    assert "would be registered" in result["msg"]


def test_registered_does_nothing_and_registering_waits():
    providers = FakeProviders("Registered")
    assert runner.apply(FakeAzure(), providers)["changed"] is False and len(providers.calls) == 1
    providers = FakeProviders("Registering")
    result = runner.apply(FakeAzure(), providers)
    assert providers.calls[-1] == ("wait", "Microsoft.KubernetesConfiguration") and result["changed"] is False


def test_timeout_fails_once_naming_the_namespace():
    azure = FakeAzure()
    with pytest.raises(Failed):
        runner.apply(azure, FakeProviders("NotRegistered", raises=WaitTimeout("Timed out waiting")))
    assert azure.failure == ("Timed out waiting", {"namespace": "Microsoft.KubernetesConfiguration"})


@pytest.mark.parametrize("bad", ["", "  ", "Microsoft.X/y"])
def test_bad_namespace(bad):
    azure = FakeAzure(namespace=bad)
    with pytest.raises(Failed):
        runner.apply(azure, FakeProviders("Registered"))
    assert "resource provider namespace" in azure.failure[0]
