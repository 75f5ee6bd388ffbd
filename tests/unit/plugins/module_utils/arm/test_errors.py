"""ARM errors become one readable message with code, message, target, status and hints; typed errors carry it."""

from __future__ import annotations

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.core.rest import HttpRequest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.health_checks import health_check_hints
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import describe_exception


class FakeResponse:
    def __init__(self, status, body):
        self.status_code = status
        self.reason = "x"
        self._body = body
        self.headers = {"content-type": "application/json"}
        self.request = HttpRequest("GET", "https://x")
        self.content_type = "application/json"

    def text(self, encoding=None):
        return self._body

    def body(self):
        return self._body.encode()


def error(status, body):
    return HttpResponseError(response=FakeResponse(status, body))


def test_arm_envelope_is_read():
    exc = error(409, '{"error":{"code":"MissingSubscriptionRegistration","message":"The subscription is not '
                     'registered to use namespace \'Microsoft.KubernetesConfiguration\'.","target":"sub"}}')
    message, detail = describe_exception(exc, "create extension x")
    assert message.startswith("Azure refused to create extension x: MissingSubscriptionRegistration")
    assert "(target: sub)" in message and "[HTTP 409]" in message
    assert "az provider register" in message
    assert detail["code"] == "MissingSubscriptionRegistration" and detail["status_code"] == 409


def test_health_check_codes_in_an_arm_message_get_their_documented_fix():
    exc = error(400, '{"error":{"code":"ExtensionOperationFailed","message":"E40002 INSUFFICIENT_NODE"}}')
    message, _detail = describe_exception(exc, "create extension x")
    # arm/ knows no AML codes: the runner adds the hints of what the message names.
    assert "inferenceRouterHA: false" in " ".join(health_check_hints(message))
    assert health_check_hints("nothing here") == []
    assert len(health_check_hints("E45004 and E45005")) == 2


def test_auth_and_connection_errors_point_at_the_options():
    message, _detail = describe_exception(ClientAuthenticationError("bad token"), "read cluster c")
    assert "auth_source" in message
    message, _detail = describe_exception(ServiceRequestError("connection refused"), "read cluster c")
    assert "cloud_environment" in message


def test_a_failed_operation_is_not_called_a_refusal_and_subclasses_get_hints():
    exc = error(200, '{"error":{"code":"ExtensionOperationFailed","message":"E45004 AZUREML_FE_ROLE_CONFLICT"}}')
    message, detail = describe_exception(exc, "create extension x")
    assert message.startswith("The operation to create extension x failed: ExtensionOperationFailed")
    assert "[HTTP" not in message and "legacy azureml-fe cleanup" in " ".join(health_check_hints(message))
    assert detail["status_code"] == 200

    class CredentialUnavailableError(ClientAuthenticationError):
        pass

    message, _detail = describe_exception(CredentialUnavailableError("no az login"), "read cluster c")
    assert "auth_source" in message


def test_azure_call_error_carries_the_message_and_the_error_data():
    from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, CollectionError

    exc = error(403, '{"error":{"code":"AuthorizationFailed","message":"no"}}')
    wrapped = AzureCallError(exc, "read cluster c")
    assert isinstance(wrapped, CollectionError) and wrapped.exception is exc
    assert wrapped.message.startswith("Azure refused to read cluster c: AuthorizationFailed: no")
    assert wrapped.details["error"]["status_code"] == 403
