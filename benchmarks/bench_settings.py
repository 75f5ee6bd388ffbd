"""Group 1: settings processing (aml/settings.desired(): normalise, rules, compute) and plan(), pure and in process.

The four scenarios are the documentation's (tests/integration/test_scenarios.py): two without PEM files,
two with generated PEM files (an RSA-2048 chain and an EC P-256 certificate). The second run's decision is
timed as the module makes it (runners/extension.decide): the protected-settings fingerprint check, then
plan() of desired (computed on update) against the extension the first run left behind. It must decide "nothing to
do" (checked, so a wrong decision is an error rather than a fast number).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import targets
from .measure import median, peak_python_bytes, percentile, time_calls
from .paths import ensure_importable
from .results import Row, error_row, row

ensure_importable()  # the repository root: tests/support
from tests.support import pki  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.plays import POC_CONFIG  # noqa: E402  pylint: disable=wrong-import-position

ITERATIONS = 400
MAX_SECONDS = 2.0  # per timed loop
PLAN_ITERATIONS = 2000
FINGERPRINT_ITERATIONS = 30  # a deliberately slow hash: a few dozen calls are enough
SUBSCRIPTION = "6b1e4d4a-0000-4000-8000-00000000a001"
RESOURCE_GROUP = "rg-bench"


@dataclass(frozen=True)
class Scenario:
    title: str
    cluster_type: str
    node_count: int
    config: dict[str, Any]
    pem: str | None = None  # "rsa" or "ec": config_protected gets sslCertPemFile/sslKeyPemFile


SCENARIOS = (
    Scenario("AKS proof of concept", "managedClusters", 3, POC_CONFIG),
    Scenario("Arc training only", "connectedClusters", 4, {"enableTraining": "True"}),
    Scenario("AKS production HTTPS, RSA-2048 chain PEM", "managedClusters", 4,
             {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
              "sslCname": "ml.contoso.com"}, pem="rsa"),
    Scenario("Arc production nodePort GPU, EC P-256 PEM", "connectedClusters", 4,
             {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "NodePort",
              "sslCname": "ml.contoso.com", "installNvidiaDevicePlugin": "True", "installDcgmExporter": "True"},
             pem="ec"),
)


def _pem_pair(directory: Path, kind: str) -> pki.PemPair:
    """``rsa``: an RSA-2048 leaf signed by an RSA-2048 CA, the file holding the chain (leaf + CA), as most real
    certificates are delivered. ``ec``: a self-signed P-256 certificate."""
    names = {"common_name": "ml.contoso.com", "dns_names": ("ml.contoso.com",)}
    if kind == "rsa":
        return pki.write_pair(directory, pki.rsa_key(), kind, issuer=pki.ca("Contoso Bench CA"), **names)
    return pki.write_pair(directory, pki.ec_key(), kind, **names)


def _bench_scenario(scenario: Scenario, pem_dir: Path) -> list[Row]:
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import extension_state, fingerprint
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import (ClusterFacts,
                                                                                      cluster_resource_id)
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.relay import needs_relay, relay_names
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings import desired
    from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.extension import Options, decide

    name = "bench-" + scenario.title.split()[0].lower()
    cluster = ClusterFacts(scenario.cluster_type,
                           cluster_resource_id(SUBSCRIPTION, RESOURCE_GROUP, scenario.cluster_type, name), name,
                           "eastus", scenario.node_count,
                           "k3s" if scenario.cluster_type == "connectedClusters" else None)
    protected: dict[str, str] = {}
    if scenario.pem:
        protected = _pem_pair(pem_dir, scenario.pem).protected()
    options = Options("azureml")

    def process(current_settings: dict[str, str] | None = None) -> Any:
        return desired(cluster, current_settings, config=scenario.config, config_protected=protected)[0]

    # The first run, as the module decides it; the extension it leaves on Azure is that body as GET returns it
    # (protected settings never come back): the fingerprint of the protected settings and, on Arc, the Relay's.
    want = process()
    relay = relay_names(name, SUBSCRIPTION, RESOURCE_GROUP) if needs_relay(want) else None
    created = decide(want, None, options, relay=relay).plan.body or {}
    current = {"id": cluster.resource_id + "/providers/Microsoft.KubernetesConfiguration/extensions/azureml",
               "name": "azureml", "properties": dict(created["properties"], provisioningState="Succeeded",
                                                     configurationProtectedSettings={}, version="1.1.70")}
    current_settings = current["properties"]["configurationSettings"]
    again = process(current_settings)

    # The second run's decision as the module makes it (runners/extension.decide): the protected-settings
    # fingerprint check (a salted PBKDF2) and plan() of the settings and properties.
    def decision() -> Any:
        return decide(again, current, options, relay=relay, relay_complete=True)

    def plan() -> Any:
        return extension_state.plan(again, current, resend_protected=False)

    outcome = decision().plan
    if outcome.action != "none":
        raise AssertionError(f"{scenario.title}: the idempotent run would {outcome.action} "
                             f"({'; '.join(outcome.reasons)}), not do nothing")

    calls = time_calls(lambda: process(current_settings), iterations=ITERATIONS, max_seconds=MAX_SECONDS)
    plans = time_calls(plan, iterations=PLAN_ITERATIONS, max_seconds=MAX_SECONDS)
    peak = peak_python_bytes(process)
    bench = f"settings: {scenario.title}"
    rows = [
        row(bench, "desired() (normalise, rules, compute), median", median(calls) * 1e3, "ms",
            note=f"n={len(calls)}"),
        row(bench, "desired() (normalise, rules, compute), p95", percentile(calls, 95) * 1e3, "ms",
            targets.SETTINGS_CALL_P95_MS),
        row(bench, "desired(), peak Python memory", peak / 1024, "KiB", targets.SETTINGS_PEAK_KIB),
        row(bench, "plan() vs current (idempotent), median", median(plans) * 1e6, "µs", note=f"n={len(plans)}"),
        row(bench, "plan() vs current (idempotent), p95", percentile(plans, 95) * 1e6, "µs", targets.PLAN_P95_US),
    ]
    if fingerprint.FINGERPRINT_KEY in current_settings:
        checks = time_calls(decision, iterations=FINGERPRINT_ITERATIONS, max_seconds=MAX_SECONDS, warmup=1)
        rows.append(row(bench, "decide() with the protected-settings fingerprint check (when_changed), p95",
                        percentile(checks, 95) * 1e3, "ms", targets.FINGERPRINT_P95_MS,
                        note=f"n={len(checks)}, median {median(checks) * 1e3:.0f} ms"))
    return rows


def run(rows: list[Row]) -> None:
    ensure_importable()
    with tempfile.TemporaryDirectory(prefix="aml-bench-pem-") as tmp:
        for scenario in SCENARIOS:
            try:
                rows += _bench_scenario(scenario, Path(tmp))
            except Exception as exc:  # one broken scenario must not hide the others
                rows.append(error_row(f"settings: {scenario.title}", exc))
