"""Compare the sandbox's PUT-201 with the real recording R1 (k8s-extension-2023-05-01.yaml, CRLF)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from .conftest import RG, SUB

RECORDING = Path("/work/shared/reference/recordings/k8s-extension-2023-05-01.yaml")


@pytest.mark.skipif(not RECORDING.exists(), reason="recordings not available")
def test_put_201_matches_recording(sandbox):
    text = RECORDING.read_bytes().decode("utf-8").replace("\r\n", "\n")
    interactions = yaml.safe_load(text)["interactions"]
    put = next(i for i in interactions if i["request"]["method"] == "PUT")
    assert put["response"]["status"]["code"] == 201
    rec_body = json.loads(put["response"]["body"]["string"])
    rec_headers = {k.lower() for k in put["response"]["headers"]}
    req_body = json.loads(put["request"]["body"])

    path = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Kubernetes/connectedClusters/arc-aml-demo"
            "/providers/Microsoft.KubernetesConfiguration/extensions/dapr?api-version=2023-05-01")
    status, body, headers = sandbox.ctl("PUT", path, req_body, headers={"Authorization": f"Bearer {sandbox.token()}"})
    assert status == 201
    ours = {k.lower() for k in headers}
    wanted = rec_headers - {"date", "content-length", "vary"}  # transport details
    assert wanted <= ours, wanted - ours
    assert set(rec_body) <= set(body)
    assert set(rec_body["properties"]) <= set(body["properties"])
    assert set(rec_body["systemData"]) == set(body["systemData"])
    for key in ("extensionType", "autoUpgradeMinorVersion", "releaseTrain", "version", "currentVersion", "scope",
                "provisioningState", "configurationSettings", "configurationProtectedSettings", "statuses",
                "isSystemExtension", "aksAssignedIdentity"):
        assert body["properties"][key] == rec_body["properties"][key], key
    rec_async = put["response"]["headers"]["azure-asyncoperation"][0]
    ours_async = headers["Azure-AsyncOperation"]
    assert rec_async.split("/providers/")[1].split("/")[1] == ours_async.split("/providers/")[1].split("/")[1] == "ConnectedClusters"
    assert rec_async.rsplit("?", 1)[1] == ours_async.rsplit("?", 1)[1] == "api-Version=2023-05-01"
    assert body["type"] == rec_body["type"] and body["name"] == rec_body["name"]
