# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube.py: kubernetes.core's client and predicates behind one adapter; every failure one clear message.

The refusals (403, 401) come from a minimal local HTTP endpoint that answers discovery and then refuses,
as an API server with RBAC does; the readiness predicates are kubernetes.core's own.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from ansible_collections.azureml.kubernetes.plugins.module_utils import kube
from tests.support.kube import free_port

DISCOVERY = {
    "/version": {"major": "1", "minor": "34", "gitVersion": "v1.34.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"]},
        {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap",
         "verbs": ["get", "list"]}]},
}
FORBIDDEN = ('pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API '
             'group "" in the namespace "azureml"')
CONFIGMAP = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "arcml-healthcheck", "namespace": "azureml"},
             "data": {"status": "passed"}}


def _kubeconfig(tmp_path, server, contexts=("ctx1",)):
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": contexts[0],
        "clusters": [{"name": "c1", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u1", "user": {"token": "t0ken"}}],
        "contexts": [{"name": n, "context": {"cluster": "c1", "user": "u1"}} for n in contexts],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture
def api():
    """A local endpoint: discovery answers; pods answer with the status set in `api.pods_status`."""
    state = {"pods_status": 403}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in DISCOVERY:
                return self._send(200, DISCOVERY[path])
            if path == "/api/v1/namespaces/azureml/configmaps/arcml-healthcheck":
                return self._send(200, CONFIGMAP)
            if path == "/api/v1/namespaces/azureml/configmaps/missing":
                return self._send(404, {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
                                        "message": 'configmaps "missing" not found'})
            code = state["pods_status"]
            if code == 200:
                return self._send(200, {"kind": "PodList", "apiVersion": "v1", "items": [
                    {"metadata": {"name": "gateway-1", "namespace": "azureml"}, "status": {"phase": "Running"}}]})
            reason = {401: "Unauthorized", 403: "Forbidden"}[code]
            return self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason,
                                     "code": code, "message": FORBIDDEN if code == 403 else "Unauthorized"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.state = state
    yield server
    server.shutdown()


# --- auth options are kubernetes.core's
def test_auth_argument_spec_is_kubernetes_core():
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

    spec = kube.auth_argument_spec()
    assert spec == AUTH_ARG_SPEC and spec is not AUTH_ARG_SPEC
    for option in ("kubeconfig", "context", "host", "api_key", "validate_certs"):
        assert option in spec
    assert spec["api_key"]["no_log"] is True


def test_only_set_auth_options_are_passed():
    k = kube.Kube({"kubeconfig": "/x", "context": None, "name": "azureml", "host": None}, "aks1")
    assert k.auth == {"kubeconfig": "/x"}


# --- reads and errors
def test_list_and_get(api, tmp_path):
    api.state["pods_status"] = 200
    k = kube.Kube({"kubeconfig": _kubeconfig(tmp_path, f"http://127.0.0.1:{api.server_port}")}, "aks1")
    pods = k.list("Pod", "azureml")
    assert [(p["metadata"]["name"], p["status"]["phase"]) for p in pods] == [("gateway-1", "Running")]
    assert k.get("ConfigMap", "arcml-healthcheck", "azureml")["data"] == {"status": "passed"}
    assert k.get("ConfigMap", "missing", "azureml") is None


def test_missing_context_names_cluster_context_and_the_known_ones(tmp_path):
    path = _kubeconfig(tmp_path, "http://127.0.0.1:1", contexts=("aks1", "arc1"))
    k = kube.Kube({"kubeconfig": path, "context": "aks-prod"}, "aks-prod")
    with pytest.raises(kube.KubeError) as err:
        k.list("Pod", "azureml")
    msg = str(err.value)
    assert "Context aks-prod for cluster aks-prod is not in " + path in msg
    assert "(it has: aks1, arc1)" in msg and "K8S_AUTH_CONTEXT" in msg


def test_missing_kubeconfig_file(tmp_path):
    k = kube.Kube({"kubeconfig": str(tmp_path / "nope")}, "aks1")
    with pytest.raises(kube.KubeError, match=r"No usable kubeconfig for cluster aks1: .*nope.*K8S_AUTH_KUBECONFIG"):
        k.list("Pod", "azureml")


def test_unreachable_api_server(tmp_path):
    server = f"http://127.0.0.1:{free_port()}"
    k = kube.Kube({"kubeconfig": _kubeconfig(tmp_path, server), "context": "ctx1"}, "aks1")
    with pytest.raises(kube.KubeError) as err:
        k.list("Pod", "azureml")
    msg = str(err.value)
    assert msg.startswith(f"Cannot reach the API server of cluster aks1 (context ctx1, API server {server}) to ")
    assert "Check that the cluster is running" in msg
    assert "Traceback" not in msg


def test_forbidden_read_names_the_permission(api, tmp_path):
    k = kube.Kube({"kubeconfig": _kubeconfig(tmp_path, f"http://127.0.0.1:{api.server_port}"), "context": "ctx1"},
                  "aks1")
    with pytest.raises(kube.KubeError) as err:
        k.list("Pod", "azureml")
    msg = str(err.value)
    assert msg.startswith("Forbidden: the identity of cluster aks1 (context ctx1, API server http://127.0.0.1:")
    assert FORBIDDEN in msg and kube.RBAC_HINT in msg and "RoleBinding" in msg


def test_refused_credentials(api, tmp_path):
    api.state["pods_status"] = 401
    k = kube.Kube({"kubeconfig": _kubeconfig(tmp_path, f"http://127.0.0.1:{api.server_port}")}, "aks1")
    with pytest.raises(kube.KubeError, match="refused the credentials .401 Unauthorized.*Renew the token"):
        k.list("Pod", "azureml")


def test_api_not_served(api, tmp_path):
    api.state["pods_status"] = 200
    k = kube.Kube({"kubeconfig": _kubeconfig(tmp_path, f"http://127.0.0.1:{api.server_port}")}, "aks1")
    with pytest.raises(kube.KubeError, match="does not serve apps/v1 Deployment"):
        k.list("Deployment", "azureml", api_version="apps/v1")


# --- readiness: kubernetes.core's predicates over plain dicts
def _deployment(spec_replicas, replicas, available, generation=1, observed=1, unavailable=None):
    status = {"replicas": replicas, "availableReplicas": available, "observedGeneration": observed}
    if unavailable is not None:
        status["unavailableReplicas"] = unavailable
    return {"metadata": {"generation": generation}, "spec": {"replicas": spec_replicas}, "status": status}


@pytest.mark.parametrize("obj, ready", [
    (_deployment(3, 3, 3), True),
    (_deployment(3, 3, 2, unavailable=1), False),
    (_deployment(3, 3, 3, generation=2, observed=1), False),
    (_deployment(1, 1, None), False),
    ({"metadata": {}, "spec": {"replicas": 1}}, False),
    (None, False),
])
def test_deployment_ready(obj, ready):
    assert kube.is_ready("Deployment", obj) is ready


def test_daemonset_and_statefulset_ready():
    ds = {"metadata": {"generation": 1},
          "status": {"desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberReady": 3, "observedGeneration": 1}}
    assert kube.is_ready("DaemonSet", ds)
    ds["status"]["numberReady"] = 2
    assert not kube.is_ready("DaemonSet", ds)
    sts = {"metadata": {"generation": 1}, "spec": {"replicas": 1, "updateStrategy": {"type": "RollingUpdate"}},
           "status": {"observedGeneration": 1, "updateRevision": "r1", "currentRevision": "r1", "updatedReplicas": 1,
                      "readyReplicas": 1, "replicas": 1}}
    assert kube.is_ready("StatefulSet", sts)
    sts["status"]["readyReplicas"] = 0
    assert not kube.is_ready("StatefulSet", sts)


def test_pod_ready():
    pod = {"status": {"phase": "Running", "containerStatuses": [{"name": "a", "ready": True}]}}
    assert kube.is_ready("Pod", pod)
    pod["status"]["containerStatuses"].append({"name": "b", "ready": False})
    assert not kube.is_ready("Pod", pod)
    assert not kube.is_ready("Pod", {"status": {"phase": "Pending"}})
