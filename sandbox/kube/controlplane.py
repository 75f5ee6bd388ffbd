"""One sandbox cluster's real control plane: kube-apiserver (over the shared etcd, under a prefix of its
own), kube-controller-manager, kube-scheduler and kwok (which keeps the fake nodes Ready and runs the
pods bound to them).

The flags are those envtest and Kubernetes' own integration tests use, plus what keeps an idle API
server small (no priority-and-fairness machinery, few requests in flight), measured in `make bench`.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from . import kubeconfig, pki as pki_module
from .binaries import Binaries
from ..ports import free_port
from .process import ChildProcess, wait_healthy

APISERVER_READY_TIMEOUT = 90.0
COMPONENTS = 4  # kube-apiserver, kube-controller-manager, kube-scheduler, kwok
# kwok manages only the nodes carrying this annotation (kubernetes-control-plane.md).
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"


class ControlPlane:
    """The processes of one cluster. `directory` keeps its certificates, kubeconfigs and logs, so a
    restart finds the same CA and the same etcd prefix, and with them every object created before."""

    def __init__(self, name: str, key: str, directory: Path, binaries: Binaries, etcd_url: str) -> None:
        self.name, self.key, self.directory = name, key, directory
        self.binaries, self.etcd_url = binaries, etcd_url
        self.pki = pki_module.ensure(directory / "pki", name)
        self.processes: list[ChildProcess] = []
        self.internal_port = 0

    @property
    def admin_kubeconfig(self) -> Path:
        return self.directory / "admin.kubeconfig"

    @property
    def internal_url(self) -> str:
        """Where the API server listens while running (a new port each start; users reach the cluster
        through its stable public port instead, see pool.py)."""
        return f"https://127.0.0.1:{self.internal_port}"

    @property
    def running(self) -> bool:
        """All four processes run (an API server alone, after a failed start, is not a running cluster)."""
        return len(self.processes) == COMPONENTS and all(p.running for p in self.processes)

    def _log(self, component: str) -> Path:
        return self.directory / "logs" / f"{component}.log"

    def _apiserver_argv(self, port: int) -> list[str]:
        p = self.pki
        return [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={self.etcd_url}", f"--etcd-prefix=/clusters/{self.key}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={port}",
            f"--tls-cert-file={p.serving_cert}", f"--tls-private-key-file={p.serving_key}",
            f"--client-ca-file={p.ca}", "--authorization-mode=RBAC",
            f"--service-cluster-ip-range={pki_module.SERVICE_CLUSTER_IP_RANGE}", "--allow-privileged=true",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={p.service_account_pub}",
            f"--service-account-signing-key-file={p.service_account_key}",
            # Small when idle: dozens of these run side by side on 2 cores (make bench measures them).
            "--enable-priority-and-fairness=false", "--max-requests-inflight=100",
            "--max-mutating-requests-inflight=50", "--profiling=false", "--enable-garbage-collector=true",
            "--event-ttl=2h", "--v=0",
        ]

    async def start(self) -> None:
        if self.running:
            return
        await self.stop()
        try:
            await self._start()
        except BaseException:  # half-started is not running: nothing is left behind for the next try
            await self.stop()
            raise

    async def _start(self) -> None:
        port = self.internal_port = free_port()
        internal = self.internal_url
        for who in ("controller-manager", "scheduler", "kwok", "admin"):
            kubeconfig.write_component(self.directory / f"{who}.kubeconfig", internal, self.pki, who)
        apiserver = ChildProcess(f"kube-apiserver of {self.name}", self._apiserver_argv(port),
                                 self._log("kube-apiserver"))
        self.processes = [apiserver]
        await apiserver.start()
        await wait_healthy(f"{internal}/readyz", self.pki.ca, apiserver, APISERVER_READY_TIMEOUT,
                           (self.pki.client_cert("admin"), self.pki.client_key("admin")))
        b, d, p = self.binaries, self.directory, self.pki
        others = [
            ChildProcess(f"kube-controller-manager of {self.name}", [
                str(b.kube_controller_manager), f"--kubeconfig={d / 'controller-manager.kubeconfig'}",
                "--secure-port=0", "--leader-elect=false", "--use-service-account-credentials=true",
                f"--service-account-private-key-file={p.service_account_key}", f"--root-ca-file={p.ca}",
                f"--cluster-signing-cert-file={p.ca}", f"--cluster-signing-key-file={p.ca_key}",
                # Nothing allocates pod CIDRs or talks to a cloud here.
                "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route",
                "--v=0"], self._log("kube-controller-manager")),
            ChildProcess(f"kube-scheduler of {self.name}", [
                str(b.kube_scheduler), f"--kubeconfig={d / 'scheduler.kubeconfig'}",
                "--secure-port=0", "--leader-elect=false", "--v=0"], self._log("kube-scheduler")),
            ChildProcess(f"kwok of {self.name}", [
                str(b.kwok), f"--kubeconfig={d / 'kwok.kubeconfig'}", "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
                f"--config={self._kwok_config()}", "--server-address=", "--node-ip=10.244.0.1",
                "--cidr=10.244.0.0/16", "--node-lease-duration-seconds=40"], self._log("kwok")),
        ]
        self.processes.extend(others)
        await asyncio.gather(*(process.start() for process in others))

    def _kwok_config(self) -> Path:
        # An explicit configuration (kwok's default stages: nodes Ready, bound pods Running), so a
        # ~/.kwok/kwok.yaml on the machine changes nothing.
        path = self.directory / "kwok.yaml"
        if not path.exists():
            path.write_text("apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n")
        return path

    def check(self) -> None:
        """Raise with the log's end when a component has died."""
        for process in self.processes:
            if not process.running:
                raise RuntimeError(process.exited_message())

    async def stop(self) -> None:
        processes, self.processes = self.processes, []
        # The API server last: the others would log connection errors while it goes.
        for process in reversed(processes):
            await process.stop()
