# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AzureML extension's configuration settings: the one table, and the lookups that read it (pure).

Every column is read: ``kind``/``choices``/``spelling`` by normalising and comparing (``canonical_value``,
``settings_equal``), ``default`` by ``is_default`` (an absent key on Azure holds its default), ``where``
and ``origin``/``instead`` by normalising (placement, refused and legacy keys) and the docs test,
``sent`` by the docs test, ``prefix`` by the lookups, ``secret`` by masking and the fingerprint, and
``description`` by the message that suggests the closest known key.

The jobs around the table live next to it: ``normalise`` (the user's maps), ``rules`` (every check),
``compute`` (what the CLI injects), ``relay`` (the Azure Relay an Arc install needs), and ``settings``,
whose ``desired()`` is the one call a runner makes. Rule: send what ``az k8s-extension create
--extension-type Microsoft.AzureML.Kubernetes`` sends (same keys, same value spellings), minus its bugs.

Value spellings (the CLI's, key by key):

- Booleans the CLI writes itself from a Python bool (``enableTraining``, ``enableInference``,
  ``scoringFe.serviceType.*``) are sent ``True``/``False``; the ones it writes as strings
  (``inferenceRouterHA``, ``servicebus.enabled``, ``relayserver.enabled``, ``nginxIngress.enabled``,
  ``openshift``, ``isAKSMigration``) are sent ``true``/``false``; booleans it never writes are sent in the
  documentation's spelling ``True``/``False`` (``amloperator.skipResourceValidation``: ``true``, as documented).
  The CLI passes a user's own spelling through; we send one canonical spelling per key so the same intent
  always produces the same bytes, and ``settings_equal`` makes any spelling already on Azure compare equal.
- ``inferenceRouterServiceType`` is sent as ``loadBalancer``/``nodePort``/``clusterIP``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BOOL = "bool"
STRING = "string"
ENUM = "enum"


# Where a user may give a setting.
IN_SETTINGS = "settings"
IN_PROTECTED = "protected"
IN_EITHER = "either"

# Who writes a setting.
DOCUMENTED = "documented"  # in the settings table of the deployment article
ADVANCED = "advanced"  # documented elsewhere (troubleshooting, reference); passed through
COMPUTED = "computed"  # injected by the CLI (and by us) unless the user set it
INTERNAL = "internal"  # written only by the translation of a user-facing key; refused from users
LEGACY = "legacy"  # accepted and passed through, with a warning

# How a setting is sent.
SENT_AS_IS = "as given"
SENT_CANONICAL = "canonical spelling"
SENT_TRANSLATED = "as given, plus a translation"
SENT_CONTENT_ONLY = "not sent; its file's content is"

TITLE_BOOLS = ("True", "False")
LOWER_BOOLS = ("true", "false")

# Written by this collection (see fingerprint): the setting that stores the protected settings' fingerprint.
FINGERPRINT_KEY = "ansibleProtectedSettingsFingerprint"


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str
    description: str
    default: str | None = None
    where: str = IN_EITHER
    origin: str = DOCUMENTED
    sent: str = SENT_AS_IS
    choices: tuple[str, ...] = ()
    spelling: tuple[str, str] = TITLE_BOOLS
    prefix: bool = False
    instead: str | None = None  # for INTERNAL and LEGACY keys: the key to use
    secret: bool = False  # high-entropy material: masked in every output, and what a fingerprint may cover


def _bool(key, description, default=None, spelling=TITLE_BOOLS, **kwargs) -> Setting:
    return Setting(key, BOOL, description, default, spelling=spelling, sent=SENT_CANONICAL, **kwargs)


def _string(key, description, default=None, **kwargs) -> Setting:
    return Setting(key, STRING, description, default, **kwargs)


SETTINGS: tuple[Setting, ...] = (
    # The deployment article's table.
    _bool("enableTraining", "Install the training and batch scoring components.", "False"),
    _bool("enableInference", "Install the online inference components.", "False"),
    _bool("allowInsecureConnections", "Serve inference over HTTP; required when no TLS material is given.",
          "False"),
    Setting("inferenceRouterServiceType", ENUM,
            "Service type of the azureml-fe router; required with enableInference. nodePort is also sent as "
            "scoringFe.serviceType.nodePort.", None, sent=SENT_TRANSLATED,
            choices=("loadBalancer", "nodePort", "clusterIP")),
    Setting("internalLoadBalancerProvider", ENUM,
            "azure: expose the router on an internal load balancer (AKS only; not with nodePort). Also sent "
            "as scoringFe.serviceType.internalLoadBalancer.", None,
            sent=SENT_TRANSLATED, choices=("azure",)),
    _string("sslSecret", "Kubernetes secret in the azureml namespace holding cert.pem and key.pem; also sent "
            "as scoringFe.sslSecret.", sent=SENT_TRANSLATED),
    _string("sslCname", "Host name of the HTTPS inference endpoint; required with TLS material."),
    _bool("inferenceRouterHA", "Run three router replicas (needs three nodes); false runs one.", "True",
          spelling=LOWER_BOOLS),
    _string("nodeSelector.", "Restrict the extension and the workloads to nodes with these labels: "
            "nodeSelector.<label>=<value> (also read from a nodeSelector mapping of <label>: <value>).", prefix=True),
    _bool("installNvidiaDevicePlugin", "Install the NVIDIA device plugin DaemonSet.", "False"),
    _bool("installPromOp", "Install the Prometheus operator; false reuses an existing one.", "True"),
    _bool("installVolcano", "Install the Volcano scheduler; false reuses an existing one.", "True"),
    _bool("installDcgmExporter", "Install the DCGM exporter for GPU metrics.", "False"),
    _string("sslCertPemFile", "Path to the PEM certificate (chain) file; its base64 content is sent as "
            "scoringFe.sslCert.", where=IN_PROTECTED, sent=SENT_CONTENT_ONLY),
    _string("sslKeyPemFile", "Path to the unencrypted PEM private key file; its base64 content is sent as "
            "scoringFe.sslKey.", where=IN_PROTECTED, sent=SENT_CONTENT_ONLY),
    # Read or written by the CLI.
    Setting("clusterPurpose", ENUM, "DevTest or FastProd; DevTest is injected on clusters under 3 nodes.",
            None, sent=SENT_CANONICAL, choices=("DevTest", "FastProd")),
    _bool("isAKSMigration", "Migrating from AKS v1 inference: also sends scoringFe.namespace=default.",
          "False", spelling=LOWER_BOOLS),
    _bool("logAnalyticsWS", "true makes the az CLI create a Log Analytics workspace; refused when true (use "
          "azure_log_analytics.*).", "False"),
    _string("relayServerConnectionString", "Connection string of an existing Azure Relay hybrid connection "
            "(Arc); without it the relay is created.", where=IN_PROTECTED, origin=ADVANCED, secret=True),
    _string("cluster_name", "ARM id of the cluster.", where=IN_SETTINGS, origin=COMPUTED),
    _string("clusterId", "Copy of cluster_name.", where=IN_SETTINGS, origin=COMPUTED),
    _string("prometheus.prometheusSpec.externalLabels.cluster_name", "Copy of cluster_name.",
            where=IN_SETTINGS, origin=COMPUTED),
    _string("cluster_name_friendly", "Name of the cluster.", where=IN_SETTINGS, origin=COMPUTED),
    _string("domain", "<location>.cloudapp.azure.com.", where=IN_SETTINGS, origin=COMPUTED),
    _string("location", "Location of the cluster (lower case).", where=IN_SETTINGS, origin=COMPUTED),
    _string("jobSchedulerLocation", "Location of the cluster (lower case).", where=IN_SETTINGS, origin=COMPUTED),
    _bool("servicebus.enabled", "Azure Service Bus; always false (this collection does not create one).",
          "false", spelling=LOWER_BOOLS, where=IN_SETTINGS, origin=COMPUTED),
    _bool("relayserver.enabled", "Azure Relay; false on managedClusters, true otherwise.", None,
          spelling=LOWER_BOOLS, where=IN_SETTINGS, origin=COMPUTED),
    _bool("nginxIngress.enabled", "Bundled ingress-nginx; true on managedClusters, false otherwise.", None,
          spelling=LOWER_BOOLS, where=IN_SETTINGS, origin=COMPUTED),
    _bool("openshift", "true on an Arc cluster whose distribution is OpenShift.", None,
          spelling=LOWER_BOOLS, where=IN_SETTINGS, origin=COMPUTED),
    _string("relayserver.relayConnectionString", "Copy of relayServerConnectionString.", where=IN_PROTECTED,
            origin=COMPUTED, secret=True),
    _string("relayserver.hybridConnectionResourceID", "ARM id of the relay hybrid connection.",
            where=IN_SETTINGS, origin=COMPUTED),
    _string("relayserver.hybridConnectionName", "Name of the relay hybrid connection.", where=IN_SETTINGS,
            origin=COMPUTED),
    # Written only as translations of the user-facing keys above.
    # Absent means false to the chart, so an update writing False over an absent key changes nothing.
    _bool("scoringFe.serviceType.nodePort", "From inferenceRouterServiceType.", "False", where=IN_SETTINGS,
          origin=INTERNAL, instead="inferenceRouterServiceType"),
    _bool("scoringFe.serviceType.internalLoadBalancer", "From internalLoadBalancerProvider.", "False",
          where=IN_SETTINGS, origin=INTERNAL, instead="internalLoadBalancerProvider"),
    _string("scoringFe.sslSecret", "From sslSecret.", where=IN_SETTINGS, origin=INTERNAL, instead="sslSecret"),
    _string("scoringFe.sslCert", "Base64 of the sslCertPemFile file.", where=IN_PROTECTED, origin=INTERNAL, secret=True,
            instead="sslCertPemFile (in config_protected)"),
    _string("scoringFe.sslKey", "Base64 of the sslKeyPemFile file.", where=IN_PROTECTED, origin=INTERNAL, secret=True,
            instead="sslKeyPemFile (in config_protected)"),
    _string("scoringFe.namespace", "default when isAKSMigration is true.", where=IN_SETTINGS,
            origin=INTERNAL, instead="isAKSMigration"),
    # Written by this collection: see protected_fingerprint (update_protected: when_changed).
    _string(FINGERPRINT_KEY, "Salted PBKDF2 fingerprint of the protected settings last "
            "sent, so that a changed certificate or secret is noticed.", where=IN_SETTINGS, origin=INTERNAL,
            instead="update_protected"),
    # Documented in the reference and troubleshooting articles; passed through.
    _string("nginxIngress.controller", "Ingress class of the bundled ingress-nginx, e.g. "
            "k8s.io/amlarc-ingress-nginx when another ingress-nginx exists.", origin=ADVANCED),
    _string("volcanoScheduler.schedulerConfigMap", "ConfigMap in azureml with a custom Volcano scheduler "
            "configuration.", origin=ADVANCED),
    _bool("amloperator.skipResourceValidation", "true with a custom Volcano configuration.", None,
          spelling=LOWER_BOOLS, origin=ADVANCED),
    _bool("azure_log_analytics.enabled", "An existing Log Analytics workspace receives the logs.", None,
          where=IN_SETTINGS, origin=ADVANCED),
    _string("azure_log_analytics.customer_id", "Workspace (customer) id of that workspace.", where=IN_SETTINGS,
            origin=ADVANCED),
    _string("azure_log_analytics.connection_string", "Shared key of that workspace.", where=IN_PROTECTED,
            origin=ADVANCED, secret=True),
    # Older extension versions; the current CLI passes them through unread.
    _bool("inferenceLoadBalancerHA", "Legacy name of inferenceRouterHA.", None,
          origin=LEGACY, instead="inferenceRouterHA"),
    _bool("privateEndpointILB", "Legacy; use internalLoadBalancerProvider: azure.", None,
          origin=LEGACY, instead="internalLoadBalancerProvider"),
    _bool("privateEndpointNodeport", "Legacy; use inferenceRouterServiceType: nodePort.", None, origin=LEGACY, instead="inferenceRouterServiceType"),
)

BY_KEY = {s.key: s for s in SETTINGS if not s.prefix}
BY_LOWER_KEY = {s.key.lower(): s for s in SETTINGS if not s.prefix}
PREFIXES = tuple(s for s in SETTINGS if s.prefix)

# The CLI copies a key's value to its aliases when they are unset (its ``reference_mapping``).
SETTINGS_ALIASES = {"cluster_name": ("clusterId", "prometheus.prometheusSpec.externalLabels.cluster_name")}
PROTECTED_ALIASES = {"relayServerConnectionString": ("relayserver.relayConnectionString",)}

NODE_SELECTOR = next(s for s in PREFIXES if s.key == "nodeSelector.")
NODE_SELECTOR_MAP = "nodeSelector"  # nodeSelector: {<label>: <value>}, flattened into nodeSelector.<label>
LABEL_HINT = "write nodeSelector.<label>: <value>, e.g. nodeSelector.kubernetes.io/os: linux"

PEM_KEYS = ("sslCertPemFile", "sslKeyPemFile")
SECRET_KEYS = tuple(s.key for s in SETTINGS if s.secret)
# Always sent in the public settings, wherever the user gave them (as the CLI does).
WORKLOAD_FLAGS = ("enableTraining", "enableInference")
# Public settings that show an extension was installed with TLS material (see "Updates" above).
TLS_MARKERS = ("sslSecret", "scoringFe.sslSecret", "sslCname", FINGERPRINT_KEY)
SERVICE_TYPES = "loadBalancer, nodePort or clusterIP"


class AmlSettingsError(ValueError):
    """The settings cannot be used; ``problems`` lists every reason with its fix."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            "invalid AzureML extension settings: " + " | ".join(self.problems)
            if len(self.problems) != 1 else self.problems[0]
        )


# ---------------------------------------------------------------------------------------------- lookups


def describe(key: str) -> Setting | None:
    """The table row for ``key`` (exact case), or for its prefix (``nodeSelector.<label>``)."""
    if key in BY_KEY:
        return BY_KEY[key]
    for setting in PREFIXES:
        if key.startswith(setting.key) and len(key) > len(setting.key):
            return setting
    return None


def canonical_value(key: str, value: Any) -> str:
    """``value`` in the spelling we send for ``key``; values the table cannot read are returned as text."""
    setting = describe(key)
    if setting is not None and setting.kind == BOOL:
        flag = as_bool(value)
        if flag is not None:
            return setting.spelling[0] if flag else setting.spelling[1]
    if setting is not None and setting.kind == ENUM:
        choice = as_choice(setting, value)
        if choice is not None:
            return choice
    return as_text(value)


def is_default(key: str, value: Any) -> bool:
    """Whether `value` is the key's documented default, which an absent key on Azure also means."""
    setting = describe(key)
    return bool(setting and setting.default is not None and settings_equal(key, value, setting.default))


def settings_equal(key: str, a: Any, b: Any) -> bool:
    """Compare two values of ``key`` by its type: bools and enum choices ignore case, the rest is exact."""
    if a is None or b is None:
        return a is None and b is None
    return canonical_value(key, a) == canonical_value(key, b)


def secret_keys() -> tuple[str, ...]:
    """The keys whose values are secret, high-entropy material: keys, certificates, connection strings.

    They are the rows marked ``secret``: not the PEM file paths, whose content is sent under
    ``scoringFe.sslCert``/``scoringFe.sslKey`` instead.
    """
    return SECRET_KEYS


def secret_values(protected: Mapping[str, str]) -> list[str]:
    """The values to mask in every output: those of the table's secret keys (file contents, fetched keys).

    The rest of the protected map came in through ``config_protected``, which Ansible masks already.
    """
    return [value for key, value in protected.items() if key in SECRET_KEYS and value]


def fingerprintable(protected: Mapping[str, str]) -> bool:
    """Whether a salted fingerprint of ``protected`` may be stored in a public setting.

    True only when the map holds a non-empty value under a ``secret_keys()`` key: guessing the map then
    means guessing that secret. A map of low-entropy values only (``allowInsecureConnections: true``, a
    host name, an enum choice) could be brute-forced offline from its fingerprint, slow hash or not.
    """
    return any(protected.get(key) for key in SECRET_KEYS)


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_choice(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    for choice in setting.choices:
        if choice.lower() == value.lower():
            return choice
    return None


def as_text(value: Any) -> str:
    # str(True) is 'True', as the CLI's serializer renders a Python bool in a string map.
    return value if isinstance(value, str) else str(value)


def is_true(value: Any) -> bool:
    # The CLI's own test for every flag it reads: str(v).lower() == 'true'.
    return str(value).lower() == "true"


def current_view(current_settings: Mapping[str, Any] | None) -> dict[str, str]:
    """The extension's settings on Azure as text; a null value on Azure is an absent key, not 'None'."""
    return {key: as_text(value) for key, value in (current_settings or {}).items() if value is not None}
