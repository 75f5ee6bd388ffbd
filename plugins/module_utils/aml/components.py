# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload objects the AzureML extension's chart creates in ``azureml``: one table and ``expected()``.

Pure: no Kubernetes, no Azure, no Ansible, and no import from the rest of the collection (the sandbox's
test that its own transcription agrees, ``sandbox/tests/test_agent_components_agree.py``, loads this file
by its path). The role ``verify`` (through ``aml_components_info``) reads
name, kind and replicas; capacity planning reads resources and replicas; the report reads name, kind,
workloads and description.

Sources (``../shared/reference``): the deployment article's resource table
(``seed-deploy-azureml-extension.txt``, "Resource name | Resource type | Training | Inference"), its
"Expected workloads" summary and the per-component requests and limits of the cluster reference
(``azureml-kubernetes-docs.md`` §2, §5).

Rows and conditions, as the documentation gives them:

- always (either workload): gateway, metrics-controller-manager, ``{EXTENSION-NAME}-kube-state-metrics``,
  the fluent-bit DaemonSet and the prometheus-prom-prometheus StatefulSet;
  ``{EXTENSION-NAME}-prometheus-operator`` when ``installPromOp`` (default true);
- relayserver only on Arc: it follows ``relayserver.enabled``, which the CLI (and ``aml_extension``) writes
  false on ``managedClusters`` and true otherwise; absent, the cluster type decides the same way;
- training: aml-operator; volcano-admission, volcano-controllers, volcano-scheduler when ``installVolcano``
  (default true);
- inference: amlarc-identity-controller, amlarc-identity-proxy, azureml-fe-v2 (3 replicas with
  ``inferenceRouterHA``, the default, else 1), inference-operator-controller-manager, and the bundled
  ingress-nginx controller;
- optional (either workload): ``{EXTENSION-NAME}-dcgm-exporter`` when ``installDcgmExporter``,
  nvidia-device-plugin-daemonset when ``installNvidiaDevicePlugin`` (both default false).

The ingress-nginx row is the one the documentation does not name. The deployment article's resource
table has no ingress-nginx row, but its "Expected workloads" summary lists ingress-nginx for inference,
the cluster reference gives it requests and limits (100m/1000m CPU, 64Mi/512Mi), and the documented
cluster minimums (test inference 1780m/2440Mi, production inference 12700m/15296Mi, ...) only add up with
it (see the unit tests). Its name comes from the OpenShift service-account list of the same reference:
``azureml-ingress-nginx`` with a fixed ``azureml-`` prefix (unlike ``{EXT}-kube-state-metrics`` in the same
list), and the ingress-nginx chart names its controller Deployment ``<fullname>-controller`` after the
service account's ``<fullname>``: hence ``azureml-ingress-nginx-controller``, not
``{EXTENSION-NAME}-ingress-nginx-controller``. Its condition is ``nginxIngress.enabled``, which the CLI writes
true on ``managedClusters`` and false otherwise (absent, the cluster type decides the same way).

Booleans are read as the settings table writes them: ``True``/``False``/``true``/``false`` in any case
(a Python bool too); any other value counts as the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

EXTENSION_NAME = "{EXTENSION-NAME}"
NAMESPACE = "azureml"

TRAINING = "training"
INFERENCE = "inference"
BOTH = (TRAINING, INFERENCE)

DEPLOYMENT = "Deployment"
DAEMONSET = "DaemonSet"
STATEFULSET = "StatefulSet"
KINDS = (DEPLOYMENT, DAEMONSET, STATEFULSET)
API_VERSION = "apps/v1"  # of every kind above

MANAGED = "managedClusters"
CONNECTED = "connectedClusters"

ROUTER_HA_REPLICAS = 3

# Defaults of the boolean settings the table reads (the settings table's own defaults). The two the CLI
# computes from the cluster type have no fixed default: see _DEFAULT_BY_CLUSTER_TYPE.
SETTING_DEFAULTS: dict[str, bool] = {
    "enableTraining": False,
    "enableInference": False,
    "inferenceRouterHA": True,
    "installPromOp": True,
    "installVolcano": True,
    "installDcgmExporter": False,
    "installNvidiaDevicePlugin": False,
}
_DEFAULT_BY_CLUSTER_TYPE: dict[str, Any] = {
    "relayserver.enabled": lambda cluster_type: cluster_type != MANAGED,
    "nginxIngress.enabled": lambda cluster_type: cluster_type == MANAGED,
}
WORKLOAD_SETTINGS = {TRAINING: "enableTraining", INFERENCE: "enableInference"}


@dataclass(frozen=True)
class Resources:
    """Requests and limits of one pod (one replica; one node for a DaemonSet), CPU in millicores, memory in Mi."""

    cpu_request: int
    cpu_limit: int
    memory_request: int
    memory_limit: int


@dataclass(frozen=True)
class Row:
    """One workload object of the chart.

    ``name``: the object's name, ``{EXTENSION-NAME}`` standing for the extension's name. ``kind``: one of
    ``KINDS``. ``workloads``: it is created when any of these workloads is enabled. ``setting``: a boolean
    setting that must also be true (None: no further condition). ``resources``: per pod, None when the
    documentation gives none. ``router``: the inference router, whose replicas follow ``inferenceRouterHA``.
    ``description``: the documentation's words, for the report.
    """

    name: str
    kind: str
    workloads: tuple[str, ...]
    setting: str | None
    resources: Resources | None
    description: str
    router: bool = False


def _r(cpu_request: int, cpu_limit: int, memory_request: int, memory_limit: int) -> Resources:
    return Resources(cpu_request, cpu_limit, memory_request, memory_limit)


COMPONENTS: tuple[Row, ...] = (
    Row("relayserver", DEPLOYMENT, BOTH, "relayserver.enabled", None,
        "Works with Azure Relay to talk to the cloud services (Arc only)."),
    Row("gateway", DEPLOYMENT, BOTH, None, _r(50, 500, 256, 2048),
        "Sends node and cluster resource information to the cloud services."),
    Row("aml-operator", DEPLOYMENT, (TRAINING,), None, _r(20, 1020, 124, 2168),
        "Manages the lifecycle of training jobs."),
    Row("metrics-controller-manager", DEPLOYMENT, BOTH, None, _r(10, 100, 20, 300),
        "Manages the configuration for Prometheus."),
    Row(EXTENSION_NAME + "-kube-state-metrics", DEPLOYMENT, BOTH, None, _r(10, 100, 32, 256),
        "Exports cluster metrics to Prometheus."),
    Row(EXTENSION_NAME + "-prometheus-operator", DEPLOYMENT, BOTH, "installPromOp", _r(100, 400, 128, 512),
        "Deploys and manages Prometheus and related monitoring components."),
    Row("amlarc-identity-controller", DEPLOYMENT, (INFERENCE,), None, _r(200, 1000, 200, 1024),
        "Requests and renews Azure Blob and Container Registry tokens through managed identity."),
    Row("amlarc-identity-proxy", DEPLOYMENT, (INFERENCE,), None, _r(200, 1000, 200, 1024),
        "Requests and renews Azure Blob and Container Registry tokens through managed identity."),
    Row("azureml-fe-v2", DEPLOYMENT, (INFERENCE,), None, _r(900, 2000, 800, 1200),
        "The inference router: routes incoming inference requests to deployed services.", router=True),
    Row("inference-operator-controller-manager", DEPLOYMENT, (INFERENCE,), None, _r(100, 1000, 128, 1024),
        "Manages the lifecycle of inference endpoints."),
    Row("azureml-ingress-nginx-controller", DEPLOYMENT, (INFERENCE,), "nginxIngress.enabled",
        _r(100, 1000, 64, 512), "The bundled ingress-nginx controller (ingress class k8s.io/ingress-nginx)."),
    Row("volcano-admission", DEPLOYMENT, (TRAINING,), "installVolcano", _r(10, 100, 64, 256),
        "Volcano admission webhook."),
    Row("volcano-controllers", DEPLOYMENT, (TRAINING,), "installVolcano", _r(50, 500, 128, 512),
        "Manages the lifecycle of training job pods."),
    Row("volcano-scheduler", DEPLOYMENT, (TRAINING,), "installVolcano", _r(50, 500, 128, 512),
        "Schedules jobs in the cluster."),
    Row("fluent-bit", DAEMONSET, BOTH, None, _r(10, 200, 100, 300),
        "Gathers the components' system logs and uploads them to the cloud."),
    Row(EXTENSION_NAME + "-dcgm-exporter", DAEMONSET, BOTH, "installDcgmExporter", None,
        "Exposes GPU metrics for Prometheus."),
    Row("nvidia-device-plugin-daemonset", DAEMONSET, BOTH, "installNvidiaDevicePlugin", None,
        "Exposes the GPUs of each node."),
    Row("prometheus-prom-prometheus", STATEFULSET, BOTH, None, _r(100, 1000, 512, 4096),
        "Gathers job metrics (CPU, GPU, memory use) and sends them to the cloud."),
)


@dataclass(frozen=True)
class Component:
    """A row for one extension: ``name`` substituted; ``replicas`` None for a DaemonSet (one pod per node)."""

    name: str
    kind: str
    workloads: tuple[str, ...]
    replicas: int | None
    resources: Resources | None
    description: str
    namespace: str = NAMESPACE
    api_version: str = API_VERSION


def as_bool(value: Any) -> bool | None:
    """True/False from a bool or from ``true``/``false`` in any case; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def flag(settings: Mapping[str, Any], key: str, cluster_type: str) -> bool:
    """A boolean setting's value (keys matched in any case), else its default for this cluster type."""
    wanted = key.lower()
    for given, value in settings.items():
        if str(given).lower() == wanted:
            parsed = as_bool(value)
            if parsed is not None:
                return parsed
            break
    if key in _DEFAULT_BY_CLUSTER_TYPE:
        return bool(_DEFAULT_BY_CLUSTER_TYPE[key](cluster_type))
    return SETTING_DEFAULTS[key]


def workloads(settings: Mapping[str, Any], cluster_type: str) -> tuple[str, ...]:
    """The enabled workloads, in table order."""
    return tuple(w for w in BOTH if flag(settings, WORKLOAD_SETTINGS[w], cluster_type))


def _replicas(row: Row, settings: Mapping[str, Any], cluster_type: str) -> int | None:
    if row.kind == DAEMONSET:
        return None
    if row.router and flag(settings, "inferenceRouterHA", cluster_type):
        return ROUTER_HA_REPLICAS
    return 1


def expected(settings: Mapping[str, Any], extension_name: str, cluster_type: str) -> list[Component]:
    """The workload objects an extension with these settings has in ``azureml``, in table order.

    ``settings``: the extension's configuration settings (as Azure returns them, or as given to
    ``aml_extension``). ``cluster_type``: ``managedClusters`` or ``connectedClusters``.
    """
    if cluster_type not in (MANAGED, CONNECTED):
        raise ValueError(f"cluster_type must be {MANAGED} or {CONNECTED}, not {cluster_type!r}")
    if not extension_name:
        raise ValueError("extension_name is required: it is part of some component names")
    enabled = set(workloads(settings, cluster_type))
    found = []
    for row in COMPONENTS:
        if not enabled.intersection(row.workloads):
            continue
        if row.setting is not None and not flag(settings, row.setting, cluster_type):
            continue
        found.append(Component(
            name=row.name.replace(EXTENSION_NAME, extension_name),
            kind=row.kind,
            workloads=tuple(w for w in row.workloads if w in enabled),
            replicas=_replicas(row, settings, cluster_type),
            resources=row.resources,
            description=row.description,
        ))
    return found


def pods(component: Component, node_count: int) -> int:
    """Pods the component runs on a cluster of ``node_count`` schedulable nodes."""
    return node_count if component.replicas is None else component.replicas


def requirements(components: Iterable[Component], node_count: int) -> Resources:
    """Total requests and limits of the components on ``node_count`` nodes (those with documented resources).

    The documentation sizes a test cluster on the requests and a production cluster on the limits.
    """
    totals = [0, 0, 0, 0]
    for component in components:
        if component.resources is None:
            continue
        n = pods(component, node_count)
        r = component.resources
        for i, value in enumerate((r.cpu_request, r.cpu_limit, r.memory_request, r.memory_limit)):
            totals[i] += value * n
    return Resources(*totals)


def to_dict(component: Component) -> dict[str, Any]:
    """The component as plain data (module results, the fleet report)."""
    resources = component.resources
    return {
        "name": component.name,
        "kind": component.kind,
        "namespace": component.namespace,
        "workloads": list(component.workloads),
        "replicas": component.replicas,
        "description": component.description,
        "resources": None if resources is None else {
            "cpu_request": f"{resources.cpu_request}m", "cpu_limit": f"{resources.cpu_limit}m",
            "memory_request": f"{resources.memory_request}Mi", "memory_limit": f"{resources.memory_limit}Mi",
        },
    }
