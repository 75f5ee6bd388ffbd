# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AzureML extension's health-check codes: their documented cause and fix (pure)."""

from __future__ import annotations

# Causes and fixes of the AzureML extension's health-check codes, from the extension's troubleshooting
# guide (how-to-troubleshoot-kubernetes-extension), so a failed install says what to do next.
HEALTH_CHECK_HINTS: dict[str, str] = {
    "E40001": (
        "LOAD_BALANCER_NOT_SUPPORT: the cluster cannot provision a LoadBalancer service. Set "
        "inferenceRouterServiceType to nodePort or clusterIP, or install a load balancer."
    ),
    "E40002": (
        "INSUFFICIENT_NODE: inferenceRouterHA needs at least three nodes. Set inferenceRouterHA: false "
        "or add nodes."
    ),
    "E40003": (
        "INTERNAL_LOAD_BALANCER_NOT_SUPPORT: internalLoadBalancerProvider works on AKS only. Remove it "
        "on this cluster."
    ),
    "E40007": (
        "INVALID_SSL_SETTING: the TLS certificate, key or sslCname is invalid. Check that the key "
        "matches the certificate and that sslCname is covered by it."
    ),
    "E45002": (
        "PROMETHEUS_CONFLICT: another Prometheus operator is installed. Set installPromOp: false and "
        "follow 'reusing the prometheus operator'."
    ),
    "E45003": (
        "BAD_NETWORK_CONNECTIVITY: the cluster cannot reach the Azure Machine Learning endpoints. "
        "Open the outbound rules listed in 'access Azure ML behind a firewall'."
    ),
    "E45004": (
        "AZUREML_FE_ROLE_CONFLICT: a legacy azureml-fe ClusterRole exists. Run the legacy azureml-fe "
        "cleanup before installing."
    ),
    "E45005": (
        "AZUREML_FE_DEPLOYMENT_CONFLICT: a legacy azureml-fe deployment exists. Run the legacy "
        "azureml-fe cleanup before installing."
    ),
}


def health_check_hints(*texts: str | None) -> list[str]:
    """Return the documented cause and fix of every health-check code mentioned in the texts."""
    joined = " ".join(t for t in texts if t)
    return [f"{code} {hint}" for code, hint in HEALTH_CHECK_HINTS.items() if code in joined]
