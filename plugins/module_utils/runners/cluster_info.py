# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_cluster_info``: the Azure side and the Kubernetes side of one cluster, and its preflight report.

``gather()`` does the reads (Azure: the cluster, the providers, on AKS the Trusted Access role bindings when
local accounts are disabled or authorized IP ranges are set; Kubernetes, read-only: nodes, Deployments and
DaemonSets, the kubelet Service, CRDs, the leftover ClusterRole, namespace ``azureml``, the privileged SCC on
OpenShift, the Arc agent's proxy ConfigMap), ``decide()`` is ``aml/preflight.evaluate`` (pure), and ``apply()``
reports. Only ``apply()`` fails the task, with one message naming the cluster and the fix.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import preflight
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import Kube, KubeError, sensitive_values
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.clusters import Clusters
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.providers import Providers

CRD_API = "apiextensions.k8s.io/v1"
RBAC_API = "rbac.authorization.k8s.io/v1"


def options_of(params: Mapping[str, Any]) -> preflight.Options:
    return preflight.Options(
        extension_name=params["extension_name"],
        workloads=tuple(params["workloads"]),
        sizing=params["sizing"],
        settings=params.get("settings") or {},
        workspace_id=params.get("workspace_id") or None,
        inference_router_ha_below_3_nodes=params["inference_router_ha_below_3_nodes"],
        reuse_existing=params["reuse_existing"],
        fix_helm_ownership=params["fix_helm_ownership"],
        compute_namespace=params["compute_namespace"],
        openshift_extra_service_accounts=tuple(params.get("openshift_extra_service_accounts") or ()),
        authorized_ip_ranges_include_aml=params["authorized_ip_ranges_include_aml"],
        registering=tuple(params.get("registering_providers") or ()),
    )


def serves(kube: Kube, kind: str, api_version: str) -> bool:
    """Whether the API server serves ``kind`` in ``api_version`` (kubernetes.core's discovery)."""
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService

    client = kube.client  # raises KubeError with the fix when the cluster cannot be reached
    try:
        return K8sService(client, None).find_resource(kind, api_version, fail=False) is not None
    # discovery failed: classified as the adapter classifies reads, one message
    except kube_adapter.KUBE_FAILURES as exc:  # pylint: disable=catching-non-exception
        raise KubeError(kube._read_message(exc, f"discover {api_version}")) from None  # pylint: disable=protected-access


def read_kubernetes(kube: Kube, facts: preflight.Facts) -> None:
    """The Kubernetes side, read-only, into ``facts``."""
    facts.nodes = kube.list("Node", None)
    facts.deployments = kube.list("Deployment", None, api_version="apps/v1")
    facts.daemonsets = kube.list("DaemonSet", None, api_version="apps/v1")
    facts.services = kube.list("Service", None, label_selectors=["k8s-app=kubelet"])
    # Listed items carry no kind or apiVersion; the Helm ownership actions name both.
    facts.crds = [{"apiVersion": CRD_API, "kind": "CustomResourceDefinition", **c}
                  for c in kube.list("CustomResourceDefinition", None, api_version=CRD_API)
                  if _group(c) in (preflight.AMLARC_GROUP, preflight.MONITORING_GROUP)
                  or _group(c).endswith(preflight.VOLCANO_GROUP_SUFFIX)]
    facts.cluster_roles = [{"apiVersion": RBAC_API, "kind": "ClusterRole", **r}
                           for r in (kube.get("ClusterRole", name, None, api_version=RBAC_API)
                                     for name in preflight.LEFTOVER_CLUSTER_ROLES) if r]
    facts.namespace = kube.get("Namespace", preflight.NAMESPACE, None)
    facts.openshift_api = serves(kube, "SecurityContextConstraints", preflight.SCC_API_VERSION)
    if facts.openshift_api:
        facts.scc = kube.get("SecurityContextConstraints", preflight.SCC_NAME, None,
                             api_version=preflight.SCC_API_VERSION)
    if facts.cluster_type == "connectedClusters":
        try:  # optional: the Arc agent's proxy settings, when this identity may read them
            facts.arc_proxy = kube.get("ConfigMap", preflight.ARC_PROXY_CONFIGMAP[1], preflight.ARC_PROXY_CONFIGMAP[0])
        except KubeError:
            facts.arc_proxy = None


def _group(crd: Mapping[str, Any]) -> str:
    return str((crd.get("spec") or {}).get("group") or "")


def gather(azure: Any, params: Mapping[str, Any], kube: Kube) -> tuple[preflight.Facts, ClusterFacts]:
    """Every read; raises CollectionError (Azure) or KubeError (Kubernetes)."""
    ctype = params["cluster_type"]
    clusters = Clusters(azure, ctype, params["resource_group"], params["cluster_name"])
    resource = clusters.resource()
    if resource is None:
        raise clusters.not_found()
    summary = clusters.facts_of(resource)
    providers = Providers(azure)
    states = {ns: providers.state(ns) for ns in preflight.PROVIDERS_BY_TYPE[ctype]}
    facts = preflight.Facts(cluster_type=ctype, cluster_name=params["cluster_name"],
                            subscription_id=azure.subscription_id, cloud_name=azure.cloud.name,
                            cluster=resource, providers=states,
                            environment={k: v for k, v in os.environ.items()
                                         if k.upper() in preflight.PROXY_VARIABLES})
    props = resource.get("properties") or {}
    if ctype == "managedClusters" and (props.get("disableLocalAccounts")
                                       or (props.get("apiServerAccessProfile") or {}).get("authorizedIPRanges")):
        try:
            facts.bindings = clusters.trusted_access_bindings()
        except AzureCallError as exc:  # not served (outside AzureCloud) or not readable: judged as no binding
            facts.bindings_error = exc.message
    read_kubernetes(kube, facts)
    return facts, summary


def cluster_view(facts: preflight.Facts, summary: ClusterFacts, report: Mapping[str, Any]) -> dict[str, Any]:
    """RETURN ``cluster``: the ARM facts, the identity facts, and what the Kubernetes side showed."""
    props = facts.cluster.get("properties") or {}
    view = summary.view()
    view.update(
        subscription_id=facts.subscription_id,
        providers=dict(facts.providers),
        identity_type=preflight.identity_type(facts.cluster) if facts.cluster_type == "managedClusters" else
        (facts.cluster.get("identity") or {}).get("type"),
        kubelet_identity=preflight.kubelet_identity(facts.cluster)["type"]
        if facts.cluster_type == "managedClusters" else None,
        local_accounts_disabled=bool(props.get("disableLocalAccounts")),
        authorized_ip_ranges=len((props.get("apiServerAccessProfile") or {}).get("authorizedIPRanges") or []),
        pod_identity=bool((props.get("podIdentityProfile") or {}).get("enabled")),
        connectivity_status=props.get("connectivityStatus"),
        trusted_access_bindings=None if facts.bindings is None else [
            {"name": b.get("name"), "source_resource_id": (b.get("properties") or {}).get("sourceResourceId"),
             "roles": (b.get("properties") or {}).get("roles") or []} for b in facts.bindings],
        kubernetes={"nodes": report["capacity"]["nodes"], "allocatable_cpu": f"{report['capacity']['cpu_milli']}m",
                    "allocatable_memory": f"{report['capacity']['memory_mi']}Mi", "openshift": report["openshift"],
                    "namespace_phase": ((facts.namespace or {}).get("status") or {}).get("phase")},
    )
    return view


def decide(facts: preflight.Facts, params: Mapping[str, Any]) -> dict[str, Any]:
    """Pure: the preflight report (ValueError on bad input)."""
    return preflight.evaluate(facts, options_of(params))


def apply(azure: Any, *, kube: Kube | None = None) -> dict[str, Any]:
    p = azure.params
    if kube_adapter.IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        azure.fail(missing_required_lib("kubernetes (the Python client) and the kubernetes.core collection"),
                   exception=str(kube_adapter.IMPORT_ERROR))
    azure.hide(*sensitive_values(p))
    try:
        options = options_of(p)
        preflight.workspace_parts(options.workspace_id)
        preflight.scc_accounts(options)
    except ValueError as exc:
        azure.fail(f"{exc} (cluster {p['cluster_name']})")
    kube = kube or Kube(p, p["cluster_name"])
    try:
        facts, summary = gather(azure, p, kube)
    except KubeError as exc:
        azure.fail(str(exc))
    except CollectionError as exc:
        azure.fail_error(exc)
    report = decide(facts, p)
    return dict(changed=False, cluster=cluster_view(facts, summary, report), **report)


def run(azure: Any) -> NoReturn:
    azure.exit(**apply(azure))
