"""Group 2: the sandbox — start-up to healthy, ARM throughput through the real SDK, and memory.

One sandbox of its own (.bench/sandbox-arm), provisioning delay 0 s, so what is measured is the
emulator and the client, not an emulated wait. Order: cold start (new CA), warm restart, seed 500
clusters (every fifth Arc), PUT installs on the first AKS clusters through the SDK (PUT, status poll,
final GET), then GET load on those extensions from 20 threads: once with the SDK (a client per thread,
as Ansible forks have) and once with plain requests and a bearer token from the MSI endpoint, which
separates the emulator's limit from the client's. All client threads share this one Python process and
the machine's CPUs with the sandbox, so the CPU rows show who was busy. Last, the request log is filled
to its cap (10 000 entries), as in a long-lived sandbox, and the RSS read again.
"""

from __future__ import annotations

import io
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import targets
from .measure import CpuWindow, median, percentile, proc_status_kib
from .paths import ensure_importable
from .results import Row, row
from .sandbox_proc import SandboxClient, environment, own_sandbox, timed_start

ensure_importable()  # the repository root, for the sandbox's own constants
from sandbox.state.reqlog import MAX_ENTRIES as REQUEST_LOG_ENTRIES  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.plays import POC_CONFIG  # noqa: E402  pylint: disable=wrong-import-position

CLUSTERS = 500
ARC_EVERY = 5  # every fifth seeded cluster is Arc-enabled
RESOURCE_GROUP = "rg-bench"
INSTALLS = 300
INSTALL_CLIENTS = 10
GET_CLIENTS = 20
GET_SECONDS = 4.0
EXTENSION = "azureml"
API_VERSION = "2023-05-01"  # the SDK's default for extensions
SCOPE = "https://management.azure.com/.default"
SETTINGS = {"provisioning_delay_seconds": 0, "retry_after_seconds": 1}


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    cpu: CpuWindow | None = None

    @property
    def completed(self) -> int:
        return len(self.latencies)


def _run_clients(clients: int, make_call: Callable[[int], Callable[[], None]], pid: int,
                 seconds: float | None = None) -> Load:
    """``clients`` threads, each with its own call (built and warmed up before the clock starts).

    With ``seconds`` each thread calls in a loop until time is up; without, until its call raises
    queue.Empty (a shared work queue ran dry).
    """
    load = Load()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()

    def note_error(exc: BaseException) -> None:
        with lock:
            load.errors += 1
            load.first_error = load.first_error or f"{type(exc).__name__}: {exc}"[:300]

    def worker(index: int) -> None:
        try:
            call = make_call(index)
        except BaseException as exc:
            note_error(exc)
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:  # another client could not start: nothing is measured
            return
        mine = []
        while not stop.is_set():
            began = time.perf_counter()
            try:
                call()
            except queue.Empty:
                break
            except Exception as exc:  # counted, and shown in the table
                note_error(exc)
                continue
            mine.append(time.perf_counter() - began)
        with lock:
            load.latencies += mine

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError as exc:
        stop.set()
        raise RuntimeError(f"a client could not start: {load.first_error}") from exc
    with CpuWindow(pid) as window:
        if seconds is not None:
            time.sleep(seconds)
            stop.set()
        for thread in threads:
            thread.join()
    load.cpu = window
    return load


def _client(sandbox: SandboxClient, credential: Any) -> Any:
    from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient

    return SourceControlConfigurationClient(credential, sandbox.subscription_id, base_url=sandbox.url,
                                            credential_scopes=[SCOPE], connection_verify=sandbox.ca_bundle,
                                            polling_interval=1)


def _install_bodies(sandbox: SandboxClient, names: list[str]) -> dict[str, bytes]:
    """The PUT body the module sends for the proof-of-concept scenario, per cluster (the collection's core)."""
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import (ClusterFacts,
                                                                                      cluster_resource_id)
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import create_body
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings import desired

    bodies = {}
    for name in names:
        cluster = ClusterFacts("managedClusters", cluster_resource_id(sandbox.subscription_id, RESOURCE_GROUP,
                                                                      "managedClusters", name), name, "eastus", 3)
        want, _warnings = desired(cluster, None, config=POC_CONFIG, config_protected={})
        bodies[name] = json.dumps(create_body(want)).encode()
    return bodies


def _throughput_rows(bench: str, load: Load, unit_name: str, rate_target: targets.Target | None,
                     p95_target: targets.Target | None) -> list[Row]:
    if not load.latencies or load.cpu is None:
        raise RuntimeError(f"{bench}: no call succeeded ({load.errors} errors; first: {load.first_error})")
    rate = load.completed / load.cpu.wall if load.cpu.wall else 0.0
    return [
        row(bench, f"{unit_name}/s", rate, f"{unit_name}/s", rate_target,
            note=f"{load.completed} in {load.cpu.wall:.1f} s"),
        row(bench, "latency p50", median(load.latencies) * 1e3, "ms"),
        row(bench, "latency p95", percentile(load.latencies, 95) * 1e3, "ms", p95_target),
        row(bench, "errors", load.errors, "", targets.ZERO_ERRORS, note=load.first_error),
        row(bench, "sandbox CPU", load.cpu.percent(load.cpu.other_cpu), "% of a core"),
        row(bench, "client (benchmark process) CPU", load.cpu.percent(load.cpu.own_cpu), "% of a core"),
    ]


def _raw_getter(sandbox: SandboxClient, token: str, names: list[str],
                work: queue.Queue[int] | None = None) -> Callable[[int], Callable[[], None]]:
    """Plain requests with the bearer token: the emulator's cost with the least client overhead."""
    import requests

    def make(index: int) -> Callable[[], None]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        url = (f"{sandbox.url}/subscriptions/{sandbox.subscription_id}/resourceGroups/{RESOURCE_GROUP}/providers/"
               f"Microsoft.ContainerService/managedClusters/{names[index % len(names)]}/providers/"
               f"Microsoft.KubernetesConfiguration/extensions/{EXTENSION}?api-version={API_VERSION}")

        def get() -> None:
            if work is not None:
                work.get_nowait()
            session.get(url, verify=sandbox.ca_bundle, timeout=30).raise_for_status()
        session.get(url, verify=sandbox.ca_bundle, timeout=30).raise_for_status()
        return get
    return make


def _sdk_installer(sandbox: SandboxClient, credential: Any, names: list[str]) -> Callable[[int], Callable[[], None]]:
    bodies = _install_bodies(sandbox, names)
    work: queue.Queue[str] = queue.Queue()
    for name in names:
        work.put(name)

    def make(_index: int) -> Callable[[], None]:
        extensions = _client(sandbox, credential).extensions
        list(extensions.list(RESOURCE_GROUP, "Microsoft.ContainerService", "managedClusters", names[0]))

        def install() -> None:
            name = work.get_nowait()
            poller = extensions.begin_create(RESOURCE_GROUP, "Microsoft.ContainerService", "managedClusters", name,
                                             EXTENSION, io.BytesIO(bodies[name]))
            state = poller.result().provisioning_state
            if state != "Succeeded":
                raise RuntimeError(f"{name}: provisioningState {state}")
        return install
    return make


def _sdk_getter(sandbox: SandboxClient, credential: Any, names: list[str]) -> Callable[[int], Callable[[], None]]:
    def make(index: int) -> Callable[[], None]:
        extensions = _client(sandbox, credential).extensions
        name = names[index % len(names)]

        def get() -> None:
            extensions.get(RESOURCE_GROUP, "Microsoft.ContainerService", "managedClusters", name, EXTENSION)
        get()
        return get
    return make


def _rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    return proc_status_kib(pid, field_name) / 1024


def run(rows: list[Row]) -> None:
    ensure_importable()
    from azure.identity import ManagedIdentityCredential

    with own_sandbox("arm") as (sandbox, cold):
        rows.append(row("sandbox: start-up", "cold start to healthy (new state dir, CA generated)", cold, "s",
                        targets.SANDBOX_START_S))
        sandbox.stop()
        sandbox, warm = timed_start(sandbox.state_dir)
        rows.append(row("sandbox: start-up", "warm restart to healthy (state dir kept)", warm, "s",
                        targets.SANDBOX_START_S))
        sandbox.settings(**SETTINGS)
        pid = sandbox.pid
        rows.append(row("sandbox: memory", "RSS idle (default world)", _rss_mb(pid), "MB"))

        specs = [{"name": f"bench-{i:04d}", "resource_group": RESOURCE_GROUP, "location": "eastus", "node_count": 3,
                  "cluster_type": "connectedClusters" if i % ARC_EVERY == ARC_EVERY - 1 else "managedClusters"}
                 for i in range(CLUSTERS)]
        began = time.perf_counter()
        sandbox.seed_clusters(specs)
        rows.append(row("sandbox: memory", f"seed {CLUSTERS} clusters (one control call)",
                        time.perf_counter() - began, "s", targets.SANDBOX_SEED_S))
        rows.append(row("sandbox: memory", f"RSS after seeding {CLUSTERS} clusters", _rss_mb(pid), "MB",
                        targets.SANDBOX_RSS_MB))

        aks = [s["name"] for s in specs if s["cluster_type"] == "managedClusters"][:INSTALLS]
        env = {k: sandbox.env[k] for k in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE",
                                           "SSL_CERT_FILE")}
        with environment(env):
            credential = ManagedIdentityCredential()
            token = credential.get_token(SCOPE).token  # one token, cached by the credential, as in a module run

            load = _run_clients(INSTALL_CLIENTS, _sdk_installer(sandbox, credential, aks), pid)
            rows += _throughput_rows(f"sandbox: PUT installs, {INSTALL_CLIENTS} SDK clients, {INSTALLS} clusters",
                                     load, "installs", targets.SANDBOX_INSTALLS_PS, targets.SANDBOX_INSTALL_P95_MS)
            load = _run_clients(GET_CLIENTS, _sdk_getter(sandbox, credential, aks), pid, GET_SECONDS)
            rows += _throughput_rows(f"sandbox: GET extension, {GET_CLIENTS} SDK clients", load, "GET",
                                     targets.SANDBOX_GET_RPS, targets.SANDBOX_GET_P95_MS)
            load = _run_clients(GET_CLIENTS, _raw_getter(sandbox, token, aks), pid, GET_SECONDS)
            rows += _throughput_rows(f"sandbox: GET extension, {GET_CLIENTS} plain-requests clients", load, "GET",
                                     targets.SANDBOX_GET_RPS, targets.SANDBOX_GET_P95_MS)
            rows.append(row("sandbox: memory", f"RSS after the load ({CLUSTERS} clusters, {INSTALLS} extensions)",
                            _rss_mb(pid), "MB", targets.SANDBOX_RSS_MB))

            # A long-lived sandbox (make sandbox, a demo) ends up with a full request log: fill it and look again.
            logged = sandbox.last_seq()
            if logged < REQUEST_LOG_ENTRIES:
                work: queue.Queue[int] = queue.Queue()
                for i in range(REQUEST_LOG_ENTRIES - logged):
                    work.put(i)
                _run_clients(GET_CLIENTS, _raw_getter(sandbox, token, aks, work), pid)
        rows.append(row("sandbox: memory", f"RSS with a full request log ({REQUEST_LOG_ENTRIES} entries)",
                        _rss_mb(pid), "MB", targets.SANDBOX_RSS_MB))
        rows.append(row("sandbox: memory", "peak RSS over the whole run (VmHWM)", _rss_mb(pid, "VmHWM"), "MB"))
