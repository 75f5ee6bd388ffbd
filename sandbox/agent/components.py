"""The extension's workload objects: the agent's own transcription of the documentation.

Sources (``/work/shared/reference``): the components table of the deploy article
(``seed-deploy-azureml-extension.txt``), the expected workloads of the troubleshooting page
(``azureml-kubernetes-docs.md`` §5) and the requests and limits of the cluster reference (§2). It is
written independently of the collection's table (``plugins/module_utils/aml/components.py``); a test
compares the two, so a wrong row in either fails loudly.

Choices the documentation leaves open, made here:
- ingress-nginx (§5, inference) is named as the ingress-nginx chart names its controller Deployment
  (``<fullname>-controller``) with the fullname ``azureml-ingress-nginx`` that the OpenShift SCC list
  gives as its service account: ``azureml-ingress-nginx-controller``.
- relayserver, ``{EXTENSION-NAME}-dcgm-exporter`` and ``nvidia-device-plugin-daemonset`` have no
  documented requests: their pods request nothing and count for nothing in the resource planning.
- Service accounts are those of the SCC list (§2); every other component runs as ``default``.
- relayserver and ingress-nginx follow ``relayserver.enabled`` and ``nginxIngress.enabled``, which the
  az CLI writes (``az-cli-azureml-handler.md``: relayserver false exactly on managedClusters,
  nginxIngress true exactly on managedClusters); absent or unreadable, the cluster type decides the same way.

Settings are read as the az CLI hands them over: exact, case-sensitive keys; a boolean is true when
``str(v).lower() == "true"``; a setting that defaults to true is on unless it reads ``false``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

EXT = "{EXTENSION-NAME}"

TRAINING = "training"
INFERENCE = "inference"

ARC = "connectedClusters"
AKS = "managedClusters"
# Settings the az CLI computes from the cluster type; the chart reads what it wrote.
CLUSTER_TYPE_DEFAULTS = {
    "relayserver.enabled": lambda cluster_type: cluster_type != AKS,
    "nginxIngress.enabled": lambda cluster_type: cluster_type == AKS,
}
# Optional components: the setting that turns each on, and its default.
OPTIONAL_DEFAULTS = {
    "installPromOp": True,
    "installVolcano": True,
    "installDcgmExporter": False,
    "installNvidiaDevicePlugin": False,
}


@dataclass(frozen=True)
class Component:
    name: str                          # template; {EXTENSION-NAME} is the extension's name
    kind: str                          # Deployment | DaemonSet | StatefulSet
    workloads: frozenset               # {"training", "inference"}: present when either is enabled
    condition: Optional[str] = None    # None or a boolean setting (OPTIONAL_DEFAULTS, CLUSTER_TYPE_DEFAULTS)
    cpu: Optional[tuple[int, int]] = None     # (request, limit) in millicores; None: undocumented
    memory: Optional[tuple[int, int]] = None  # (request, limit) in Mi
    service_account: str = "default"

    def resolved_name(self, extension_name: str) -> str:
        return self.name.replace(EXT, extension_name)

    @property
    def per_node(self) -> bool:
        return self.kind == "DaemonSet"


_BOTH = frozenset({TRAINING, INFERENCE})
_T = frozenset({TRAINING})
_I = frozenset({INFERENCE})

COMPONENTS: tuple[Component, ...] = (
    Component("relayserver", "Deployment", _BOTH, "relayserver.enabled"),
    Component("gateway", "Deployment", _BOTH, None, (50, 500), (256, 2048)),
    Component("aml-operator", "Deployment", _T, None, (20, 1020), (124, 2168)),
    Component("metrics-controller-manager", "Deployment", _BOTH, None, (10, 100), (20, 300)),
    Component(f"{EXT}-kube-state-metrics", "Deployment", _BOTH, None, (10, 100), (32, 256),
              f"{EXT}-kube-state-metrics"),
    Component(f"{EXT}-prometheus-operator", "Deployment", _BOTH, "installPromOp", (100, 400), (128, 512),
              "prom-operator"),
    Component("amlarc-identity-controller", "Deployment", _I, None, (200, 1000), (200, 1024)),
    Component("amlarc-identity-proxy", "Deployment", _I, None, (200, 1000), (200, 1024)),
    Component("azureml-fe-v2", "Deployment", _I, None, (900, 2000), (800, 1200), "azureml-fe-v2"),
    Component("inference-operator-controller-manager", "Deployment", _I, None, (100, 1000), (128, 1024)),
    Component("azureml-ingress-nginx-controller", "Deployment", _I, "nginxIngress.enabled", (100, 1000), (64, 512),
              "azureml-ingress-nginx"),
    Component("volcano-admission", "Deployment", _T, "installVolcano", (10, 100), (64, 256)),
    Component("volcano-controllers", "Deployment", _T, "installVolcano", (50, 500), (128, 512)),
    Component("volcano-scheduler", "Deployment", _T, "installVolcano", (50, 500), (128, 512)),
    Component("fluent-bit", "DaemonSet", _BOTH, None, (10, 200), (100, 300)),
    Component(f"{EXT}-dcgm-exporter", "DaemonSet", _BOTH, "installDcgmExporter"),
    Component("nvidia-device-plugin-daemonset", "DaemonSet", _BOTH, "installNvidiaDevicePlugin"),
    Component("prometheus-prom-prometheus", "StatefulSet", _BOTH, None, (100, 1000), (512, 4096),
              "prom-prometheus"),
)

# Service accounts of the SCC list (§2) that belong to no workload above (admission jobs, the SELinux
# policy loader); the chart creates them with the component they serve.
EXTRA_SERVICE_ACCOUNTS: tuple[tuple[str, Optional[str], Optional[str]], ...] = (
    # (name, workload or None for both, optional setting)
    ("prom-admission", None, "installPromOp"),
    ("load-amlarc-selinux-policy-sa", None, None),
    ("azureml-ingress-nginx-admission", INFERENCE, "nginxIngress.enabled"),
)


def is_true(settings: Mapping[str, Any], key: str) -> bool:
    return str(settings.get(key)).lower() == "true"


def setting_on(settings: Mapping[str, Any], key: str, cluster_type: str = AKS) -> bool:
    """A component's condition setting, with its documented default (or the cluster type's)."""
    if key in CLUSTER_TYPE_DEFAULTS:
        value = str(settings.get(key)).lower()
        return value == "true" if value in ("true", "false") else CLUSTER_TYPE_DEFAULTS[key](cluster_type)
    if key not in settings:
        return OPTIONAL_DEFAULTS[key]
    if OPTIONAL_DEFAULTS[key]:
        return str(settings[key]).lower() != "false"
    return is_true(settings, key)


def router_ha(settings: Mapping[str, Any]) -> bool:
    """``inferenceRouterHA`` defaults to true: on unless it reads ``false``."""
    return str(settings.get("inferenceRouterHA", "true")).lower() != "false"


def workloads(settings: Mapping[str, Any]) -> frozenset:
    on = set()
    if is_true(settings, "enableTraining"):
        on.add(TRAINING)
    if is_true(settings, "enableInference"):
        on.add(INFERENCE)
    return frozenset(on)


def node_selector(settings: Mapping[str, Any]) -> dict[str, str]:
    """``nodeSelector.<key>=<value>`` settings, which restrict every extension pod."""
    prefix = "nodeSelector."
    return {k[len(prefix):]: str(v) for k, v in settings.items() if k.startswith(prefix) and len(k) > len(prefix)}


def router_service_type(settings: Mapping[str, Any]) -> str:
    """``inferenceRouterServiceType`` (any case) as a Service type; LoadBalancer when unset."""
    value = str(settings.get("inferenceRouterServiceType") or "loadBalancer").lower()
    return {"nodeport": "NodePort", "clusterip": "ClusterIP"}.get(value, "LoadBalancer")


def applies(component: Component, settings: Mapping[str, Any], cluster_type: str) -> bool:
    if not component.workloads & workloads(settings):
        return False
    return component.condition is None or setting_on(settings, component.condition, cluster_type)


def replicas(component: Component, settings: Mapping[str, Any]) -> int:
    """Pods of a Deployment or StatefulSet: azureml-fe-v2 runs 3 with ``inferenceRouterHA``, else 1."""
    if component.name == "azureml-fe-v2":
        return 3 if router_ha(settings) else 1
    return 1


@dataclass(frozen=True)
class Expected:
    name: str
    kind: str
    replicas: int          # for a DaemonSet: pods per eligible node (1)
    component: Component


def expected(extension_name: str, settings: Mapping[str, Any], cluster_type: str) -> list[Expected]:
    """The workload objects the chart creates for these settings, names resolved."""
    return [Expected(c.resolved_name(extension_name), c.kind, replicas(c, settings), c)
            for c in COMPONENTS if applies(c, settings, cluster_type)]


def service_accounts(extension_name: str, settings: Mapping[str, Any], cluster_type: str) -> list[str]:
    """The named service accounts the chart creates (``default`` exists in every namespace)."""
    names = [e.component.service_account.replace(EXT, extension_name)
             for e in expected(extension_name, settings, cluster_type)]
    on = workloads(settings)
    for name, workload, setting in EXTRA_SERVICE_ACCOUNTS:
        if workload is not None and workload not in on:
            continue
        if setting is not None and not setting_on(settings, setting, cluster_type):
            continue
        names.append(name)
    return sorted({n for n in names if n != "default"})


def totals(items: list[Expected], nodes: int, use_limits: bool = False) -> tuple[int, int]:
    """(CPU millicores, memory Mi) of the documented requests (or limits) for ``nodes`` nodes.

    A DaemonSet counts once per node, a Deployment or StatefulSet once per replica; components without
    documented figures count nothing. This is the documentation's resource planning: its minimums are
    test clusters on requests and production clusters on limits.
    """
    i = 1 if use_limits else 0
    cpu = mem = 0
    for e in items:
        if e.component.cpu is None:
            continue
        count = nodes if e.component.per_node else e.replicas
        cpu += e.component.cpu[i] * count
        mem += e.component.memory[i] * count
    return cpu, mem
