"""Group 1: settings processing (normalise + validate + compute) and plan(), pure and in process.

The four scenarios are the documentation's (tests/integration/test_scenarios.py): two without PEM files,
two with generated PEM files (an RSA-2048 chain and an EC P-256 certificate). The second run's decision is
timed as the module makes it (AmlExtension.plan): the protected-settings fingerprint check, then plan() of
desired (computed on update) against the extension the first run left behind. It must decide "nothing to
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


def _cluster(aml_settings: Any, scenario: Scenario, name: str) -> Any:
    rp = ("Microsoft.ContainerService/managedClusters" if scenario.cluster_type == "managedClusters"
          else "Microsoft.Kubernetes/connectedClusters")
    return aml_settings.ClusterFacts(
        cluster_type=scenario.cluster_type,
        resource_id=f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/{rp}/{name}",
        name=name, location="eastus", node_count=scenario.node_count,
        distribution="k3s" if scenario.cluster_type == "connectedClusters" else None)


def _bench_scenario(scenario: Scenario, pem_dir: Path) -> list[Row]:
    from ansible_collections.azureml.kubernetes.plugins.module_utils import (aml_settings, extension_state,
                                                                         protected_fingerprint)

    name = "bench-" + scenario.title.split()[0].lower()
    cluster = _cluster(aml_settings, scenario, name)
    protected: dict[str, str] = {}
    if scenario.pem:
        protected = _pem_pair(pem_dir, scenario.pem).protected()

    def process(operation: str = "create", current: dict[str, str] | None = None) -> Any:
        normalised = aml_settings.normalise(scenario.config, protected)
        aml_settings.validate(normalised, cluster, operation=operation, current_settings=current)
        return aml_settings.compute(normalised, cluster, operation=operation, current_settings=current)

    # The extension the first run leaves on Azure, as GET returns it: the computed settings, the fingerprint of
    # the user's protected settings (update_protected: when_changed) and, on Arc, the relay outputs.
    first = process()
    settings = dict(first.settings)
    if first.protected:
        settings[protected_fingerprint.FINGERPRINT_KEY] = protected_fingerprint.fingerprint(first.protected)
    first = aml_settings.Desired(settings, first.protected, first.warnings)
    if aml_settings.needs_relay(first, cluster):
        first = aml_settings.with_relay(first, "Endpoint=sb://bench.servicebus.windows.net/;SharedAccessKey=x",
                                        cluster.resource_id + "-relay/hybridConnections/" + name, name)
    created = extension_state.create_body(extension_state.DesiredExtension(
        cluster_type=scenario.cluster_type, settings=first.settings, protected=first.protected))
    current = {"id": cluster.resource_id + "/providers/Microsoft.KubernetesConfiguration/extensions/azureml",
               "name": "azureml", "properties": dict(created["properties"], provisioningState="Succeeded",
                                                     configurationProtectedSettings={}, version="1.1.70")}
    current_settings = current["properties"]["configurationSettings"]
    second = process("update", current_settings)
    desired = extension_state.DesiredExtension(cluster_type=scenario.cluster_type, settings=second.settings,
                                               protected=second.protected)

    # The module's decision on the second run (AmlExtension.plan): does the protected set need resending
    # (a salted PBKDF2 fingerprint check), then plan() of the public settings and properties.
    def protected_check() -> bool:
        return protected_fingerprint.should_send("when_changed", desired.protected, current_settings)

    def plan(resend: bool = False) -> Any:
        return extension_state.plan(desired, current, resend_protected=resend,
                                    equal=aml_settings.settings_equal, is_default=aml_settings.is_default)

    resend = protected_check()
    outcome = plan(resend)
    if resend or outcome.action != "none":
        raise AssertionError(f"{scenario.title}: the idempotent run would {outcome.action} "
                             f"({'; '.join(outcome.reasons) or 'resend protected settings'}), not do nothing")

    calls = time_calls(process, iterations=ITERATIONS, max_seconds=MAX_SECONDS)
    plans = time_calls(plan, iterations=PLAN_ITERATIONS, max_seconds=MAX_SECONDS)
    peak = peak_python_bytes(process)
    bench = f"settings: {scenario.title}"
    rows = [
        row(bench, "normalise+validate+compute, median", median(calls) * 1e3, "ms", note=f"n={len(calls)}"),
        row(bench, "normalise+validate+compute, p95", percentile(calls, 95) * 1e3, "ms",
            targets.SETTINGS_CALL_P95_MS),
        row(bench, "normalise+validate+compute, peak Python memory", peak / 1024, "KiB", targets.SETTINGS_PEAK_KIB),
        row(bench, "plan() vs current (idempotent), median", median(plans) * 1e6, "µs", note=f"n={len(plans)}"),
        row(bench, "plan() vs current (idempotent), p95", percentile(plans, 95) * 1e6, "µs", targets.PLAN_P95_US),
    ]
    if desired.protected:
        checks = time_calls(protected_check, iterations=FINGERPRINT_ITERATIONS, max_seconds=MAX_SECONDS, warmup=1)
        rows.append(row(bench, "protected-settings fingerprint check (when_changed), p95",
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
