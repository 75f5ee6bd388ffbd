# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AzureML extension's configuration settings: one table and the pure functions that read it.

Rule: send what ``az k8s-extension create --extension-type Microsoft.AzureML.Kubernetes`` sends (same keys,
same value spellings), minus its bugs. The facts come from the CLI's ``partner_extensions/AzureMLKubernetes.py``.

Public API (all pure; no Azure, no Ansible):

- ``SETTINGS``: tuple of ``Setting`` (key, kind, default, workloads, where, origin, description, how sent).
- ``describe(key) -> Setting | None``: the table row for a key (prefix rows such as ``nodeSelector.`` too).
- ``ClusterFacts``: what the module learnt about the cluster (type, ARM id, name, location, node count,
  Arc distribution).
- ``AmlSettingsError(ValueError)``: ``problems`` lists every problem, each naming the setting and the fix.
- ``normalise(config, config_protected, *, allow_unknown=False) -> Normalised``: fix key case (warning),
  render values as strings in their canonical spelling, refuse unknown, misplaced, duplicated or ill-typed
  keys. Values must be scalars; the one mapping read is ``nodeSelector: {<label>: <value>}``, flattened into
  ``nodeSelector.<label>`` keys exactly as the flat form would be (one level; ``nodeSelector.`` without a
  label is refused).
- ``validate(normalised, cluster, *, operation='create', current_settings=None) -> list[str]``: every rule
  the CLI enforces plus the ones it lacks (PEM checks, ILB on Arc, both workloads off on update); raises
  ``AmlSettingsError`` with all problems at once; returns warnings.
- ``compute(normalised, cluster, *, operation='create', current_settings=None) -> Desired``: the settings
  the CLI injects and translates; ``Desired.settings`` / ``Desired.protected`` are exactly the maps to send.
- ``needs_relay(desired, cluster=None) -> bool`` and ``with_relay(desired, connection_string,
  hybrid_connection_id, hybrid_connection_name) -> Desired``: the Azure Relay an Arc install needs.
  ``needs_relay`` reads only ``desired`` (``compute`` already wrote relayserver.enabled from the cluster
  type); ``cluster`` is accepted and ignored.
- ``needs_cryptography(normalised) -> bool``: PEM files are given, so ``tls`` needs ``cryptography``.
- ``relay_resource_names(cluster_name, subscription_id, resource_group) -> RelayNames``: the CLI's names.
- ``canonical_value(key, value) -> str`` and ``settings_equal(key, a, b) -> bool``: compare by the table's
  type (bools and enum choices ignore case; everything else is exact). ``is_default(key, value) -> bool``.
- ``secret_keys() -> tuple[str, ...]``: the keys holding secret, high-entropy material, from the table
  (``where == IN_PROTECTED`` and sent: ``scoringFe.sslCert``, ``scoringFe.sslKey``,
  ``relayServerConnectionString``, ``relayserver.relayConnectionString``,
  ``azure_log_analytics.connection_string``).
- ``fingerprintable(protected) -> bool``: the protected map holds a non-empty value under one of
  ``secret_keys()``, so a salted fingerprint of it stored in a public setting cannot be brute-forced from
  low-entropy values alone. Without one, store no fingerprint.
- ``non_secret_protected_keys(normalised) -> list[str]``: keys given in config_protected that the table
  does not hold secret (``where == IN_EITHER``), so the caller can warn that their values are masked
  everywhere in the output.

Value spellings (the CLI's, key by key):

- Booleans the CLI writes itself from a Python bool (``enableTraining``, ``enableInference``,
  ``scoringFe.serviceType.*``) are sent ``True``/``False``; the ones it writes as strings
  (``inferenceRouterHA``, ``servicebus.enabled``, ``relayserver.enabled``, ``nginxIngress.enabled``,
  ``openshift``, ``isAKSMigration``) are sent ``true``/``false``; booleans it never writes are sent in the
  documentation's spelling ``True``/``False`` (``amloperator.skipResourceValidation``: ``true``, as documented).
  The CLI passes a user's own spelling through; we send one canonical spelling per key so the same intent
  always produces the same bytes, and ``settings_equal`` makes any spelling already on Azure compare equal.
- ``inferenceRouterServiceType`` is sent as ``loadBalancer``/``nodePort``/``clusterIP`` (the settings
  table's spelling; the CLI passes the user's spelling and compares it case-insensitively, so the service
  accepts any case).

Differences from the CLI (its bugs, fixed):

- ``InferenceRouterHA`` and other miscased keys are read as the documented key (with a warning), not passed
  through unread; unknown keys are refused with a suggestion.
- ``domain`` is honoured when given (the CLI reads the misspelled ``doamin``).
- PEM paths (``sslCertPemFile``/``sslKeyPemFile``) are never sent: only their base64 content in protected
  ``scoringFe.sslCert``/``scoringFe.sslKey``. The files are checked first (see ``tls``). ``~`` is expanded.
- TLS material is translated whenever inference is on (the CLI skips it at create time when
  ``allowInsecureConnections`` is true, sending the bare paths); ``sslSecret`` together with the PEM pair is
  refused instead of silently preferring the PEM files.
- ``internalLoadBalancerProvider`` on a connectedClusters cluster is refused (the CLI only warns; the
  service fails health check E40003).
- An update that would turn both workloads off is refused.
- Under three nodes an explicit ``inferenceRouterHA: true`` draws a warning (health check E40002).
- ``openshift`` is injected on an OpenShift distribution unless the user set it (the CLI overwrites it).

Azure resources the CLI creates and this collection does not (except the Arc relay, see ``relay``):

- ``servicebus.enabled: true`` is refused.
- ``logAnalyticsWS: true`` given by the user (in either map) is refused, even together with an existing
  workspace's key (with which the CLI creates nothing and passes the flag through): the flag only ever means
  "create a workspace"; an existing one is used with ``azure_log_analytics.enabled: true`` and
  ``azure_log_analytics.customer_id`` in config and ``azure_log_analytics.connection_string`` in
  config_protected. ``logAnalyticsWS`` already true on an extension (the CLI created its workspace) is not
  the user's request and does not block an update.

Updates (``operation='update'``, ``current_settings`` = the extension's public settings on Azure):

- Each injected value comes from, in order: the user's config, the current settings, the computed default;
  so an update never flips what an earlier install chose. The service type translation follows the CLI's
  update path (``scoringFe.serviceType.nodePort`` written ``True`` or ``False``).
- The rules are judged on the merged view (user config over current settings), not only on what changes.
  Whenever inference is on after the update: ``inferenceRouterServiceType`` must be in the merged view, and
  HTTPS or ``allowInsecureConnections: true`` must be. HTTPS counts as present when TLS material is given now
  (``sslSecret``, or the PEM files in config_protected, as the module passes the user's full config), or
  when the current settings show it was installed: ``enableInference`` is already true there and any of
  ``sslSecret``, ``scoringFe.sslSecret``, ``sslCname`` or ``ansibleProtectedSettingsFingerprint`` is set
  (PEM content is not sent while inference is off, so a marker then proves nothing). Azure never returns
  protected settings, so PEM content installed earlier is visible only through these (the CLI and
  ``validate`` refuse TLS material without ``sslCname``). The rule refuses only a merged view that clearly
  has no TLS, e.g. ``allowInsecureConnections: false`` over an extension that shows
  ``allowInsecureConnections: true`` and none of those markers, with no TLS given now. It errs towards
  accepting: an extension installed with both PEM files and ``allowInsecureConnections: true`` cannot be
  told from one with ``sslCname`` alone, and a fingerprint may cover protected settings other than TLS.
- When the extension logs to Log Analytics and config_protected lacks the workspace key, a warning says a
  protected send would remove it (Azure replaces protected settings as a whole).
"""

from __future__ import annotations

import difflib
import hashlib
from collections import namedtuple
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils import tls

# Kinds of value.
BOOL = "bool"
STRING = "string"
ENUM = "enum"

# Workloads a setting applies to.
TRAINING = "training"
INFERENCE = "inference"
ANY = "any"

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

# protected_fingerprint.FINGERPRINT_KEY, spelt out so that module may import this one.
_FINGERPRINT_KEY = "ansibleProtectedSettingsFingerprint"


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str
    description: str
    default: str | None = None
    workloads: str = ANY
    where: str = IN_EITHER
    origin: str = DOCUMENTED
    sent: str = SENT_AS_IS
    choices: tuple[str, ...] = ()
    spelling: tuple[str, str] = TITLE_BOOLS
    prefix: bool = False
    instead: str | None = None  # for INTERNAL and LEGACY keys: the key to use


def _bool(key, description, default=None, spelling=TITLE_BOOLS, **kwargs) -> Setting:
    return Setting(key, BOOL, description, default, spelling=spelling, sent=SENT_CANONICAL, **kwargs)


def _string(key, description, default=None, **kwargs) -> Setting:
    return Setting(key, STRING, description, default, **kwargs)


SETTINGS: tuple[Setting, ...] = (
    # The deployment article's table.
    _bool("enableTraining", "Install the training and batch scoring components.", "False", workloads=TRAINING),
    _bool("enableInference", "Install the online inference components.", "False", workloads=INFERENCE),
    _bool("allowInsecureConnections", "Serve inference over HTTP; required when no TLS material is given.",
          "False", workloads=INFERENCE),
    Setting("inferenceRouterServiceType", ENUM,
            "Service type of the azureml-fe router; required with enableInference. nodePort is also sent as "
            "scoringFe.serviceType.nodePort.", None, workloads=INFERENCE, sent=SENT_TRANSLATED,
            choices=("loadBalancer", "nodePort", "clusterIP")),
    Setting("internalLoadBalancerProvider", ENUM,
            "azure: expose the router on an internal load balancer (AKS only; not with nodePort). Also sent "
            "as scoringFe.serviceType.internalLoadBalancer.", None, workloads=INFERENCE,
            sent=SENT_TRANSLATED, choices=("azure",)),
    _string("sslSecret", "Kubernetes secret in the azureml namespace holding cert.pem and key.pem; also sent "
            "as scoringFe.sslSecret.", workloads=INFERENCE, sent=SENT_TRANSLATED),
    _string("sslCname", "Host name of the HTTPS inference endpoint; required with TLS material.",
            workloads=INFERENCE),
    _bool("inferenceRouterHA", "Run three router replicas (needs three nodes); false runs one.", "True",
          spelling=LOWER_BOOLS, workloads=INFERENCE),
    _string("nodeSelector.", "nodeSelector.<label>=<value>: restrict the extension and the workloads to "
            "nodes with these labels (also read from a nodeSelector mapping of <label>: <value>).", prefix=True),
    _bool("installNvidiaDevicePlugin", "Install the NVIDIA device plugin DaemonSet.", "False"),
    _bool("installPromOp", "Install the Prometheus operator; false reuses an existing one.", "True"),
    _bool("installVolcano", "Install the Volcano scheduler; false reuses an existing one.", "True",
          workloads=TRAINING),
    _bool("installDcgmExporter", "Install the DCGM exporter for GPU metrics.", "False"),
    _string("sslCertPemFile", "Path to the PEM certificate (chain) file; its base64 content is sent as "
            "scoringFe.sslCert.", workloads=INFERENCE, where=IN_PROTECTED, sent=SENT_CONTENT_ONLY),
    _string("sslKeyPemFile", "Path to the unencrypted PEM private key file; its base64 content is sent as "
            "scoringFe.sslKey.", workloads=INFERENCE, where=IN_PROTECTED, sent=SENT_CONTENT_ONLY),
    # Read or written by the CLI.
    Setting("clusterPurpose", ENUM, "DevTest or FastProd; DevTest is injected on clusters under 3 nodes.",
            None, sent=SENT_CANONICAL, choices=("DevTest", "FastProd")),
    _bool("isAKSMigration", "Migrating from AKS v1 inference: also sends scoringFe.namespace=default.",
          "False", spelling=LOWER_BOOLS, workloads=INFERENCE),
    _bool("logAnalyticsWS", "true makes the az CLI create a Log Analytics workspace; refused when true (use "
          "azure_log_analytics.*).", "False"),
    _string("relayServerConnectionString", "Connection string of an existing Azure Relay hybrid connection "
            "(Arc); without it the relay is created.", where=IN_PROTECTED, origin=ADVANCED),
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
            origin=COMPUTED),
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
    _string("scoringFe.sslCert", "Base64 of the sslCertPemFile file.", where=IN_PROTECTED, origin=INTERNAL,
            instead="sslCertPemFile (in config_protected)"),
    _string("scoringFe.sslKey", "Base64 of the sslKeyPemFile file.", where=IN_PROTECTED, origin=INTERNAL,
            instead="sslKeyPemFile (in config_protected)"),
    _string("scoringFe.namespace", "default when isAKSMigration is true.", where=IN_SETTINGS,
            origin=INTERNAL, instead="isAKSMigration"),
    # Written by this collection: see protected_fingerprint (update_protected: when_changed).
    _string(_FINGERPRINT_KEY, "Salted PBKDF2 fingerprint of the protected settings last "
            "sent, so that a changed certificate or secret is noticed.", where=IN_SETTINGS, origin=INTERNAL,
            instead="update_protected"),
    # Documented in the reference and troubleshooting articles; passed through.
    _string("nginxIngress.controller", "Ingress class of the bundled ingress-nginx, e.g. "
            "k8s.io/amlarc-ingress-nginx when another ingress-nginx exists.", origin=ADVANCED),
    _string("volcanoScheduler.schedulerConfigMap", "ConfigMap in azureml with a custom Volcano scheduler "
            "configuration.", workloads=TRAINING, origin=ADVANCED),
    _bool("amloperator.skipResourceValidation", "true with a custom Volcano configuration.", None,
          spelling=LOWER_BOOLS, workloads=TRAINING, origin=ADVANCED),
    _bool("azure_log_analytics.enabled", "An existing Log Analytics workspace receives the logs.", None,
          where=IN_SETTINGS, origin=ADVANCED),
    _string("azure_log_analytics.customer_id", "Workspace (customer) id of that workspace.", where=IN_SETTINGS,
            origin=ADVANCED),
    _string("azure_log_analytics.connection_string", "Shared key of that workspace.", where=IN_PROTECTED,
            origin=ADVANCED),
    # Older extension versions; the current CLI passes them through unread.
    _bool("inferenceLoadBalancerHA", "Legacy name of inferenceRouterHA.", None, workloads=INFERENCE,
          origin=LEGACY, instead="inferenceRouterHA"),
    _bool("privateEndpointILB", "Legacy; use internalLoadBalancerProvider: azure.", None, workloads=INFERENCE,
          origin=LEGACY, instead="internalLoadBalancerProvider"),
    _bool("privateEndpointNodeport", "Legacy; use inferenceRouterServiceType: nodePort.", None,
          workloads=INFERENCE, origin=LEGACY, instead="inferenceRouterServiceType"),
)

_BY_KEY = {s.key: s for s in SETTINGS if not s.prefix}
_BY_LOWER_KEY = {s.key.lower(): s for s in SETTINGS if not s.prefix}
_PREFIXES = tuple(s for s in SETTINGS if s.prefix)

# The CLI copies a key's value to its aliases when they are unset (its ``reference_mapping``).
_SETTINGS_ALIASES = {"cluster_name": ("clusterId", "prometheus.prometheusSpec.externalLabels.cluster_name")}
_PROTECTED_ALIASES = {"relayServerConnectionString": ("relayserver.relayConnectionString",)}

_NODE_SELECTOR = next(s for s in _PREFIXES if s.key == "nodeSelector.")
_NODE_SELECTOR_MAP = "nodeSelector"  # nodeSelector: {<label>: <value>}, flattened into nodeSelector.<label>
_LABEL_HINT = "write nodeSelector.<label>: <value>, e.g. nodeSelector.kubernetes.io/os: linux"

_PEM_KEYS = ("sslCertPemFile", "sslKeyPemFile")
_SECRET_KEYS = tuple(s.key for s in SETTINGS if s.where == IN_PROTECTED and s.sent != SENT_CONTENT_ONLY)
# Always sent in the public settings, wherever the user gave them (as the CLI does).
_WORKLOAD_FLAGS = ("enableTraining", "enableInference")
# Public settings that show an extension was installed with TLS material (see "Updates" above).
_TLS_MARKERS = ("sslSecret", "scoringFe.sslSecret", "sslCname", _FINGERPRINT_KEY)
_SERVICE_TYPES = "loadBalancer, nodePort or clusterIP"
MIN_HA_NODES = 3
RELAY_RULE_NAME = "azureml_rw"

RelayNames = namedtuple("RelayNames", ["namespace_name", "hybrid_connection_name", "rule_name"])


class AmlSettingsError(ValueError):
    """The settings cannot be used; ``problems`` lists every reason with its fix."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            "invalid AzureML extension settings: " + " | ".join(self.problems)
            if len(self.problems) != 1 else self.problems[0]
        )


@dataclass(frozen=True)
class ClusterFacts:
    cluster_type: str  # 'managedClusters' or 'connectedClusters'
    resource_id: str
    name: str
    location: str
    node_count: int | None = None
    distribution: str | None = None


@dataclass(frozen=True)
class Normalised:
    settings: dict[str, str]
    protected: dict[str, str] = field(repr=False)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Desired:
    settings: dict[str, str]
    protected: dict[str, str] = field(repr=False)
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- the table


def describe(key: str) -> Setting | None:
    """The table row for ``key`` (exact case), or for its prefix (``nodeSelector.<label>``)."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    for setting in _PREFIXES:
        if key.startswith(setting.key) and len(key) > len(setting.key):
            return setting
    return None


def canonical_value(key: str, value: Any) -> str:
    """``value`` in the spelling we send for ``key``; values the table cannot read are returned as text."""
    setting = describe(key)
    if setting is not None and setting.kind == BOOL:
        flag = _as_bool(value)
        if flag is not None:
            return setting.spelling[0] if flag else setting.spelling[1]
    if setting is not None and setting.kind == ENUM:
        choice = _as_choice(setting, value)
        if choice is not None:
            return choice
    return _text(value)


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

    They are the table's protected-only keys (``where == IN_PROTECTED``) that are sent, so not the PEM file
    paths, whose content is sent under ``scoringFe.sslCert``/``scoringFe.sslKey`` instead.
    """
    return _SECRET_KEYS


def fingerprintable(protected: Mapping[str, str]) -> bool:
    """Whether a salted fingerprint of ``protected`` may be stored in a public setting.

    True only when the map holds a non-empty value under a ``secret_keys()`` key: guessing the map then
    means guessing that secret. A map of low-entropy values only (``allowInsecureConnections: true``, a
    host name, an enum choice) could be brute-forced offline from its fingerprint, slow hash or not.
    """
    return any(protected.get(key) for key in _SECRET_KEYS)


def non_secret_protected_keys(normalised: Normalised) -> list[str]:
    """Keys the user put in config_protected that the table does not hold secret, in the order given.

    These are the keys that may be given in either map (``where == IN_EITHER``: booleans, enum choices,
    ordinary strings such as ``sslCname``); every value sent as protected is masked in the output, so a
    ``true`` there hides every ``true``. Not listed: secrets and PEM paths (``IN_PROTECTED``), unknown keys
    (they may be secrets), and ``enableTraining``/``enableInference``, which ``compute`` moves to the
    public settings.
    """
    listed = []
    for key in normalised.protected:
        setting = describe(key)
        if setting is not None and setting.where == IN_EITHER and key not in _WORKLOAD_FLAGS:
            listed.append(key)
    return listed


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _as_choice(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    for choice in setting.choices:
        if choice.lower() == value.lower():
            return choice
    return None


def _text(value: Any) -> str:
    # str(True) is 'True', as the CLI's serializer renders a Python bool in a string map.
    return value if isinstance(value, str) else str(value)


def _is_true(value: Any) -> bool:
    # The CLI's own test for every flag it reads: str(v).lower() == 'true'.
    return str(value).lower() == "true"


# ------------------------------------------------------------------------------------------ normalise


def normalise(config: Mapping[str, Any] | None, config_protected: Mapping[str, Any] | None, *,
              allow_unknown: bool = False) -> Normalised:
    """Read both maps against the table; raise ``AmlSettingsError`` listing every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    settings = _normalise_map(config or {}, False, allow_unknown, problems, warnings)
    protected = _normalise_map(config_protected or {}, True, allow_unknown, problems, warnings)
    for key in sorted(settings.keys() & protected.keys()):
        problems.append(
            "%s is given in both config and config_protected: keep it in one of them (config_protected if "
            "it is a secret)" % key
        )
    if problems:
        raise AmlSettingsError(problems)
    return Normalised(settings, protected, tuple(warnings))


def _map_name(protected: bool) -> str:
    return "config_protected" if protected else "config"


def _normalise_map(raw: Mapping[str, Any], protected: bool, allow_unknown: bool,
                   problems: list[str], warnings: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    in_mapping: dict[str, bool] = {}  # key -> whether it came from a nodeSelector mapping
    where = _map_name(protected)
    for given, raw_value, from_mapping in _entries(raw, where, problems, warnings):
        if from_mapping:
            key, setting = given, _NODE_SELECTOR
        else:
            key, setting = _resolve_key(given)
        if setting is not None and setting.prefix and key == setting.key:
            problems.append("%s key %r has %s label: %s" % (
                where, _NODE_SELECTOR_MAP if from_mapping else key, "an empty" if from_mapping else "no", _LABEL_HINT))
            continue
        if setting is None and not allow_unknown:
            problems.append(_unknown_key_message(given, where))
            continue
        if setting is None:
            warnings.append("%s key %r is not a known AzureML setting; it is passed through unchecked" % (where, given))
        elif key != given:
            warnings.append("%s key %r was read as %r" % (where, given, key))
        if key in out:
            problems.append("%s: %s is given twice (%s): keep one" % (where, key, _twice(key, in_mapping[key], from_mapping)))
            continue
        if setting is not None and not _placement_ok(setting, key, protected, problems, warnings):
            continue
        value = _coerce(setting, key, raw_value, protected, problems, from_mapping)
        if value is not None:
            out[key] = value
            in_mapping[key] = from_mapping
    return out


def _entries(raw: Mapping[str, Any], where: str, problems: list[str], warnings: list[str]) -> Iterator[tuple[str, Any, bool]]:
    """(key as given, value, from a nodeSelector mapping) for each entry, the mapping flattened in place.

    A generator, so that its problems and warnings keep their place among those of the other entries.
    """
    for raw_key, raw_value in raw.items():
        given = str(raw_key)
        if given.lower() != _NODE_SELECTOR_MAP.lower():
            yield given, raw_value, False
            continue
        if given != _NODE_SELECTOR_MAP:
            warnings.append("%s key %r was read as %r" % (where, given, _NODE_SELECTOR_MAP))
        if not isinstance(raw_value, Mapping):
            problems.append("%s in %s must be a mapping of node labels to values: write %s: {<label>: <value>} or "
                            "%s<label>: <value>" % (_NODE_SELECTOR_MAP, where, _NODE_SELECTOR_MAP, _NODE_SELECTOR.key))
            continue
        # The labels keep their case: Kubernetes label keys are case-sensitive.
        for label, value in raw_value.items():
            yield _NODE_SELECTOR.key + str(label), value, True


def _twice(key: str, first_in_mapping: bool, again_in_mapping: bool) -> str:
    if first_in_mapping and again_in_mapping:
        return "in two %s mappings" % _NODE_SELECTOR_MAP
    if first_in_mapping or again_in_mapping:
        return "as %s and in the %s mapping" % (key, _NODE_SELECTOR_MAP)
    return "differing only in case"


def _resolve_key(given: str) -> tuple[str, Setting | None]:
    if given in _BY_KEY:
        return given, _BY_KEY[given]
    setting = _BY_LOWER_KEY.get(given.lower())
    if setting is not None:
        return setting.key, setting
    for prefix in _PREFIXES:
        if given.lower().startswith(prefix.key.lower()):
            # Only the prefix is ours to fix: the label after it is case-sensitive in Kubernetes.
            return prefix.key + given[len(prefix.key):], prefix
    return given, None


def _unknown_key_message(given: str, where: str) -> str:
    candidates = [s.key for s in SETTINGS if s.origin != INTERNAL]
    close = difflib.get_close_matches(given, candidates, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(given.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
        close = [_BY_LOWER_KEY[c].key if c in _BY_LOWER_KEY else _NODE_SELECTOR.key for c in close]
    if close == [_NODE_SELECTOR.key]:
        close = [_NODE_SELECTOR.key + "<label>"]
    hint = "did you mean %s? " % close[0] if close else ""
    return "%s key %r is not an AzureML extension setting: %sfix or remove it" % (where, given, hint)


def _placement_ok(setting: Setting, key: str, protected: bool, problems: list[str], warnings: list[str]) -> bool:
    if setting.origin == INTERNAL:
        problems.append("%s is computed by this collection, not set directly: set %s instead" % (key, setting.instead))
        return False
    if setting.where == IN_PROTECTED and not protected:
        problems.append("%s holds a secret or a local path and belongs in config_protected: move %s to "
                        "config_protected" % (key, key))
        return False
    if setting.where == IN_SETTINGS and protected:
        problems.append("%s is a public setting: move %s to config" % (key, key))
        return False
    if setting.origin == LEGACY:
        warnings.append("%s is a legacy setting that current extension versions may ignore: use %s"
                        % (key, setting.instead))
    return True


def _coerce(setting: Setting | None, key: str, value: Any, protected: bool, problems: list[str],
            from_mapping: bool = False) -> str | None:
    where = _map_name(protected)
    if value is None:
        problems.append("%s in %s has no value: give a value or remove the key" % (key, where))
        return None
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        hint = ": %s takes one level of <label>: <value>" % _NODE_SELECTOR_MAP if from_mapping else ""
        problems.append("%s in %s must be a scalar (a string, number or boolean), not a list or mapping%s"
                        % (key, where, hint))
        return None
    if setting is None or setting.kind == STRING:
        return _coerce_string(setting, key, value, where, problems)
    if setting.kind == BOOL:
        return _coerce_bool(setting, key, value, protected, problems)
    return _coerce_enum(setting, key, value, protected, problems)


def _coerce_string(setting: Setting | None, key: str, value: Any, where: str, problems: list[str]) -> str | None:
    # A YAML boolean as a Kubernetes label value means the label text nodes carry: 'true', not 'True'.
    text = str(value).lower() if isinstance(value, bool) and setting is not None and setting.prefix else _text(value)
    # An empty label value is valid in a nodeSelector; elsewhere an empty value is a mistake.
    if text == "" and setting is not None and not setting.prefix:
        problems.append("%s in %s is empty: give a value or remove the key" % (key, where))
        return None
    return text


def _shown(value: Any, protected: bool) -> str:
    # Values of protected settings are never repeated back.
    return "a hidden value" if protected else repr(value)


def _coerce_bool(setting: Setting, key: str, value: Any, protected: bool, problems: list[str]) -> str | None:
    flag = _as_bool(value)
    if flag is None:
        problems.append("%s must be true or false (any case), got %s: set %s: true or %s: false"
                        % (key, _shown(value, protected), key, key))
        return None
    return setting.spelling[0] if flag else setting.spelling[1]


def _coerce_enum(setting: Setting, key: str, value: Any, protected: bool, problems: list[str]) -> str | None:
    choice = _as_choice(setting, value)
    if choice is None:
        problems.append("%s must be %s (any case), got %s" % (key, _or_list(setting.choices), _shown(value, protected)))
    return choice


def _or_list(choices: tuple[str, ...]) -> str:
    return choices[0] if len(choices) == 1 else "%s or %s" % (", ".join(choices[:-1]), choices[-1])


# ------------------------------------------------------------------------------------------- validate


def needs_cryptography(normalised: Normalised) -> bool:
    """PEM files are given, so ``validate``/``compute`` will read them with ``cryptography``."""
    return any(key in normalised.protected for key in _PEM_KEYS)


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
    current = _current(current_settings) if operation == "update" else {}
    view = _effective(normalised, current)
    _check_workloads(view, operation, problems)
    inference = _is_true(view.get("enableInference"))
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


def _current(current_settings: Mapping[str, Any] | None) -> dict[str, str]:
    # A null value on Azure is an absent key, not the text 'None'.
    return {key: _text(value) for key, value in (current_settings or {}).items() if value is not None}


def _effective(normalised: Normalised, current: Mapping[str, Any]) -> dict[str, str]:
    # The CLI looks a key up in settings first, then in protected settings.
    view = {key: _text(value) for key, value in current.items()}
    view.update(normalised.protected)
    view.update(normalised.settings)
    return view


def _check_workloads(view: Mapping[str, str], operation: str, problems: list[str]) -> None:
    if _is_true(view.get("enableTraining")) or _is_true(view.get("enableInference")):
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
                        % _SERVICE_TYPES)
    if (not _tls_given(view, normalised) and not _tls_on_extension(current)
            and not _is_true(view.get("allowInsecureConnections"))):
        problems.append("enableInference is true but no TLS material is given: set sslSecret (a Kubernetes "
                        "secret in the azureml namespace) or sslCertPemFile and sslKeyPemFile (in "
                        "config_protected), together with sslCname; or, for HTTP only, set "
                        "allowInsecureConnections: true")


def _tls_given(view: Mapping[str, str], normalised: Normalised) -> bool:
    return bool(view.get("sslSecret")) or any(key in normalised.protected for key in _PEM_KEYS)


def _tls_on_extension(current: Mapping[str, str]) -> bool:
    # Azure never returns the protected settings, so PEM content installed earlier shows only through these.
    # Only while inference is on: with it off, PEM content is not sent, so a marker proves nothing.
    return _is_true(current.get("enableInference")) and any(current.get(key) for key in _TLS_MARKERS)


def _check_tls_material(view: Mapping[str, str], normalised: Normalised, inference: bool,
                        problems: list[str], warnings: list[str]) -> None:
    pem_given = [key for key in _PEM_KEYS if key in normalised.protected]
    if len(pem_given) == 1:
        missing = [key for key in _PEM_KEYS if key not in pem_given][0]
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
    try:
        pair = tls.load_pem_pair(normalised.protected["sslCertPemFile"], normalised.protected["sslKeyPemFile"])
    except tls.PemError as exc:
        problems.extend(exc.problems)
        return
    warnings.extend(pair.warnings)
    warnings.extend(tls.cname_warnings(pair, cname))


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
    if inference and _is_true(given) and _small_cluster(cluster):
        warnings.append("inferenceRouterHA is true but the cluster has %d node(s); three router replicas need "
                        "at least %d nodes and the install will fail health check E40002: set "
                        "inferenceRouterHA: false or add nodes" % (cluster.node_count, MIN_HA_NODES))


def _small_cluster(cluster: ClusterFacts) -> bool:
    return cluster.node_count is not None and cluster.node_count < MIN_HA_NODES


def _check_azure_resources_not_created(view: Mapping[str, str], normalised: Normalised,
                                       problems: list[str]) -> None:
    if _is_true(view.get("servicebus.enabled")):
        problems.append("servicebus.enabled: true makes the az CLI create an Azure Service Bus namespace, which "
                        "this collection does not do (nor does the extension need it): remove servicebus.enabled")
    # Judged on what the user gives: an extension the az CLI installed with logAnalyticsWS=true has its
    # workspace already, and a key given in config_protected does not change what the flag asks for.
    given = normalised.settings.get("logAnalyticsWS", normalised.protected.get("logAnalyticsWS"))
    if _is_true(given):
        problems.append("logAnalyticsWS: true makes the az CLI create a Log Analytics workspace, which this "
                        "collection does not do: remove logAnalyticsWS, create the workspace, and give "
                        "azure_log_analytics.enabled: true and azure_log_analytics.customer_id in config and its "
                        "shared key as azure_log_analytics.connection_string in config_protected")


def _check_log_analytics_key_kept(view: Mapping[str, str], current: Mapping[str, str], normalised: Normalised,
                                  warnings: list[str]) -> None:
    # Azure replaces the protected settings as a whole: a send without the workspace key removes it.
    if (_is_true(current.get("azure_log_analytics.enabled")) and _is_true(view.get("azure_log_analytics.enabled"))
            and normalised.protected and "azure_log_analytics.connection_string" not in normalised.protected):
        warnings.append("the extension sends its logs to a Log Analytics workspace (azure_log_analytics.enabled is "
                        "true) but config_protected has no azure_log_analytics.connection_string: Azure replaces the "
                        "protected settings as a whole, so when they are sent the workspace key is removed; give it "
                        "in config_protected")


# -------------------------------------------------------------------------------------------- compute


def compute(normalised: Normalised, cluster: ClusterFacts, *, operation: str = "create",
            current_settings: Mapping[str, Any] | None = None) -> Desired:
    """The maps to send: the user's settings plus what the CLI injects and translates (user value wins).

    Call ``validate`` first; PEM files are read again here and a failure raises ``AmlSettingsError``.
    """
    settings = dict(normalised.settings)
    protected = dict(normalised.protected)
    current = _current(current_settings) if operation == "update" else {}
    notes: list[str] = []
    inference = _write_workload_flags(settings, protected, current)
    if inference:
        _translate_inference(settings, protected, operation)
    elif any(key in protected for key in _PEM_KEYS):
        notes.append("sslCertPemFile/sslKeyPemFile are not sent while enableInference is false")
    _apply_small_cluster(settings, protected, current, cluster, notes)
    _apply_openshift(settings, protected, cluster)
    _inject_cluster_defaults(settings, protected, current, cluster)
    _copy_aliases(settings, protected, current)
    for key in _PEM_KEYS:
        # The CLI also sends the local paths; they mean nothing to the cluster.
        protected.pop(key, None)
    return Desired(settings, protected, tuple(notes))


def _default(settings: dict[str, str], protected: Mapping[str, str], current: Mapping[str, str],
             key: str, value: str) -> bool:
    """Set ``key`` unless the user did; return whether the computed ``value`` was used (not the current one)."""
    if key in settings or key in protected:
        return False
    settings[key] = current.get(key, value)
    return key not in current


def _write_workload_flags(settings: dict[str, str], protected: dict[str, str], current: Mapping[str, str]) -> bool:
    # The CLI always writes both flags into the public settings and drops them from the protected ones.
    for key in _WORKLOAD_FLAGS:
        value = settings.get(key, protected.pop(key, None))
        if value is None:
            value = canonical_value(key, current.get(key, False))
        settings[key] = value
    return _is_true(settings["enableInference"])


def _translate_inference(settings: dict[str, str], protected: dict[str, str], operation: str) -> None:
    view = dict(protected, **settings)
    if _is_true(view.get("isAKSMigration")):
        settings["scoringFe.namespace"] = "default"
    _translate_service_type(settings, view, operation)
    if all(key in protected for key in _PEM_KEYS):
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
    if not _small_cluster(cluster):
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
        ("cluster_name", cluster.resource_id),
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
    for target, aliases in ((settings, _SETTINGS_ALIASES), (protected, _PROTECTED_ALIASES)):
        for source, copies in aliases.items():
            if source not in target:
                continue
            for alias in copies:
                if alias not in target:
                    target[alias] = current.get(alias, target[source]) if target is settings else target[source]


# ---------------------------------------------------------------------------------------------- relay


def needs_relay(desired: Desired, cluster: ClusterFacts | None = None) -> bool:
    """The CLI's test: relayserver.enabled is not false and no relay connection string is supplied.

    Only ``desired`` is read. ``cluster`` is accepted for callers' symmetry with ``compute`` and ignored:
    ``compute`` already set relayserver.enabled from the cluster type (true on Arc) unless the user set it,
    so an AKS user who sets relayserver.enabled: true gets a relay, as with the CLI.
    """
    if str(desired.settings.get("relayserver.enabled")).lower() == "false":
        return False
    return not (desired.settings.get("relayServerConnectionString")
                or desired.protected.get("relayServerConnectionString"))


def with_relay(desired: Desired, connection_string: str, hybrid_connection_id: str,
               hybrid_connection_name: str) -> Desired:
    """``desired`` plus the relay outputs, placed as the CLI places them (the secret in protected only)."""
    settings = dict(desired.settings)
    protected = dict(desired.protected)
    protected["relayServerConnectionString"] = connection_string
    protected.setdefault("relayserver.relayConnectionString", connection_string)
    settings["relayserver.hybridConnectionResourceID"] = hybrid_connection_id
    settings["relayserver.hybridConnectionName"] = hybrid_connection_name
    return replace(desired, settings=settings, protected=protected)


def relay_resource_names(cluster_name: str, subscription_id: str, resource_group: str) -> RelayNames:
    """The relay namespace, hybrid connection and rule names the CLI uses (so both find the same relay)."""
    return RelayNames(
        _valid_name("%s-%s-%s-relay" % (cluster_name, subscription_id, resource_group), suffix_len=6, max_len=50),
        cluster_name,
        RELAY_RULE_NAME,
    )


def _valid_name(input_name: str, suffix_len: int, max_len: int) -> str:
    # The CLI's _get_valid_name: keep str.isalnum characters; when too long, cut and add an MD5 suffix of the
    # unfiltered name. MD5 names a resource here, it protects nothing.
    normalised = "".join(filter(str.isalnum, input_name))
    if len(normalised) <= max_len:
        return normalised
    suffix = hashlib.md5(input_name.encode("utf8"), usedforsecurity=False).hexdigest()[:suffix_len]
    return normalised[:max_len - suffix_len] + suffix
