"""Robustness: hostile bodies never give a stack trace or a plain-text 500; bad writes never break state.

Every request here must get an ARM envelope (JSON ``{"error": {"code", "message"}}``) with a 4xx status,
and the sandbox must stay healthy and consistent afterwards.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import RG, SUB

ARC = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Kubernetes/connectedClusters/arc-aml-demo"
AKS = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/aks-aml-demo"
EXT = ARC + "/providers/Microsoft.KubernetesConfiguration/extensions"
AKS_EXT = AKS + "/providers/Microsoft.KubernetesConfiguration/extensions"
RELAY = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Relay/namespaces/fuzzns"
DEEP = b"[" * 100000 + b"]" * 100000
DEEP_OBJ = b'{"a":' * 5000 + b"1" + b"}" * 5000


def _auth(sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token()}"}


def _envelope(status: int, body, headers, expect: int | tuple[int, ...] = ()) -> str:
    """Assert an ARM error envelope with a 4xx status; return the error code."""
    assert 400 <= status < 500, (status, body)
    if expect:
        assert status in (expect if isinstance(expect, tuple) else (expect,)), (status, body)
    assert headers.get("Content-Type", "").startswith("application/json"), headers
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert "Traceback" not in json.dumps(body)
    return body["error"]["code"]


def _healthy(sandbox, hdr) -> None:
    status, body, _ = sandbox.ctl("GET", "/_sandbox/health")
    assert status == 200 and body["status"] == "ok"
    for path in (EXT + "?api-version=2023-05-01", AKS_EXT + "?api-version=2023-05-01",
                 AKS + "?api-version=2026-08-01"):
        status, body, _ = sandbox.ctl("GET", path, headers=hdr)
        assert status == 200, (path, body)
    assert sandbox.ctl("GET", "/_sandbox/requests")[0] == 200
    assert sandbox.ctl("GET", "/_sandbox/state")[0] == 200


WRITES = [
    ("PUT", EXT + "/fz?api-version=2023-05-01"),
    ("PATCH", EXT + "/fz?api-version=2023-05-01"),
    ("PUT", AKS + "?api-version=2026-08-01"),
    ("PUT", RELAY + "?api-version=2021-11-01"),
    ("PUT", RELAY + "/hybridConnections/hc?api-version=2021-11-01"),
    ("PUT", RELAY + "/hybridConnections/hc/authorizationRules/r?api-version=2021-11-01"),
]
CONTROL = [("POST", "/_sandbox/" + w) for w in ("clusters", "subscriptions", "faults", "settings", "failure_rules")]


@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJ, b'{"a": NaN}', b'{"a": Infinity}', b"[-Infinity]"],
                         ids=["deep-list", "deep-object", "nan", "infinity", "minus-infinity"])
def test_hostile_json_everywhere(sandbox, raw):
    """Deep nesting used to escape as text/plain 500 (RecursionError); NaN/Infinity are not JSON."""
    hdr = _auth(sandbox)
    for method, path in WRITES:
        for headers in (hdr, {}):  # with and without a token (401 comes first, the log must still cope)
            status, body, h = sandbox.ctl(method, path, raw=raw, headers=headers)
            code = _envelope(status, body, h)
            assert code in ("InvalidRequestContent", "AuthenticationFailed"), (path, body)
    for method, path in CONTROL + [("POST", "/nowhere"), ("POST", "/_sandbox/reset-not")]:
        status, body, h = sandbox.ctl(method, path, raw=raw)
        _envelope(status, body, h)
    _healthy(sandbox, hdr)
    log = sandbox.requests(kind="arm")
    assert log and all(isinstance(e["request_body"], str) for e in log if e["method"] != "GET")


def test_oversized_body_gets_413_envelope(sandbox):
    hdr = _auth(sandbox)
    big = b'{"properties": {"x": "' + b"a" * (5 * 1024 * 1024) + b'"}}'
    for method, path in (("PUT", EXT + "/big?api-version=2023-05-01"), ("POST", "/_sandbox/settings")):
        status, body, h = sandbox.ctl(method, path, raw=big, headers=hdr)
        assert _envelope(status, body, h, 413) == "RequestEntityTooLarge"
    _healthy(sandbox, hdr)


BAD_EXTENSION_BODIES = [
    [], "x", 5, None, {"properties": []}, {"properties": "x"},
    {"properties": {"extensionType": 5}},
    {"properties": {"extensionType": ["microsoft.flux"]}},
    {"properties": {"extensionType": "microsoft.flux", "configurationSettings": []}},
    {"properties": {"extensionType": "microsoft.flux", "configurationSettings": {"a": 1}}},
    {"properties": {"extensionType": "microsoft.flux", "configurationSettings": {"a": {"b": "c"}}}},
    {"properties": {"extensionType": "microsoft.flux", "configurationSettings": {"a": None}}},
    {"properties": {"extensionType": "microsoft.flux", "configurationProtectedSettings": {"a": True}}},
    {"properties": {"extensionType": "microsoft.flux", "configurationProtectedSettings": "secret"}},
    {"properties": {"extensionType": "microsoft.flux", "releaseTrain": 1}},
    {"properties": {"extensionType": "microsoft.flux", "version": 1.2, "autoUpgradeMinorVersion": False}},
    {"properties": {"extensionType": "microsoft.flux", "autoUpgradeMinorVersion": "false"}},
    {"properties": {"extensionType": "microsoft.flux", "autoUpgradeMinorVersion": 0, "version": "1.0.0"}},
    {"properties": {"extensionType": "microsoft.flux", "scope": "cluster"}},
    {"properties": {"extensionType": "microsoft.flux", "scope": {"cluster": "x"}}},
    {"properties": {"extensionType": "microsoft.flux", "scope": {"cluster": {"releaseNamespace": 3}}}},
    {"properties": {"extensionType": "microsoft.flux", "scope": {"elsewhere": {}}}},
    {"identity": "SystemAssigned", "properties": {"extensionType": "microsoft.flux"}},
    {"identity": {"type": 1}, "properties": {"extensionType": "microsoft.flux"}},
    {"plan": ["p"], "properties": {"extensionType": "microsoft.flux"}},
    {"plan": {"name": {"deep": "x"}}, "properties": {"extensionType": "microsoft.flux"}},
]


@pytest.mark.parametrize("cluster_ext", [EXT, AKS_EXT], ids=["arc", "aks"])
def test_extension_writes_validate_types_and_never_break_the_cluster(sandbox, cluster_ext):
    """Each bad PUT gets 400 before anything is stored; GET/LIST/DELETE of the cluster keep working."""
    hdr = _auth(sandbox)
    url = cluster_ext + "/bad?api-version=2023-05-01"
    for body in BAD_EXTENSION_BODIES:
        status, resp, h = sandbox.ctl("PUT", url, raw=json.dumps(body).encode(), headers=hdr)
        assert _envelope(status, resp, h, 400) in ("InvalidRequestContent", "InvalidParameter"), (body, resp)
        assert sandbox.ctl("GET", url, headers=hdr)[0] == 404, body  # nothing half-stored
    # PATCH of an existing extension: the same checks (a null configurationSettings value is allowed: it deletes).
    ok = {"properties": {"extensionType": "microsoft.flux", "configurationSettings": {"k": "v"}}}
    assert sandbox.ctl("PUT", cluster_ext + "/good?api-version=2023-05-01", ok, headers=hdr)[0] == 201
    time.sleep(0.25)
    for body in BAD_EXTENSION_BODIES:
        if isinstance(body, dict) and isinstance(body.get("properties"), dict) and \
                body["properties"].get("configurationSettings") == {"a": None}:
            continue  # legal in a PATCH (deletes the key)
        status, resp, h = sandbox.ctl("PATCH", cluster_ext + "/good?api-version=2023-05-01",
                                      raw=json.dumps(body).encode(), headers=hdr)
        if body is None:  # "null" parses to None: not an object
            assert status == 400
        _envelope(status, resp, h, 400)
    status, resp, _ = sandbox.ctl("PATCH", cluster_ext + "/good?api-version=2023-05-01",
                                  {"properties": {"configurationSettings": {"k": None}}}, headers=hdr)
    assert status == 202 and resp["properties"]["configurationSettings"] == {}
    status, lst, _ = sandbox.ctl("GET", cluster_ext + "?api-version=2023-05-01", headers=hdr)
    assert status == 200 and [e["name"] for e in lst["value"]] == ["good"]
    assert sandbox.ctl("DELETE", cluster_ext + "/good?api-version=2023-05-01&forceDelete=true", headers=hdr)[0] == 200
    _healthy(sandbox, hdr)


def test_pinned_version_with_auto_upgrade_is_checked_with_real_booleans(sandbox):
    hdr = _auth(sandbox)
    base = {"extensionType": "microsoft.flux", "version": "1.0.0"}
    status, body, _ = sandbox.ctl("PUT", EXT + "/v1?api-version=2023-05-01", {"properties": base}, headers=hdr)
    assert status == 400 and body["error"]["target"] == "properties.version"  # absent means true
    status, body, _ = sandbox.ctl("PUT", EXT + "/v1?api-version=2023-05-01",
                                  {"properties": {**base, "autoUpgradeMinorVersion": None}}, headers=hdr)
    assert status == 400 and body["error"]["target"] == "properties.version"
    status, body, _ = sandbox.ctl("PUT", EXT + "/v1?api-version=2023-05-01",
                                  {"properties": {**base, "autoUpgradeMinorVersion": False}}, headers=hdr)
    assert status == 201 and body["properties"]["autoUpgradeMinorVersion"] is False


def test_legacy_record_without_provisioning_state_renders(sandbox):
    """A record stored by the old code path (before its operation started) must not 500 everything."""
    from sandbox.arm.extensions import render
    from sandbox.control.api import masked_extension as _masked_extension
    legacy = {"id": "/x/extensions/e", "name": "e", "properties": {"extensionType": 5},
              "systemData": {}, "cluster": {}}
    out = render(legacy, "2023-05-01")
    assert out["properties"]["provisioningState"] == "Failed" and out["properties"]["extensionType"] == 5
    assert _masked_extension(legacy)["provisioningState"] == "Failed"
    assert render({"id": "i", "name": "n"})["properties"]["releaseTrain"] == "Stable"


AKS_BAD = [
    {"location": "eastus", "properties": []},
    {"location": "eastus", "properties": {"apiServerAccessProfile": []}},
    {"location": "eastus", "properties": {"apiServerAccessProfile": {"authorizedIPRanges": "1.2.3.4"}}},
    {"location": "eastus", "properties": {"apiServerAccessProfile": {"authorizedIPRanges": [1234]}}},
    {"location": "eastus", "properties": {"apiServerAccessProfile": {"enablePrivateCluster": "false"}}},
    {"location": "eastus", "properties": {"agentPoolProfiles": {"name": "p"}}},
    {"location": "eastus", "properties": {"agentPoolProfiles": ["p"]}},
    {"location": "eastus", "properties": {"agentPoolProfiles": [{"name": "p", "count": "3"}]}},
    {"location": "eastus", "properties": {"agentPoolProfiles": [{"name": "p", "count": 2.5}]}},
    {"location": "eastus", "properties": {"agentPoolProfiles": [{"name": "p", "count": True}]}},
    {"location": "eastus", "properties": {"disableLocalAccounts": "true"}},
    {"location": ["eastus"]}, {"location": "eastus", "tags": []}, {"location": "eastus", "identity": "x"},
    [], 1,
]
RELAY_BAD = [
    ("", {"location": "eastus", "properties": []}),
    ("", {"location": 5}),
    ("", {"location": "eastus", "tags": {"a": 1}}),
    ("", {"location": "eastus", "sku": "Standard"}),
    ("/hybridConnections/hc", {"properties": {"requiresClientAuthorization": "false"}}),
    ("/hybridConnections/hc", {"properties": {"requiresClientAuthorization": 0}}),
    ("/hybridConnections/hc", {"properties": "x"}),
    ("/hybridConnections/hc/authorizationRules/r", {"properties": {"rights": "Listen"}}),
    ("/hybridConnections/hc/authorizationRules/r", {"properties": {"rights": [{"Listen": 1}]}}),
    ("/hybridConnections/hc/authorizationRules/r", {"properties": []}),
]


def test_aks_and_relay_puts_validate_types(sandbox):
    hdr = _auth(sandbox)
    for body in AKS_BAD:
        status, resp, h = sandbox.ctl("PUT", AKS + "?api-version=2026-08-01", raw=json.dumps(body).encode(),
                                      headers=hdr)
        _envelope(status, resp, h, 400)
    assert sandbox.ctl("GET", AKS + "?api-version=2026-08-01", headers=hdr)[1]["properties"]["provisioningState"] \
        == "Succeeded"
    sandbox.settings(provisioning_delay_seconds=0)
    assert sandbox.ctl("PUT", RELAY + "?api-version=2021-11-01", {"location": "eastus"}, headers=hdr)[0] == 201
    assert sandbox.ctl("PUT", RELAY + "/hybridConnections/hc?api-version=2021-11-01",
                       {"properties": {"requiresClientAuthorization": False}}, headers=hdr)[0] == 200
    for suffix, body in RELAY_BAD:
        status, resp, h = sandbox.ctl("PUT", RELAY + suffix + "?api-version=2021-11-01",
                                      raw=json.dumps(body).encode(), headers=hdr)
        _envelope(status, resp, h, 400)
    hc = sandbox.ctl("GET", RELAY + "/hybridConnections/hc?api-version=2021-11-01", headers=hdr)[1]
    assert hc["properties"]["requiresClientAuthorization"] is False  # not bool("false") == True
    _healthy(sandbox, hdr)


CONTROL_BAD = {
    "clusters": [[], "x", {"name": 5}, {"name": "c", "node_count": "3"}, {"name": "c", "node_count": 2.5},
                 {"name": "c", "node_count": True}, {"name": "c", "subscription_id": 7},
                 {"name": "c", "subscription_id": {"a": "b"}}, {"name": "c", "local_accounts": "no"},
                 {"name": "c", "authorized_ip_ranges": "1.2.3.4"}, {"name": "a/b"},
                 {"clusters": [{"name": "ok-one"}, {"name": "c", "node_count": "x"}]}, {"clusters": "x"}],
    "subscriptions": [[], {"subscription_id": 5}, {"subscription_id": ["s"]},
                      {"subscription_id": "s1", "resource_groups": "rg"},
                      {"subscription_id": "s1", "resource_groups": [1]},
                      {"subscription_id": "s1", "providers": ["Microsoft.Relay"]},
                      {"subscription_id": "s1", "providers": {"Microsoft.Relay": ["Registered"]}}],
    "faults": [{"status": "500"}, {"status": 200}, {"status": 700}, {"status": True}, {"count": "2"},
               {"count": 0}, {"path_pattern": 5}, {"path_pattern": "("}, {"path_pattern": ["x"]},
               {"code": 5}, {"message": {}}, {"retry_after": "1"}, {"drop_connection": "yes"}, "x",
               [{"status": 503}, {"status": "bad"}]],
    "settings": [[], {"ratelimits": {"writes": "5"}}, {"ratelimits": {"writes": 1.5}}, {"ratelimits": {"bogus": 1}},
                 {"ratelimits": []}, {"failure_rules": [1]}, {"failure_rules": [{"code": 5}]},
                 {"failure_rules": [{"code": "E1", "setting_equals": ["a"]}]}, {"failure_rules": {"code": "E1"}},
                 {"provisioning_delay_seconds": True}, {"provisioning_delay_seconds": "1"}, {"page_size": 0}],
    "failure_rules": [1, [1], {"code": ["E1"]}, {"code": "E1", "cluster_name": 3},
                      {"code": "E1", "setting_equals": {"a": 1}}],
}


def test_control_api_validates_types(sandbox):
    before = sandbox.ctl("GET", "/_sandbox/state")[1]
    for what, bodies in CONTROL_BAD.items():
        for body in bodies:
            status, resp, h = sandbox.ctl("POST", "/_sandbox/" + what, raw=json.dumps(body).encode())
            _envelope(status, resp, h, 400)
    after = sandbox.ctl("GET", "/_sandbox/state")[1]
    assert after["clusters"].keys() == before["clusters"].keys()  # a bad spec in a batch seeds nothing
    assert after["subscriptions"].keys() == before["subscriptions"].keys()
    assert after["settings"] == before["settings"]
    assert sandbox.ctl("GET", "/_sandbox/faults")[1]["value"] == []
    _healthy(sandbox, _auth(sandbox))


def test_fault_custom_code_and_message(sandbox):
    hdr = _auth(sandbox)
    spec = {"method": "GET", "path_pattern": "arc-aml-demo/providers/.*/extensions$", "status": 503,
            "code": "ServiceUnavailableSandbox", "message": "Injected: try again later.", "retry_after": 2}
    status, created, _ = sandbox.ctl("POST", "/_sandbox/faults", spec)
    assert status == 201 and created["value"][0]["code"] == "ServiceUnavailableSandbox"
    status, body, headers = sandbox.ctl("GET", EXT + "?api-version=2023-05-01", headers=hdr)
    assert status == 503 and headers["Retry-After"] == "2"
    assert body == {"error": {"code": "ServiceUnavailableSandbox", "message": "Injected: try again later."}}
    assert sandbox.ctl("GET", EXT + "?api-version=2023-05-01", headers=hdr)[0] == 200  # count=1 consumed


def test_request_log_since_filter_and_byte_bound(sandbox):
    hdr = _auth(sandbox)
    sandbox.ctl("GET", EXT + "?api-version=2023-05-01", headers=hdr)
    last = sandbox.ctl("GET", "/_sandbox/requests")[1]["last_seq"]
    sandbox.ctl("GET", EXT + "/a?api-version=2023-05-01", headers=hdr)
    sandbox.ctl("GET", EXT + "/b?api-version=2023-05-01", headers=hdr)
    newer = sandbox.requests(since=str(last))
    assert [e["path"].rsplit("/", 1)[1] for e in newer] == ["a", "b"]
    assert all(e["seq"] > last for e in newer) and sandbox.requests(since=str(newer[-1]["seq"])) == []
    # A big body is kept as truncated text (masking first), a normal one as parsed JSON.
    secret = "BIG-SECRET-77f1"
    big = {"properties": {"extensionType": "microsoft.flux", "autoUpgradeMinorVersion": False,
                          "configurationSettings": {f"k{i}": "v" * 100 for i in range(400)},
                          "configurationProtectedSettings": {"s": secret}}}
    assert sandbox.ctl("PUT", EXT + "/big?api-version=2023-05-01", big, headers=hdr)[0] == 201
    put = sandbox.requests(method="PUT")[-1]
    assert put["request_body_truncated"] is True and isinstance(put["request_body"], str)
    assert put["request_body"].endswith("[truncated by the sandbox]") and len(put["request_body"]) < 17 * 1024
    assert secret not in json.dumps(sandbox.ctl("GET", "/_sandbox/requests")[1])
    assert put["protected_keys"] == ["s"]
    small = sandbox.requests(method="GET", path_contains="/a")[0]
    assert isinstance(small["response_body"], dict) and "request_body_truncated" not in small
    from sandbox.state import reqlog
    log = reqlog.RequestLog()
    for i in range(50):
        log.add({"method": "PUT", "path": "/p", "request_body": {"x": "y" * 20000}, "response_body": None}, [])
    assert log.chars <= reqlog.MAX_TOTAL_CHARS and len(log.entries) == 50
    assert all(len(e["request_body"]) <= reqlog.MAX_BODY_CHARS + len(reqlog.TRUNCATED_MARKER) for e in log.entries)


def test_300_clusters_100_concurrent_installs(sandbox):
    """The issue's scale: 300 seeded clusters, 100 installs at once over raw HTTPS, all Succeeded."""
    sandbox.settings(provisioning_delay_seconds=0.3)
    clusters = [{"name": f"aks-scale-{i:03d}", "cluster_type": "managedClusters", "node_count": 3}
                for i in range(300)]
    assert sandbox.ctl("POST", "/_sandbox/clusters", {"clusters": clusters})[0] == 201
    hdr = _auth(sandbox)
    base = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters"
    # An extension type the agent leaves alone: this measures the ARM emulator, not 100 control planes starting.
    body = {"properties": {"extensionType": "Microsoft.Flux",
                           "configurationSettings": {"enableTraining": "true"}}}

    def install(i: int) -> str:
        url = f"{base}/aks-scale-{i * 3:03d}/providers/Microsoft.KubernetesConfiguration/extensions/azureml" \
              "?api-version=2023-05-01"
        status, _, headers = sandbox.ctl("PUT", url, body, headers=hdr)
        assert status == 201
        op = headers["Azure-AsyncOperation"][len(sandbox.url):]
        for _ in range(100):
            doc = sandbox.ctl("GET", op, headers=hdr)[1]
            if doc["status"] not in ("Creating",):
                break
            time.sleep(0.1)
        return sandbox.ctl("GET", url, headers=hdr)[1]["properties"]["provisioningState"]

    started = time.time()
    with ThreadPoolExecutor(max_workers=100) as pool:
        states = list(pool.map(install, range(100)))
    assert states == ["Succeeded"] * 100
    assert time.time() - started < 15
    health = sandbox.ctl("GET", "/_sandbox/health")[1]
    assert health["clusters"] == 302 and health["extensions"] == 100
    assert "aks-scale-299" in (sandbox.state_dir / "inventory.yml").read_text()
