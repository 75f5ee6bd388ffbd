# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight verdicts for an AzureML extension install: the documented prerequisites as data (pure).

``evaluate(facts, options)`` turns what was read of a cluster (``Facts``: the Azure side and the Kubernetes
side, gathered by ``runners/cluster_info``) and what the user asked for (``Options``) into one report:
``checks`` (each ``{id, status: pass|warn|fail, reason, fix}``), ``settings_adjustments`` (extension settings
the prerequisites call for, e.g. ``inferenceRouterHA: "False"``), ``actions`` (the Kubernetes changes the role
``prerequisites`` makes: the SCC users to add, the ``prom-kubelet`` ServiceMonitor, the Helm ownership
metadata), and ``passed`` (no item failed). Sources: ``azureml-kubernetes-docs.md`` §0, §2, §5 and
``aml-operations-facts.md`` (Trusted Access, OpenShift SCC, reuse, why installs fail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import components as table

PASS, WARN, FAIL = "pass", "warn", "fail"
NAMESPACE = table.NAMESPACE
PUBLIC_CLOUD = "AzureCloud"
KNOWN_OTHER_CLOUDS = ("AzureChinaCloud", "AzureUSGovernment")
MLWORKLOAD_ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload"
KUBERNETES_CONFIGURATION = "Microsoft.KubernetesConfiguration"
PROVIDERS_BY_TYPE = {
    table.MANAGED: (KUBERNETES_CONFIGURATION, "Microsoft.ContainerService"),
    table.CONNECTED: (KUBERNETES_CONFIGURATION, "Microsoft.Kubernetes", "Microsoft.Relay"),
}
MIN_HA_NODES = table.ROUTER_HA_REPLICAS
# Production needs at least 4 vCPU and 14 GB (docs §0).
PRODUCTION_MIN_CPU_MILLI = 4000
PRODUCTION_MIN_MEMORY_MI = 14 * 1024
SIZINGS = ("test", "production")
HA_CHOICES = ("set_false", "fail")

# OpenShift: the service accounts the privileged SCC must list (docs §2, the current reference page).
SCC_NAME = "privileged"
SCC_API_VERSION = "security.openshift.io/v1"
SCC_ARC_ACCOUNTS = ("azure-arc:azure-arc-kube-aad-proxy-sa",)
SCC_AZUREML_ACCOUNTS = ("{EXT}-kube-state-metrics", "prom-admission", "default", "prom-operator",
                        "load-amlarc-selinux-policy-sa", "azureml-fe-v2", "prom-prometheus", "azureml-ingress-nginx",
                        "azureml-ingress-nginx-admission")
SA_PREFIX = "system:serviceaccount:"

# Helm ownership metadata (the troubleshooting page's fix for "invalid ownership metadata").
MANAGED_BY = "app.kubernetes.io/managed-by"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
# Cluster-scoped objects an earlier install leaves behind that the chart renders again (AML-Kubernetes#162).
LEFTOVER_CLUSTER_ROLES = ("blob-external-provisioner-role",)
AMLARC_GROUP = "amlarc.azureml.com"
VOLCANO_GROUP_SUFFIX = "volcano.sh"
MONITORING_GROUP = "monitoring.coreos.com"

# Reuse: what the documentation requires of an existing Prometheus operator, Volcano, dcgm-exporter.
PROM_KUBELET = "prom-kubelet"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
DCGM_NAME_LABEL = "app.kubernetes.io/name"
DCGM_NAME = "dcgm-exporter"
VOLCANO_PARTS = ("volcano-scheduler", "volcano-controllers")

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")
ARC_PROXY_CONFIGMAP = ("azure-arc", "azure-clusterconfig")


@dataclass
class Facts:
    """What was read of one cluster. Azure: ``cluster`` (ARM JSON), ``providers`` {namespace: state},
    ``bindings`` (Trusted Access role bindings, None when not read, ``bindings_error`` when unreadable).
    Kubernetes: the objects as plain dicts (``None`` where absent)."""

    cluster_type: str
    cluster_name: str
    subscription_id: str
    cloud_name: str
    cluster: Mapping[str, Any]
    providers: Mapping[str, str] = field(default_factory=dict)
    bindings: list[Mapping[str, Any]] | None = None
    bindings_error: str | None = None
    nodes: list[Mapping[str, Any]] = field(default_factory=list)
    openshift_api: bool = False
    scc: Mapping[str, Any] | None = None
    deployments: list[Mapping[str, Any]] = field(default_factory=list)
    daemonsets: list[Mapping[str, Any]] = field(default_factory=list)
    services: list[Mapping[str, Any]] = field(default_factory=list)
    crds: list[Mapping[str, Any]] = field(default_factory=list)
    cluster_roles: list[Mapping[str, Any]] = field(default_factory=list)
    namespace: Mapping[str, Any] | None = None
    arc_proxy: Mapping[str, Any] | None = None  # the Arc agent's ConfigMap, when visible
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Options:
    """What the user asked for (the module's options)."""

    extension_name: str = "azureml"
    workloads: tuple[str, ...] = table.BOTH
    sizing: str = "production"
    settings: Mapping[str, Any] = field(default_factory=dict)
    workspace_id: str | None = None
    inference_router_ha_below_3_nodes: str = "set_false"
    reuse_existing: bool = True
    fix_helm_ownership: bool = False
    compute_namespace: str = "default"
    openshift_extra_service_accounts: tuple[str, ...] = ()
    authorized_ip_ranges_include_aml: bool = False
    registering: tuple[str, ...] = ()  # providers this run registers (in check mode they are not yet)


def item(id_: str, status: str, reason: str, fix: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "status": status, "reason": reason, "fix": fix if status != PASS else None, **extra}


# --- quantities
_CPU = re.compile(r"^([0-9.]+)(m?)$")
_MEM = re.compile(r"^([0-9.]+)([KMGTPE]i?|e[0-9]+|)$")
_MEM_FACTORS = {"": 1, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
                "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18}


def cpu_milli(value: Any) -> int:
    """A CPU quantity in millicores (``3860m``, ``4``, ``0.5``); 0 for anything unreadable."""
    m = _CPU.match(str(value or "").strip())
    if not m:
        return 0
    number = float(m.group(1))
    return int(number) if m.group(2) else int(round(number * 1000))


def memory_mi(value: Any) -> int:
    """A memory quantity in Mi (``12Gi``, ``16000Mi``, ``1e9``, bytes); 0 for anything unreadable."""
    m = _MEM.match(str(value or "").strip())
    if not m:
        return 0
    suffix = m.group(2)
    factor = 10 ** int(suffix[1:]) if suffix.startswith("e") else _MEM_FACTORS[suffix]
    return int(float(m.group(1)) * factor // 2 ** 20)


# --- helpers over objects
def _meta(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (obj or {}).get("metadata") or {}


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    return _meta(obj).get("labels") or {}


def _annotations(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    return _meta(obj).get("annotations") or {}


def helm_owned(obj: Mapping[str, Any], release: str, namespace: str = NAMESPACE) -> bool:
    """Helm may adopt ``obj`` into ``release`` (its ownership label and annotations say so)."""
    return (_labels(obj).get(MANAGED_BY) == "Helm" and _annotations(obj).get(RELEASE_NAME) == release
            and _annotations(obj).get(RELEASE_NAMESPACE) == namespace)


def effective_settings(options: Options, cluster_type: str) -> dict[str, Any]:
    """The settings the install will have: the given ones, with the chosen workloads switched on."""
    settings = {str(k): v for k, v in options.settings.items()}
    for workload, key in table.WORKLOAD_SETTINGS.items():
        if not any(k.lower() == key.lower() for k in settings):
            settings[key] = "True" if workload in options.workloads else "False"
    return settings


def _on(settings: Mapping[str, Any], key: str, cluster_type: str) -> bool:
    return table.flag(settings, key, cluster_type)


def workspace_parts(workspace_id: str | None) -> dict[str, str] | None:
    """subscription, resource_group and name of an AML workspace ARM id; ValueError when it is not one."""
    if not workspace_id:
        return None
    m = re.match(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/"
                 r"workspaces/([^/]+)/?$", workspace_id, re.IGNORECASE)
    if not m:
        raise ValueError(f"workspace_id {workspace_id!r} is not an Azure Machine Learning workspace id: it must look "
                         "like /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/"
                         "workspaces/<name>.")
    return {"subscription_id": m.group(1), "resource_group": m.group(2), "name": m.group(3)}


# --- Azure side
def provider_items(cluster_type: str, providers: Mapping[str, str],
                   registering: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One item per provider the cluster type needs; ``registering``: the ones this run registers (check mode)."""
    out = []
    being_registered = {n.lower() for n in registering}
    for namespace in PROVIDERS_BY_TYPE[cluster_type]:
        state = providers.get(namespace) or "unknown"
        if state.lower() == "registered":
            out.append(item(f"provider/{namespace}", PASS, f"{namespace} is Registered."))
        elif namespace.lower() in being_registered:
            out.append(item(f"provider/{namespace}", WARN, f"{namespace} is {state}: it would be registered.",
                            "Run without check mode to register it."))
        else:
            out.append(item(f"provider/{namespace}", FAIL,
                            f"Resource provider {namespace} is {state} in the subscription; the extension needs it.",
                            f"Register it: set prerequisites_register_providers: true (module "
                            f"azureml.kubernetes.aml_resource_provider), or az provider register --namespace {namespace}."))
    return out


def identity_type(cluster: Mapping[str, Any]) -> str:
    """SystemAssigned, UserAssigned or ServicePrincipal (an AKS cluster without managed identity)."""
    ident = (cluster.get("identity") or {}).get("type")
    client = ((cluster.get("properties") or {}).get("servicePrincipalProfile") or {}).get("clientId")
    if ident and ident != "None":
        return ident
    if client and client != "msi":
        return "ServicePrincipal"
    return ident or "None"


def kubelet_identity(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """The kubelet identity: type default (AKS's own, in the node resource group), custom, or none."""
    props = cluster.get("properties") or {}
    resource = (((props.get("identityProfile") or {}).get("kubeletidentity")) or {}).get("resourceId")
    if not resource:
        return {"type": "none", "resource_id": None}
    node_rg = str(props.get("nodeResourceGroup") or "").lower()
    in_node_rg = bool(node_rg) and f"/resourcegroups/{node_rg}/" in resource.lower()
    return {"type": "default" if in_node_rg else "custom", "resource_id": resource}


def trusted_access(facts: Facts, workspace: dict[str, str] | None, workspace_id: str | None) -> dict[str, Any]:
    """Whether Trusted Access covers this cluster for the workspace: {available, binding, note}."""
    if facts.cloud_name in KNOWN_OTHER_CLOUDS:
        return {"available": False, "binding": None,
                "note": f"Trusted Access is available in AzureCloud only, not in {facts.cloud_name}."}
    if facts.bindings is None:
        why = f": {facts.bindings_error}" if facts.bindings_error else ""
        note = (f"The cluster's Trusted Access role bindings could not be read{why}." if facts.cloud_name == PUBLIC_CLOUD
                else f"Cloud {facts.cloud_name} does not serve Trusted Access role bindings{why}; Trusted Access is "
                "available in AzureCloud only.")
        return {"available": False, "binding": None, "note": note}
    for binding in facts.bindings:
        props = binding.get("properties") or binding
        roles = props.get("roles") or []
        source = str(props.get("sourceResourceId") or props.get("source_resource_id") or "")
        if MLWORKLOAD_ROLE.lower() not in (r.lower() for r in roles):
            continue
        if workspace_id and source.rstrip("/").lower() != workspace_id.rstrip("/").lower():
            continue
        return {"available": True, "binding": binding.get("name"), "source": source,
                "note": f"Trusted Access role binding {binding.get('name')} gives workspace {source} role "
                        f"{MLWORKLOAD_ROLE} on the cluster."}
    whom = f"workspace {workspace_id}" if workspace_id else "any workspace"
    return {"available": False, "binding": None,
            "note": f"No Trusted Access role binding with role {MLWORKLOAD_ROLE} for {whom}."}


def _ta_fix(facts: Facts, workspace_id: str | None) -> str:
    source = workspace_id or "<workspace id>"
    if facts.cloud_name in KNOWN_OTHER_CLOUDS:
        return "Outside AzureCloud there is no Trusted Access: use an AKS cluster with local accounts enabled, or Arc."
    return (f"Create a Trusted Access role binding for the workspace: az aks trustedaccess rolebinding create -g "
            f"<rg> --cluster-name {facts.cluster_name} -n <name> -s {source} --roles {MLWORKLOAD_ROLE} (then detach "
            "and attach again any compute attached before the binding existed).")


def aks_items(facts: Facts, options: Options, workspace: dict[str, str] | None) -> list[dict[str, Any]]:
    props = facts.cluster.get("properties") or {}
    out = []
    ident = identity_type(facts.cluster)
    if ident == "ServicePrincipal":
        out.append(item("identity", FAIL, "The AKS cluster uses a service principal; the extension needs a managed "
                        "identity (unsupported: AKS with a service principal).",
                        f"Convert it to a managed identity (az aks update -g <rg> -n {facts.cluster_name} "
                        "--enable-managed-identity), then recreate the node pools.", identity_type=ident))
    else:
        out.append(item("identity", PASS, f"Managed identity ({ident}).", identity_type=ident))
    ta = None
    needs_ta = bool(props.get("disableLocalAccounts")) or bool(
        (props.get("apiServerAccessProfile") or {}).get("authorizedIPRanges"))
    if needs_ta:
        ta = trusted_access(facts, workspace, options.workspace_id)
    if props.get("disableLocalAccounts"):
        if ta and ta["available"]:
            out.append(item("local_accounts", PASS, "Local accounts are disabled, which Trusted Access supports "
                            f"(AzureCloud only). {ta['note']}"))
        else:
            out.append(item("local_accounts", FAIL, "Local accounts are disabled, which the extension supports only "
                            f"through Trusted Access. {ta['note'] if ta else ''}".strip(), _ta_fix(facts, options.workspace_id)
                            + f" Or enable local accounts (az aks update -g <rg> -n {facts.cluster_name} "
                            "--enable-local-accounts)."))
    else:
        out.append(item("local_accounts", PASS, "Local accounts are enabled."))
    ranges = (props.get("apiServerAccessProfile") or {}).get("authorizedIPRanges") or []
    if not ranges:
        out.append(item("authorized_ip_ranges", PASS, "No authorized IP ranges."))
    elif ta and ta["available"]:
        out.append(item("authorized_ip_ranges", PASS, f"{len(ranges)} authorized IP ranges; with Trusted Access the "
                        f"AzureMachineLearning ranges are not needed. {ta['note']}"))
    elif options.authorized_ip_ranges_include_aml:
        out.append(item("authorized_ip_ranges", WARN, f"{len(ranges)} authorized IP ranges, said to include the "
                        "AzureMachineLearning ranges of the workspace region and its paired region.",
                        "Keep them current: the ranges change (role azureml.kubernetes.authorized_ip_ranges)."))
    else:
        out.append(item("authorized_ip_ranges", FAIL, f"{len(ranges)} authorized IP ranges and no Trusted Access for "
                        f"the workspace: the AML control plane cannot reach the API server. {ta['note'] if ta else ''}"
                        .strip(), _ta_fix(facts, options.workspace_id) + " Or add the AzureMachineLearning.<region> "
                        "ranges of the workspace region and its paired region (role azureml.kubernetes."
                        "authorized_ip_ranges) and set prerequisites_authorized_ip_ranges_include_aml: true."))
    if (props.get("podIdentityProfile") or {}).get("enabled"):
        out.append(item("pod_identity", WARN, "Microsoft Entra pod identity is enabled; the extension does not "
                        "support it.", "Disable pod identity (az aks pod-identity ... / --disable-pod-identity), or "
                        "use workload identity."))
    else:
        out.append(item("pod_identity", PASS, "Pod identity is not enabled."))
    kubelet = kubelet_identity(facts.cluster)
    if kubelet["type"] == "custom":
        out.append(item("kubelet_identity", WARN, f"The kubelet uses a custom user-assigned identity "
                        f"({kubelet['resource_id']}): a known cause of failed extension installs (service-to-service "
                        "authorization on managedclusters/extensionaddons; Azure/AKS#3835).",
                        "If the install fails with an authorization error, use the AKS-managed kubelet identity.",
                        kubelet_identity=kubelet["type"]))
    else:
        out.append(item("kubelet_identity", PASS, f"Kubelet identity: {kubelet['type']}.",
                        kubelet_identity=kubelet["type"]))
    return out


def subscription_item(facts: Facts, workspace: dict[str, str] | None) -> dict[str, Any]:
    if workspace is None:
        return item("subscription", PASS, "No workspace_id given: the workspace's subscription is not compared.")
    if workspace["subscription_id"].lower() == facts.subscription_id.lower():
        return item("subscription", PASS, f"The workspace and the cluster are in subscription {facts.subscription_id}.")
    if facts.cluster_type == table.CONNECTED:
        return item("subscription", PASS, f"The Arc-enabled cluster is in subscription {facts.subscription_id}, the "
                    f"workspace in {workspace['subscription_id']}: supported through Arc.")
    return item("subscription", FAIL, f"The AKS cluster is in subscription {facts.subscription_id}, the workspace in "
                f"{workspace['subscription_id']}: cross-subscription AKS is not supported.",
                "Connect the cluster to Azure Arc in the workspace's subscription (az connectedk8s connect) and install "
                "the extension on the connectedClusters resource; or use an AKS cluster in the workspace's subscription.")


def arc_items(facts: Facts) -> list[dict[str, Any]]:
    status = (facts.cluster.get("properties") or {}).get("connectivityStatus") or "unknown"
    if status == "Connected":
        return [item("connectivity", PASS, "The Arc agents are Connected.")]
    return [item("connectivity", FAIL, f"The Arc-enabled cluster's connectivity status is {status}, not Connected: "
                 "extension operations cannot reach it.", "Check the Arc agents (kubectl get pods -n azure-arc) and "
                 "their outbound access (docs: Arc network requirements, proxy settings); az connectedk8s "
                 "troubleshoot.")]


# --- Kubernetes side
def schedulable_nodes(nodes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [n for n in nodes if not (n.get("spec") or {}).get("unschedulable")]


def capacity(nodes: list[Mapping[str, Any]]) -> dict[str, int]:
    usable = schedulable_nodes(nodes)
    cpu = sum(cpu_milli(((n.get("status") or {}).get("allocatable") or {}).get("cpu")) for n in usable)
    mem = sum(memory_mi(((n.get("status") or {}).get("allocatable") or {}).get("memory")) for n in usable)
    return {"nodes": len(usable), "cpu_milli": cpu, "memory_mi": mem}


def router_ha_item(settings: Mapping[str, Any], cluster_type: str, node_count: int,
                   choice: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The node count against inferenceRouterHA; with ``set_false`` below 3 nodes, the adjustment."""
    if not _on(settings, "enableInference", cluster_type):
        return item("inference_router_ha", PASS, "Inference is not enabled: no inference router."), {}
    if not _on(settings, "inferenceRouterHA", cluster_type):
        return item("inference_router_ha", PASS, "inferenceRouterHA is False: one router replica."), {}
    if node_count >= MIN_HA_NODES:
        return item("inference_router_ha", PASS, f"{node_count} schedulable nodes for the 3 router replicas of "
                    "inferenceRouterHA."), {}
    reason = (f"inferenceRouterHA (the default) needs at least {MIN_HA_NODES} nodes; the cluster has {node_count} "
              "(health check E40002 INSUFFICIENT_NODE)")
    if choice == "set_false":
        return item("inference_router_ha", WARN, reason + ": inferenceRouterHA is set to False.",
                    "Add nodes to run the router highly available."), {"inferenceRouterHA": "False"}
    return item("inference_router_ha", FAIL, reason + ".", f"Add nodes (at least {MIN_HA_NODES}), or set "
                "inferenceRouterHA=False (prerequisites_inference_router_ha_below_3_nodes: set_false)."), {}


def capacity_item(settings: Mapping[str, Any], options: Options, cluster_type: str,
                  have: Mapping[str, int]) -> dict[str, Any]:
    expected = table.expected(settings, options.extension_name, cluster_type)
    node_count = max(have["nodes"], 1)
    need = table.requirements(expected, node_count)
    loads = [w for w in table.BOTH if _on(settings, table.WORKLOAD_SETTINGS[w], cluster_type)]
    what = f"{options.sizing} {' and '.join(loads) or 'no workload'}"
    got = f"{have['cpu_milli']}m CPU and {have['memory_mi']}Mi allocatable on {have['nodes']} nodes"
    details = {"allocatable": {"cpu": f"{have['cpu_milli']}m", "memory": f"{have['memory_mi']}Mi",
                               "nodes": have["nodes"]},
               "requests": {"cpu": f"{need.cpu_request}m", "memory": f"{need.memory_request}Mi"},
               "limits": {"cpu": f"{need.cpu_limit}m", "memory": f"{need.memory_limit}Mi"}}
    if have["cpu_milli"] < need.cpu_request or have["memory_mi"] < need.memory_request:
        return item("capacity", FAIL, f"{got}: less than the {need.cpu_request}m CPU and {need.memory_request}Mi the "
                    f"extension's components request for {what}; pods would stay Pending.",
                    "Add nodes or use larger VM sizes (docs: cluster minimums and resource planning).", **details)
    if options.sizing == "production":
        if have["cpu_milli"] < PRODUCTION_MIN_CPU_MILLI or have["memory_mi"] < PRODUCTION_MIN_MEMORY_MI:
            return item("capacity", FAIL, f"{got}: production needs at least 4 vCPU and 14 GB.",
                        "Add nodes or use larger VM sizes; or size for test (prerequisites_sizing: test).", **details)
        if have["cpu_milli"] < need.cpu_limit or have["memory_mi"] < need.memory_limit:
            return item("capacity", WARN, f"{got}: below the {need.cpu_limit}m CPU and {need.memory_limit}Mi of the "
                        f"components' limits the documentation plans {what} on.",
                        "Plan for the documented production size (docs: cluster minimums, e.g. 3 x DS4v2 for "
                        "training and inference).", **details)
    basis = "limits" if options.sizing == "production" else "requests"
    return item("capacity", PASS, f"{got}: enough for the components' {basis} ({what}).", **details)


def service_account(entry: str, extension_name: str) -> str:
    """``ns:sa`` or ``system:serviceaccount:ns:sa`` as the SCC lists it; ``{EXT}`` is the extension's name."""
    entry = entry.strip().replace("{EXT}", extension_name)
    if entry.startswith(SA_PREFIX):
        entry = entry[len(SA_PREFIX):]
    if entry.count(":") != 1 or not all(entry.split(":")):
        raise ValueError(f"Service account {entry!r} must be given as <namespace>:<name>.")
    return SA_PREFIX + entry


def scc_accounts(options: Options) -> list[str]:
    """The service accounts the privileged SCC must list: the documented ones, the compute namespace's
    ``default`` (unless it is ``default``), and the user's."""
    wanted = list(SCC_ARC_ACCOUNTS) + [f"{NAMESPACE}:{sa}" for sa in SCC_AZUREML_ACCOUNTS]
    if options.compute_namespace and options.compute_namespace != "default":
        wanted.append(f"{options.compute_namespace}:default")
    wanted += list(options.openshift_extra_service_accounts)
    out: list[str] = []
    for entry in wanted:
        account = service_account(entry, options.extension_name)
        if account not in out:
            out.append(account)
    return out


def scc_merge(current: Iterable[str] | None, wanted: Iterable[str]) -> tuple[list[str], list[str]]:
    """(users after the grant, the ones added): every existing entry kept, in order; missing ones appended."""
    users = list(current or [])
    added = [u for u in wanted if u not in users]
    return users + added, added


def is_openshift(facts: Facts) -> bool:
    distribution = str((facts.cluster.get("properties") or {}).get("distribution") or "").lower()
    return distribution == "openshift" or facts.openshift_api


def openshift_item(facts: Facts, options: Options) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if not is_openshift(facts):
        return item("openshift", PASS, "Not OpenShift."), None
    how = "Arc distribution openshift" if str((facts.cluster.get("properties") or {}).get("distribution") or "").lower() \
        == "openshift" else "API group security.openshift.io served"
    if facts.scc is None:
        return item("openshift", FAIL, f"OpenShift ({how}), but SecurityContextConstraints {SCC_NAME} was not found.",
                    "Check the cluster: OpenShift ships the privileged SCC; the extension's pods need it."), None
    users, added = scc_merge(facts.scc.get("users"), scc_accounts(options))
    if not added:
        return item("openshift", PASS, f"OpenShift ({how}): SCC {SCC_NAME} lists every service account the "
                    "extension needs."), None
    action = {"kind": "SecurityContextConstraints", "api_version": SCC_API_VERSION, "name": SCC_NAME,
              "users": users, "added": added,
              "resource_version": _meta(facts.scc).get("resourceVersion")}
    return item("openshift", WARN, f"OpenShift ({how}): SCC {SCC_NAME} lacks {len(added)} service accounts the "
                f"extension needs; they are added: {', '.join(added)}.",
                f"oc adm policy add-scc-to-user {SCC_NAME} -z <sa> -n <ns> for each (the role does this)."), action


def _outside(obj: Mapping[str, Any], extension_name: str) -> bool:
    """Not the extension's own (another namespace than azureml, or not owned by its release)."""
    return _meta(obj).get("namespace") != NAMESPACE or not helm_owned(obj, extension_name)


def prometheus_operators(deployments: Iterable[Mapping[str, Any]], extension_name: str) -> list[Mapping[str, Any]]:
    found = []
    for d in deployments:
        meta, labels = _meta(d), _labels(d)
        name = str(meta.get("name") or "")
        if (labels.get("app.kubernetes.io/name") == "prometheus-operator" or labels.get("app") == "prometheus-operator"
                or name == "prometheus-operator" or name.endswith("-prometheus-operator")) and _outside(d, extension_name):
            found.append(d)
    return found


def _args(deployment: Mapping[str, Any]) -> list[str]:
    containers = ((((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    return [str(a) for c in containers for a in (c.get("args") or []) + (c.get("command") or [])]


def _flag(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
        if arg == f"--{name}" and index + 1 < len(args):
            return args[index + 1]
    return None


def prom_kubelet(extension_name: str, kubelet_namespace: str) -> dict[str, Any]:
    """ServiceMonitor ``prom-kubelet`` in ``azureml`` for a reused Prometheus operator (aml-operations-facts.md)."""
    return {
        "apiVersion": f"{MONITORING_GROUP}/v1", "kind": "ServiceMonitor",
        "metadata": {"name": PROM_KUBELET, "namespace": NAMESPACE, "labels": {"release": extension_name}},
        "spec": {
            "endpoints": [{
                "port": "https-metrics", "scheme": "https", "path": "/metrics/cadvisor", "honorLabels": True,
                "tlsConfig": {"caFile": f"{SA_DIR}/ca.crt", "insecureSkipVerify": True},
                "bearerTokenFile": f"{SA_DIR}/token",
                "relabelings": [{"sourceLabels": ["__metrics_path__"], "targetLabel": "metrics_path"}],
            }],
            "jobLabel": "k8s-app",
            "namespaceSelector": {"matchNames": [kubelet_namespace]},
            "selector": {"matchLabels": {"k8s-app": "kubelet"}},
        },
    }


def prometheus_item(facts: Facts, options: Options, settings: Mapping[str, Any]
                    ) -> tuple[dict[str, Any], dict[str, str], list[dict[str, Any]]]:
    operators = prometheus_operators(facts.deployments, options.extension_name)
    if not operators:
        return item("prometheus_operator", PASS, "No other Prometheus operator."), {}, []
    names = ", ".join(f"{_meta(d).get('namespace')}/{_meta(d).get('name')}" for d in operators)
    given_off = not _on(settings, "installPromOp", facts.cluster_type)
    if not (options.reuse_existing or given_off):
        return item("prometheus_operator", FAIL, f"A Prometheus operator is already installed ({names}); a second "
                    "one clashes (health check E45002 PROMETHEUS_CONFLICT).",
                    "Reuse it (prerequisites_reuse_existing: true, installPromOp=False) or remove it."), {}, []
    problems = []
    operator = operators[0]
    args = _args(operator)
    watched = _flag(args, "namespaces")
    denied = [n.strip() for n in (_flag(args, "deny-namespaces") or "").split(",") if n.strip()]
    if watched and NAMESPACE not in [n.strip() for n in watched.split(",")]:
        problems.append(f"it watches only namespaces {watched}, not {NAMESPACE}")
    if NAMESPACE in denied:
        problems.append(f"it denies namespace {NAMESPACE}")
    kubelet = _flag(args, "kubelet-service")
    kubelet_ns = None
    if not kubelet or "/" not in kubelet:
        problems.append("its kubelet service is not enabled (--kubelet-service=<namespace>/<name>)")
    else:
        kubelet_ns, kubelet_name = kubelet.split("/", 1)
        service = next((s for s in facts.services if _meta(s).get("namespace") == kubelet_ns
                        and _meta(s).get("name") == kubelet_name), None)
        if service is None:
            problems.append(f"its kubelet Service {kubelet} does not exist")
        elif _labels(service).get("k8s-app") != "kubelet":
            problems.append(f"its kubelet Service {kubelet} is not labelled k8s-app=kubelet")
        elif "https-metrics" not in [p.get("name") for p in (service.get("spec") or {}).get("ports") or []]:
            problems.append(f"its kubelet Service {kubelet} has no port https-metrics")
    if problems:
        return item("prometheus_operator", FAIL, f"A Prometheus operator is installed ({names}) but cannot be reused: "
                    + "; ".join(problems) + ".", "Make it watch namespace azureml and enable its kubelet service "
                    "(labelled k8s-app=kubelet, port https-metrics), or remove it and let the extension install its "
                    "own."), {}, []
    monitor = prom_kubelet(options.extension_name, kubelet_ns or "kube-system")
    return (item("prometheus_operator", WARN, f"A Prometheus operator is installed ({names}) and is reused: "
                 f"installPromOp=False, ServiceMonitor {PROM_KUBELET} in {NAMESPACE} scrapes the kubelet service "
                 f"{kubelet}.", "Keep it watching azureml with its kubelet service enabled."),
            {"installPromOp": "False"}, [monitor])


def volcano_deployments(deployments: Iterable[Mapping[str, Any]], extension_name: str) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for d in deployments:
        name = str(_meta(d).get("name") or "")
        for part in VOLCANO_PARTS:
            if part in name and _outside(d, extension_name):
                found.setdefault(part, d)
    return found


def volcano_item(facts: Facts, options: Options, settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    found = volcano_deployments(facts.deployments, options.extension_name)
    if not found:
        return item("volcano", PASS, "No other Volcano scheduler or controllers."), {}
    names = ", ".join(f"{_meta(d).get('namespace')}/{_meta(d).get('name')}" for d in found.values())
    if not _on(settings, "enableTraining", facts.cluster_type):
        return item("volcano", PASS, f"Volcano is installed ({names}); training is not enabled."), {}
    given_off = not _on(settings, "installVolcano", facts.cluster_type)
    if not (options.reuse_existing or given_off):
        return item("volcano", FAIL, f"Volcano is already installed ({names}); the extension's own would clash.",
                    "Reuse it (prerequisites_reuse_existing: true, installVolcano=False) or remove it."), {}
    missing = [p for p in VOLCANO_PARTS if p not in found]
    if missing:
        return item("volcano", FAIL, f"Volcano is installed ({names}) but cannot be reused: {', '.join(missing)} "
                    "missing (scheduler and controllers are both required).",
                    "Install the missing Volcano parts, or remove Volcano and let the extension install its own."), {}
    return (item("volcano", WARN, f"Volcano is installed ({names}) and is reused: installVolcano=False.",
                 "Its scheduler configuration must match the documented one: actions enqueue, allocate, backfill; "
                 "tiers [task-topology, priority, gang, conformance] and [overcommit, drf, predicates, proportion, "
                 "nodeorder, binpack]; with Volcano < 1.6 disable the job/validate webhook."),
            {"installVolcano": "False"})


def dcgm_item(facts: Facts, options: Options, settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], bool]:
    found = [d for d in facts.daemonsets if _labels(d).get(DCGM_NAME_LABEL) == DCGM_NAME
             and _meta(d).get("namespace") != NAMESPACE]
    if not found:
        return item("dcgm_exporter", PASS, "No other dcgm-exporter."), {}, False
    names = ", ".join(f"{_meta(d).get('namespace')}/{_meta(d).get('name')}" for d in found)
    if options.reuse_existing:
        return (item("dcgm_exporter", WARN, f"A dcgm-exporter is installed ({names}) and is reused: "
                     "installDcgmExporter=False, with Service dcgm-exporter-service and ServiceMonitor "
                     "dcgm-exporter-monitor (role azureml.kubernetes.gpu).",
                     "It must expose DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_FREE and DCGM_FI_DEV_FB_USED."),
                {"installDcgmExporter": "False"}, True)
    if _on(settings, "installDcgmExporter", facts.cluster_type):
        return item("dcgm_exporter", FAIL, f"A dcgm-exporter is installed ({names}) and installDcgmExporter is True: "
                    "the two would clash.", "Reuse it (prerequisites_reuse_existing: true) or remove it."), {}, False
    return item("dcgm_exporter", WARN, f"A dcgm-exporter is installed ({names}); without the reuse objects AML does "
                "not read its GPU metrics.", "Reuse it (prerequisites_reuse_existing: true)."), {}, False


def helm_leftovers(facts: Facts, options: Options, settings: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Objects the chart renders again that Helm would refuse to adopt ("invalid ownership metadata")."""
    ctype = facts.cluster_type
    training = _on(settings, "enableTraining", ctype)
    volcano = training and _on(settings, "installVolcano", ctype)
    promop = _on(settings, "installPromOp", ctype) and not prometheus_operators(facts.deployments, options.extension_name)
    out = []
    for crd in facts.crds:
        group = str((crd.get("spec") or {}).get("group") or "")
        wanted = (group == AMLARC_GROUP or (volcano and group.endswith(VOLCANO_GROUP_SUFFIX))
                  or (promop and group == MONITORING_GROUP and _labels(crd).get(MANAGED_BY) != "Helm"))
        if wanted and not helm_owned(crd, options.extension_name):
            out.append(crd)
    for role in facts.cluster_roles:
        if _meta(role).get("name") in LEFTOVER_CLUSTER_ROLES and not helm_owned(role, options.extension_name):
            out.append(role)
    return out


def helm_item(leftovers: list[Mapping[str, Any]], options: Options) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if not leftovers:
        return item("helm_ownership", PASS, "No leftovers that would break Helm ownership."), []
    refs = [f"{o.get('kind')} {_meta(o).get('name')}" for o in leftovers]
    reason = (f"{len(refs)} objects the chart renders exist without release {options.extension_name}'s Helm "
              f"ownership metadata (Helm refuses: invalid ownership metadata): {', '.join(refs)}")
    fix = (f"If AML is their only user: label {MANAGED_BY}=Helm and annotate {RELEASE_NAME}={options.extension_name}, "
           f"{RELEASE_NAMESPACE}={NAMESPACE} (prerequisites_fix_helm_ownership: true); otherwise disable the component "
           "(e.g. installVolcano=False).")
    if not options.fix_helm_ownership:
        return item("helm_ownership", FAIL, reason + ".", fix), []
    actions = [{"api_version": o.get("apiVersion"), "kind": o.get("kind"), "name": _meta(o).get("name"),
                "labels": {MANAGED_BY: "Helm"},
                "annotations": {RELEASE_NAME: options.extension_name, RELEASE_NAMESPACE: NAMESPACE}} for o in leftovers]
    return item("helm_ownership", WARN, reason + "; their ownership metadata is set.", fix), actions


def namespace_item(namespace: Mapping[str, Any] | None) -> dict[str, Any]:
    if namespace is None:
        return item("namespace", PASS, f"Namespace {NAMESPACE} does not exist yet.")
    if _meta(namespace).get("deletionTimestamp") or (namespace.get("status") or {}).get("phase") == "Terminating":
        return item("namespace", FAIL, f"Namespace {NAMESPACE} is still Terminating: an earlier uninstall has not "
                    "finished, and a new install fails (namespace azureml being terminated).",
                    f"Wait until it is gone (kubectl get namespace {NAMESPACE}); check what holds it "
                    f"(kubectl get all,configmaps -n {NAMESPACE}, finalizers).")
    return item("namespace", PASS, f"Namespace {NAMESPACE} exists and is Active.")


def redact(url: str) -> str:
    """A proxy URL without its password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def proxy_item(arc_proxy: Mapping[str, Any] | None, environment: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The outbound proxy settings: the Arc agent's, when visible, else the controller's environment (report only)."""
    data = (arc_proxy or {}).get("data") or {}
    agent = {k: redact(str(data[k])) for k in PROXY_VARIABLES if data.get(k)}
    if agent:
        found = {"source": f"ConfigMap {ARC_PROXY_CONFIGMAP[0]}/{ARC_PROXY_CONFIGMAP[1]}", **agent}
    else:
        env = {k: redact(str(environment.get(k) or environment.get(k.lower()) or "")) for k in PROXY_VARIABLES}
        found = {"source": "controller environment", **{k: v for k, v in env.items() if v}}
    settings = ", ".join(f"{k}={v}" for k, v in found.items() if k != "source")
    reason = f"Outbound proxy ({found['source']}): {settings}." if settings else \
        f"No outbound proxy configured ({found['source']})."
    return item("proxy", PASS, reason), found


def evaluate(facts: Facts, options: Options) -> dict[str, Any]:
    """The preflight report. Raises ValueError on bad input (a malformed workspace id or service account)."""
    workspace = workspace_parts(options.workspace_id)
    settings = effective_settings(options, facts.cluster_type)
    items = provider_items(facts.cluster_type, facts.providers, options.registering)
    if facts.cluster_type == table.MANAGED:
        items += aks_items(facts, options, workspace)
    else:
        items += arc_items(facts)
    items.append(subscription_item(facts, workspace))
    have = capacity(facts.nodes)
    adjustments: dict[str, str] = {}
    ha, change = router_ha_item(settings, facts.cluster_type, have["nodes"], options.inference_router_ha_below_3_nodes)
    items.append(ha)
    adjustments.update(change)
    items.append(capacity_item({**settings, **adjustments}, options, facts.cluster_type, have))
    openshift, scc_action = openshift_item(facts, options)
    items.append(openshift)
    prom, change, objects = prometheus_item(facts, options, settings)
    items.append(prom)
    adjustments.update(change)
    volcano, change = volcano_item(facts, options, settings)
    items.append(volcano)
    adjustments.update(change)
    dcgm, change, dcgm_reuse = dcgm_item(facts, options, settings)
    items.append(dcgm)
    adjustments.update(change)
    helm, ownership = helm_item(helm_leftovers(facts, options, {**settings, **adjustments}), options)
    items.append(helm)
    items.append(namespace_item(facts.namespace))
    proxy, proxy_found = proxy_item(facts.arc_proxy, facts.environment)
    items.append(proxy)
    failed = [i for i in items if i["status"] == FAIL]
    warned = [i for i in items if i["status"] == WARN]
    message = (f"{len(items) - len(failed) - len(warned)} passed, {len(warned)} warnings, {len(failed)} failed"
               + (": " + " ".join(f"[{i['id']}] {i['reason']}" for i in failed) if failed else "."))
    return {
        "checks": items,
        "passed": not failed,
        "failed_checks": [i["id"] for i in failed],
        "warned_checks": [i["id"] for i in warned],
        "settings_adjustments": adjustments,
        "actions": {"scc": scc_action, "objects": objects, "helm_ownership": ownership, "dcgm_reuse": dcgm_reuse},
        "capacity": have,
        "openshift": is_openshift(facts),
        "proxy": proxy_found,
        "message": message,
    }
