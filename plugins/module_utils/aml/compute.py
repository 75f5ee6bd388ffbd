# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings the CLI injects and translates, computed from the normalised maps and the cluster (pure).

Each injected value comes from, in order: the user's config, the current settings (on update), the
computed default; so an update never flips what an earlier install chose. Differences from the CLI (its
bugs, fixed): ``domain`` is honoured when given (the CLI reads ``doamin``); PEM paths are never sent, only
their base64 content, whenever inference is on; ``openshift`` is injected on OpenShift unless the user set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.normalise import Normalised
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import (
    AmlSettingsError,
    PEM_KEYS,
    PROTECTED_ALIASES,
    SETTINGS_ALIASES,
    WORKLOAD_FLAGS,
    canonical_value,
    current_view,
    is_true,
)


def compute(normalised: Normalised, cluster: ClusterFacts, *, operation: str = "create",
            current_settings: Mapping[str, Any] | None = None) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(settings, protected, notes): the maps to send, the user's plus what the CLI injects and translates.

    Call ``validate`` first; PEM files are read again here and a failure raises ``AmlSettingsError``.
    """
    settings = dict(normalised.settings)
    protected = dict(normalised.protected)
    current = current_view(current_settings) if operation == "update" else {}
    notes: list[str] = []
    inference = _write_workload_flags(settings, protected, current)
    if inference:
        _translate_inference(settings, protected, operation)
    elif any(key in protected for key in PEM_KEYS):
        notes.append("sslCertPemFile/sslKeyPemFile are not sent while enableInference is false")
    _apply_small_cluster(settings, protected, current, cluster, notes)
    _apply_openshift(settings, protected, cluster)
    _inject_cluster_defaults(settings, protected, current, cluster)
    _copy_aliases(settings, protected, current)
    for key in PEM_KEYS:
        # The CLI also sends the local paths; they mean nothing to the cluster.
        protected.pop(key, None)
    return settings, protected, notes


def _default(settings: dict[str, str], protected: Mapping[str, str], current: Mapping[str, str],
             key: str, value: str) -> bool:
    """Set ``key`` unless the user did; return whether the computed ``value`` was used (not the current one)."""
    if key in settings or key in protected:
        return False
    settings[key] = current.get(key, value)
    return key not in current


def _write_workload_flags(settings: dict[str, str], protected: dict[str, str], current: Mapping[str, str]) -> bool:
    # The CLI always writes both flags into the public settings and drops them from the protected ones.
    for key in WORKLOAD_FLAGS:
        value = settings.get(key, protected.pop(key, None))
        if value is None:
            value = canonical_value(key, current.get(key, False))
        settings[key] = value
    return is_true(settings["enableInference"])


def _translate_inference(settings: dict[str, str], protected: dict[str, str], operation: str) -> None:
    view = dict(protected, **settings)
    if is_true(view.get("isAKSMigration")):
        settings["scoringFe.namespace"] = "default"
    _translate_service_type(settings, view, operation)
    if all(key in protected for key in PEM_KEYS):
        cert, key = _read_pem_pair(protected)
        protected["scoringFe.sslCert"] = tls.base64_content(cert)
        protected["scoringFe.sslKey"] = tls.base64_content(key)
    elif view.get("sslSecret"):
        settings["scoringFe.sslSecret"] = view["sslSecret"]


def _translate_service_type(settings: dict[str, str], view: Mapping[str, str], operation: str) -> None:
    service_type = view.get("inferenceRouterServiceType")
    provider = view.get("internalLoadBalancerProvider")
    node_port = service_type == "nodePort"
    internal = provider == "azure"
    if operation == "update":
        # The CLI's update path writes both flags whenever their source key is given, False included.
        if service_type is not None:
            settings["scoringFe.serviceType.nodePort"] = canonical_value("scoringFe.serviceType.nodePort", node_port)
        if provider is not None:
            settings["scoringFe.serviceType.internalLoadBalancer"] = canonical_value(
                "scoringFe.serviceType.internalLoadBalancer", internal)
    elif node_port:
        settings["scoringFe.serviceType.nodePort"] = canonical_value("scoringFe.serviceType.nodePort", True)
    elif internal:
        settings["scoringFe.serviceType.internalLoadBalancer"] = canonical_value(
            "scoringFe.serviceType.internalLoadBalancer", True)


def _read_pem_pair(protected: Mapping[str, str]) -> tuple[bytes, bytes]:
    try:
        pair = tls.load_pem_pair(protected["sslCertPemFile"], protected["sslKeyPemFile"])
    except tls.PemError as exc:
        raise AmlSettingsError(exc.problems) from None
    return pair.cert_pem, pair.key_pem


def _apply_small_cluster(settings: dict[str, str], protected: Mapping[str, str], current: Mapping[str, str],
                         cluster: ClusterFacts, notes: list[str]) -> None:
    if not cluster.small:
        return
    # As the CLI: each only if the user has not set it (and, on update, the extension does not have it).
    # The note names only what was injected: a user's inferenceRouterHA: true draws the E40002 warning instead.
    purpose = _default(settings, protected, current, "clusterPurpose", "DevTest")
    single = _default(settings, protected, current, "inferenceRouterHA", "false")
    if purpose or single:
        injected = ("clusterPurpose defaults to DevTest and inferenceRouterHA to false" if purpose and single
                    else "clusterPurpose defaults to DevTest" if purpose else "inferenceRouterHA defaults to false")
        notes.append("the cluster has %d node(s): %s" % (cluster.node_count, injected))


def _apply_openshift(settings: dict[str, str], protected: Mapping[str, str], cluster: ClusterFacts) -> None:
    if (cluster.distribution or "").lower() == "openshift" and "openshift" not in protected:
        settings.setdefault("openshift", "true")


def _inject_cluster_defaults(settings: dict[str, str], protected: Mapping[str, str], current: Mapping[str, str],
                             cluster: ClusterFacts) -> None:
    location = cluster.location.lower()  # the CLI lower-cases the cluster's location
    aks = cluster.cluster_type == "managedClusters"
    defaults = (
        ("cluster_name", cluster.resource_id),  # built as the CLI builds it
        ("domain", "%s.cloudapp.azure.com" % location),
        ("location", location),
        ("jobSchedulerLocation", location),
        ("cluster_name_friendly", cluster.name),
        ("servicebus.enabled", "false"),
        ("relayserver.enabled", "false" if aks else "true"),
        ("nginxIngress.enabled", "true" if aks else "false"),
    )
    for key, value in defaults:
        _default(settings, protected, current, key, value)


def _copy_aliases(settings: dict[str, str], protected: dict[str, str], current: Mapping[str, str]) -> None:
    for target, aliases in ((settings, SETTINGS_ALIASES), (protected, PROTECTED_ALIASES)):
        for source, copies in aliases.items():
            if source not in target:
                continue
            for alias in copies:
                if alias not in target:
                    target[alias] = current.get(alias, target[source]) if target is settings else target[source]
