"""A sandbox restart keeps every cluster as it was: its objects (in etcd), its CA (the kubeconfig still
works) and its port. Only a removed cluster loses them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from kubernetes import client, config

from sandbox.client import SandboxClient

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=ROOT, check=True, capture_output=True, timeout=180)


def _api(kubeconfig: str, context: str):
    return client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig, context=context))


def test_restart_keeps_the_cluster_objects_ca_and_port(tmp_path):
    state = tmp_path / "sb"
    _cli("start", "--state-dir", str(state))
    try:
        sandbox = SandboxClient(state)
        kubeconfig = sandbox.env["K8S_AUTH_KUBECONFIG"]
        _api(kubeconfig, "aks-aml-demo").create_namespace({"metadata": {"name": "kept-across-restart"}})
        before = yaml.safe_load(open(kubeconfig))["clusters"]
        _cli("stop", "--state-dir", str(state))
        _cli("start", "--state-dir", str(state))
        after = yaml.safe_load(open(kubeconfig))["clusters"]
        assert after == before  # same servers (ports) and the same CAs
        names = [n.metadata.name for n in _api(kubeconfig, "aks-aml-demo").list_namespace().items]
        assert "kept-across-restart" in names
    finally:
        _cli("stop", "--state-dir", str(state))
