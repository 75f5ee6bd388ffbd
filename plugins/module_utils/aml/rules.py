# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rule on the settings, checked before anything is written (pure).

The CLI's rules plus the ones it lacks: PEM files that pass the certificate checker (``tls.check``: parse,
no passphrase, key matches, valid now, chain in order, ``sslCname`` covered by a subjectAltName), no
``sslSecret`` together with the PEM pair, internal load balancer on AKS only, no update that turns both workloads off, no Azure resource the
CLI would create and this collection does not (``servicebus.enabled``, ``logAnalyticsWS``).

Updates (``operation='update'``, ``current_settings`` = the extension's public settings on Azure): the rules
judge the merged view (user config over current settings). Whenever inference is on after the update,
``inferenceRouterServiceType`` must be in the merged view, and HTTPS or ``allowInsecureConnections: true``
must be. HTTPS counts as present when TLS material is given now, or when the current settings show it was
installed (``enableInference`` already true and one of ``TLS_MARKERS`` set): Azure never returns protected
settings, so PEM content installed earlier is visible only through these. The rule errs towards accepting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import MIN_HA_NODES, ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.normalise import Normalised
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import (
    PEM_KEYS,
    SERVICE_TYPES,
    TLS_MARKERS,
    AmlSettingsError,
    as_text,
    current_view,
    is_true,
)


def validate(normalised: Normalised, cluster: ClusterFacts, *, operation: str = "create",
             current_settings: Mapping[str, Any] | None = None) -> list[str]:
    """Apply every rule; raise ``AmlSettingsError`` with all problems, else return warnings.

    On update ``current_settings`` (the extension's public settings on Azure) fills in what the user did
    not give, so "both workloads off" and the inference rules are judged on the result (see "Updates" in
    the module docstring for the TLS evidence read from the current settings).
    May raise ``tls.MissingCryptographyError`` when PEM files are given and ``cryptography`` is missing.
    """
    problems: list[str] = []
    warnings: list[str] = []
    current = current_view(current_settings) if operation == "update" else {}
    view = _effective(normalised, current)
    _check_workloads(view, operation, problems)
    inference = is_true(view.get("enableInference"))
    if inference:
        _check_inference_entry(view, normalised, current, problems)
    _check_tls_material(view, normalised, inference, problems, warnings)
    _check_internal_load_balancer(view, cluster, problems)
    _check_high_availability(normalised, cluster, inference, warnings)
    _check_azure_resources_not_created(view, normalised, problems)
    _check_log_analytics_key_kept(view, current, normalised, warnings)
    if problems:
        raise AmlSettingsError(problems)
    return warnings


def _effective(normalised: Normalised, current: Mapping[str, Any]) -> dict[str, str]:
    # The CLI looks a key up in settings first, then in protected settings.
    view = {key: as_text(value) for key, value in current.items()}
    view.update(normalised.protected)
    view.update(normalised.settings)
    return view


def _check_workloads(view: Mapping[str, str], operation: str, problems: list[str]) -> None:
    if is_true(view.get("enableTraining")) or is_true(view.get("enableInference")):
        return
    if operation == "update":
        problems.append("this update would leave both enableTraining and enableInference false; the extension "
                        "needs one of them: keep one true, or delete the extension instead")
    else:
        problems.append("enableTraining and enableInference are both false or unset: set enableTraining: true "
                        "(training, batch endpoints) and/or enableInference: true (online endpoints)")


def _check_inference_entry(view: Mapping[str, str], normalised: Normalised, current: Mapping[str, str],
                           problems: list[str]) -> None:
    # On update ``view`` is the user's config over the current settings, so both rules judge the result.
    if "inferenceRouterServiceType" not in view:
        problems.append("inferenceRouterServiceType is required when enableInference is true: set it to %s"
                        % SERVICE_TYPES)
    if (not _tls_given(view, normalised) and not _tls_on_extension(current)
            and not is_true(view.get("allowInsecureConnections"))):
        problems.append("enableInference is true but no TLS material is given: set sslSecret (a Kubernetes "
                        "secret in the azureml namespace) or sslCertPemFile and sslKeyPemFile (in "
                        "config_protected), together with sslCname; or, for HTTP only, set "
                        "allowInsecureConnections: true")


def _tls_given(view: Mapping[str, str], normalised: Normalised) -> bool:
    return bool(view.get("sslSecret")) or any(key in normalised.protected for key in PEM_KEYS)


def _tls_on_extension(current: Mapping[str, str]) -> bool:
    # Azure never returns the protected settings, so PEM content installed earlier shows only through these.
    # Only while inference is on: with it off, PEM content is not sent, so a marker proves nothing.
    return is_true(current.get("enableInference")) and any(current.get(key) for key in TLS_MARKERS)


def _check_tls_material(view: Mapping[str, str], normalised: Normalised, inference: bool,
                        problems: list[str], warnings: list[str]) -> None:
    pem_given = [key for key in PEM_KEYS if key in normalised.protected]
    if len(pem_given) == 1:
        missing = [key for key in PEM_KEYS if key not in pem_given][0]
        problems.append("%s is given without %s: give both in config_protected" % (pem_given[0], missing))
    if pem_given and "sslSecret" in normalised.settings.keys() | normalised.protected.keys():
        problems.append("sslSecret and sslCertPemFile/sslKeyPemFile are both given: use one of them (the az CLI "
                        "silently prefers the PEM files)")
    if not inference:
        if pem_given or "sslSecret" in normalised.settings:
            warnings.append("TLS settings are ignored while enableInference is false")
        return
    if _tls_given(view, normalised) and not view.get("sslCname"):
        problems.append("sslCname is required with HTTPS (sslSecret or sslCertPemFile/sslKeyPemFile): set it to "
                        "the host name clients use for the inference endpoint")
    if len(pem_given) == 2:
        _check_pem_files(normalised, view.get("sslCname"), problems, warnings)


def _check_pem_files(normalised: Normalised, cname: str | None, problems: list[str], warnings: list[str]) -> None:
    # The collection's one certificate checker (aml/tls.check): passphrase, key match, validity dates, chain
    # order, and sslCname against the subjectAltNames; every refusal comes before any write.
    try:
        pair = tls.load_pem_pair(normalised.protected["sslCertPemFile"], normalised.protected["sslKeyPemFile"],
                                 cname=cname)
    except tls.PemError as exc:
        problems.extend(exc.problems)
        return
    warnings.extend(pair.warnings)


def _check_internal_load_balancer(view: Mapping[str, str], cluster: ClusterFacts, problems: list[str]) -> None:
    if view.get("internalLoadBalancerProvider") != "azure":
        return
    if cluster.cluster_type != "managedClusters":
        problems.append("internalLoadBalancerProvider works on AKS (managedClusters) only and this is a %s "
                        "cluster (health check E40003): remove internalLoadBalancerProvider" % cluster.cluster_type)
    if view.get("inferenceRouterServiceType") == "nodePort":
        problems.append("internalLoadBalancerProvider: azure does not apply to inferenceRouterServiceType "
                        "nodePort: remove internalLoadBalancerProvider, or use loadBalancer")


def _check_high_availability(normalised: Normalised, cluster: ClusterFacts, inference: bool,
                             warnings: list[str]) -> None:
    given = normalised.settings.get("inferenceRouterHA", normalised.protected.get("inferenceRouterHA"))
    if inference and is_true(given) and cluster.small:
        warnings.append("inferenceRouterHA is true but the cluster has %d node(s); three router replicas need "
                        "at least %d nodes and the install will fail health check E40002: set "
                        "inferenceRouterHA: false or add nodes" % (cluster.node_count, MIN_HA_NODES))


def _check_azure_resources_not_created(view: Mapping[str, str], normalised: Normalised,
                                       problems: list[str]) -> None:
    if is_true(view.get("servicebus.enabled")):
        problems.append("servicebus.enabled: true makes the az CLI create an Azure Service Bus namespace, which "
                        "this collection does not do (nor does the extension need it): remove servicebus.enabled")
    # Judged on what the user gives: an extension the az CLI installed with logAnalyticsWS=true has its
    # workspace already, and a key given in config_protected does not change what the flag asks for.
    given = normalised.settings.get("logAnalyticsWS", normalised.protected.get("logAnalyticsWS"))
    if is_true(given):
        problems.append("logAnalyticsWS: true makes the az CLI create a Log Analytics workspace, which this "
                        "collection does not do: remove logAnalyticsWS, create the workspace, and give "
                        "azure_log_analytics.enabled: true and azure_log_analytics.customer_id in config and its "
                        "shared key as azure_log_analytics.connection_string in config_protected")


def _check_log_analytics_key_kept(view: Mapping[str, str], current: Mapping[str, str], normalised: Normalised,
                                  warnings: list[str]) -> None:
    # Azure replaces the protected settings as a whole: a send without the workspace key removes it.
    if (is_true(current.get("azure_log_analytics.enabled")) and is_true(view.get("azure_log_analytics.enabled"))
            and normalised.protected and "azure_log_analytics.connection_string" not in normalised.protected):
        warnings.append("the extension sends its logs to a Log Analytics workspace (azure_log_analytics.enabled is "
                        "true) but config_protected has no azure_log_analytics.connection_string: Azure replaces the "
                        "protected settings as a whole, so when they are sent the workspace key is removed; give it "
                        "in config_protected")
