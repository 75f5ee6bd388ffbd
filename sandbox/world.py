"""The default world and the seeding of subscriptions and clusters (plain ARM-shaped dicts).

Default world (docs/architecture.md): subscription 6b1e4d4a-0000-4000-8000-00000000a001,
resource group rg-aml-sandbox, AKS aks-aml-demo (eastus, 3 nodes, system-assigned identity, local
accounts on, no authorized ranges) and Arc arc-aml-demo (eastus, 4 nodes, k3s, Connected).
"""
from __future__ import annotations

import secrets
import time
import uuid
from typing import Any, Optional

from .arm import ArmError, is_int, iso_from_epoch

DEFAULT_SUBSCRIPTION = "6b1e4d4a-0000-4000-8000-00000000a001"
TENANT_ID = "6b1e4d4a-0000-4000-8000-00000000e001"
SP_CLIENT_ID = "6b1e4d4a-0000-4000-8000-00000000c001"
MSI_CLIENT_ID = "6b1e4d4a-0000-4000-8000-00000000d001"
DEFAULT_RG = "rg-aml-sandbox"

# Providers a subscription knows about; anything else is treated as Registered (documented).
KNOWN_PROVIDERS = ("Microsoft.KubernetesConfiguration", "Microsoft.ContainerService", "Microsoft.Kubernetes",
                   "Microsoft.Relay", "Microsoft.Network", "Microsoft.ExtendedLocation",
                   "Microsoft.MachineLearningServices", "Microsoft.ServiceBus", "Microsoft.OperationalInsights")

DEFAULT_SETTINGS: dict[str, Any] = {
    "provisioning_delay_seconds": 2.0,
    "retry_after_seconds": 1,
    "registration_delay_seconds": 1.0,
    "page_size": 50,
    "token_lifetime_seconds": 3600,
    "failure_rules": [],
    "ratelimits": {},
}

DEFAULT_CLUSTERS: list[dict[str, Any]] = [
    {"name": "aks-aml-demo", "cluster_type": "managedClusters", "location": "eastus", "node_count": 3,
     "identity_type": "SystemAssigned", "local_accounts": True, "authorized_ip_ranges": []},
    {"name": "arc-aml-demo", "cluster_type": "connectedClusters", "location": "eastus", "node_count": 4,
     "distribution": "k3s", "connectivity_status": "Connected"},
]


def stable_guid(*parts: str) -> str:
    """Deterministic GUIDs so principal ids stay the same across resets."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aml-sandbox:" + "/".join(p.lower() for p in parts)))


def new_secrets() -> dict[str, str]:
    """Secrets that survive reset (they are written to DIR/env)."""
    return {"signing_key": secrets.token_hex(32), "identity_header": secrets.token_urlsafe(24),
            "client_secret": "sbx~" + secrets.token_urlsafe(30)}


def subscription_record(sub_id: str, display_name: Optional[str] = None,
                        providers: Optional[dict[str, str]] = None) -> dict[str, Any]:
    provs = {ns.lower(): {"namespace": ns, "state": "Registered", "ready_at": 0.0} for ns in KNOWN_PROVIDERS}
    for ns, st in (providers or {}).items():
        provs[ns.lower()] = {"namespace": ns, "state": st, "ready_at": 0.0}
    return {"subscriptionId": sub_id, "displayName": display_name or f"AML Sandbox {sub_id[-4:]}",
            "tenantId": TENANT_ID, "state": "Enabled", "providers": provs, "resourceGroups": {}}


def _sysdata(t: float) -> dict[str, Any]:
    ts = iso_from_epoch(t)
    return {"createdBy": "sandbox@example.com", "createdByType": "User", "createdAt": ts,
            "lastModifiedBy": "sandbox@example.com", "lastModifiedByType": "User", "lastModifiedAt": ts}


def managed_cluster_body(spec: dict[str, Any], sub: str, rg: str) -> dict[str, Any]:
    """An AKS resource as GET returns it (api 2026-08-01 shape)."""
    name, loc = spec["name"], spec.get("location", "eastus")
    cid = f"/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
    kver = spec.get("kubernetes_version", "1.31.5")
    ident_type = spec.get("identity_type", "SystemAssigned")
    props: dict[str, Any] = {
        "provisioningState": "Succeeded", "powerState": {"code": "Running"},
        "kubernetesVersion": kver, "currentKubernetesVersion": kver, "dnsPrefix": f"{name}-dns",
        "fqdn": f"{name}-dns-{stable_guid(cid)[:8]}.hcp.{loc}.azmk8s.io",
        "azurePortalFQDN": f"{name}-dns-{stable_guid(cid)[:8]}.portal.hcp.{loc}.azmk8s.io",
        "agentPoolProfiles": [{
            "name": "nodepool1", "count": int(spec.get("node_count", 3)), "vmSize": spec.get("vm_size", "Standard_D4s_v3"),
            "osDiskSizeGB": 128, "osDiskType": "Managed", "type": "VirtualMachineScaleSets", "mode": "System",
            "osType": "Linux", "osSKU": "Ubuntu", "orchestratorVersion": kver,
            "currentOrchestratorVersion": kver, "provisioningState": "Succeeded", "powerState": {"code": "Running"},
            "maxPods": 110, "enableAutoScaling": False}],
        "enableRBAC": True, "supportPlan": "KubernetesOfficial",
        "disableLocalAccounts": not bool(spec.get("local_accounts", True)),
        "nodeResourceGroup": f"MC_{rg}_{name}_{loc}",
        "networkProfile": {"networkPlugin": "azure", "networkPolicy": "none", "loadBalancerSku": "standard",
                           "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10", "outboundType": "loadBalancer"},
        "maxAgentPools": 100,
    }
    ranges = list(spec.get("authorized_ip_ranges") or [])
    props["apiServerAccessProfile"] = {"authorizedIPRanges": ranges, "enablePrivateCluster": False}
    if spec.get("pod_identity"):
        props["podIdentityProfile"] = {"enabled": True, "allowNetworkPluginKubenet": False,
                                       "userAssignedIdentities": [], "userAssignedIdentityExceptions": []}
    body: dict[str, Any] = {"id": cid, "location": loc, "name": name, "type": "Microsoft.ContainerService/ManagedClusters",
                            "tags": spec.get("tags") or {}, "sku": {"name": "Base", "tier": "Free"},
                            "systemData": _sysdata(time.time())}
    if ident_type == "ServicePrincipal":
        props["servicePrincipalProfile"] = {"clientId": stable_guid(cid, "sp")}
    else:
        props["servicePrincipalProfile"] = {"clientId": "msi"}
        props["identityProfile"] = {"kubeletidentity": {
            "resourceId": f"/subscriptions/{sub}/resourcegroups/MC_{rg}_{name}_{loc}/providers/"
                          f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool",
            "clientId": stable_guid(cid, "kubelet-client"), "objectId": stable_guid(cid, "kubelet-object")}}
        if ident_type == "UserAssigned":
            uai = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}-identity"
            body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {
                uai: {"principalId": stable_guid(cid, "uai-p"), "clientId": stable_guid(cid, "uai-c")}}}
        else:
            body["identity"] = {"type": "SystemAssigned", "principalId": stable_guid(cid, "principal"),
                                "tenantId": TENANT_ID}
    body["properties"] = props
    return body


def connected_cluster_body(spec: dict[str, Any], sub: str, rg: str) -> dict[str, Any]:
    """An Arc connected cluster as GET returns it (api 2026-05-01 shape)."""
    name, loc = spec["name"], spec.get("location", "eastus")
    cid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Kubernetes/connectedClusters/{name}"
    nodes = int(spec.get("node_count", 3))
    now = time.time()
    return {
        "id": cid, "name": name, "type": "microsoft.kubernetes/connectedclusters", "location": loc,
        "tags": spec.get("tags") or {}, "kind": spec.get("kind"),
        "identity": {"type": "SystemAssigned", "principalId": stable_guid(cid, "principal"), "tenantId": TENANT_ID},
        "systemData": _sysdata(now),
        "properties": {
            "agentPublicKeyCertificate": "MIICCgKCAgEA" + stable_guid(cid, "agent").replace("-", ""),
            "kubernetesVersion": spec.get("kubernetes_version", "1.31.5"),
            "totalNodeCount": nodes, "totalCoreCount": nodes * 4, "agentVersion": spec.get("agent_version", "1.24.4"),
            "provisioningState": "Succeeded", "distribution": spec.get("distribution", "k3s"),
            "distributionVersion": spec.get("distribution_version", "v1.31.5+k3s1"),
            "infrastructure": spec.get("infrastructure", "generic"), "offering": None,
            "lastConnectivityTime": iso_from_epoch(now),
            "connectivityStatus": spec.get("connectivity_status", "Connected"),
            "managedIdentityCertificateExpirationTime": iso_from_epoch(now + 90 * 86400),
            "privateLinkState": "Disabled", "azureHybridBenefit": "NotApplicable",
        },
    }


VALID_TYPES = {"managedclusters": "managedClusters", "connectedclusters": "connectedClusters"}


def validate_spec(spec: Any) -> None:
    """Every check seed_cluster makes, without touching any state (so a batch is all-or-nothing)."""
    if not isinstance(spec, dict) or not spec.get("name"):
        raise ArmError(400, "InvalidClusterSpec", "Each cluster needs at least a 'name'.")
    _check_spec_types(spec)
    if VALID_TYPES.get(str(spec.get("cluster_type", "managedClusters")).lower()) is None:
        raise ArmError(400, "InvalidClusterSpec", "cluster_type must be managedClusters or connectedClusters.")
    if spec.get("identity_type", "SystemAssigned") not in ("SystemAssigned", "UserAssigned", "ServicePrincipal"):
        raise ArmError(400, "InvalidClusterSpec", "identity_type must be SystemAssigned, UserAssigned or ServicePrincipal.")
    delay = spec.get("provisioning_delay_seconds")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 86400):
        raise ArmError(400, "InvalidClusterSpec", "provisioning_delay_seconds must be a non-negative number.")


def seed_cluster(data: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a seed spec and add/replace the cluster in ``data``; return the body."""
    validate_spec(spec)
    if not isinstance(spec, dict) or not spec.get("name"):
        raise ArmError(400, "InvalidClusterSpec", "Each cluster needs at least a 'name'.")
    _check_spec_types(spec)
    ctype = VALID_TYPES.get(str(spec.get("cluster_type", "managedClusters")).lower())
    if ctype is None:
        raise ArmError(400, "InvalidClusterSpec", "cluster_type must be managedClusters or connectedClusters.")
    if spec.get("identity_type", "SystemAssigned") not in ("SystemAssigned", "UserAssigned", "ServicePrincipal"):
        raise ArmError(400, "InvalidClusterSpec", "identity_type must be SystemAssigned, UserAssigned or ServicePrincipal.")
    delay = spec.get("provisioning_delay_seconds")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0):
        raise ArmError(400, "InvalidClusterSpec", "provisioning_delay_seconds must be a non-negative number.")
    sub = spec.get("subscription_id") or DEFAULT_SUBSCRIPTION
    rg = spec.get("resource_group") or DEFAULT_RG
    subs = data["subscriptions"]
    if sub.lower() not in subs:
        subs[sub.lower()] = subscription_record(sub)
    ensure_resource_group(data, sub, rg, spec.get("location", "eastus"))
    body = managed_cluster_body(spec, sub, rg) if ctype == "managedClusters" else connected_cluster_body(spec, sub, rg)
    record: dict[str, Any] = {"cluster_type": ctype, "subscription": sub, "resource_group": rg, "body": body}
    if delay is not None:  # this cluster's operations take this long instead of the global delay
        record["provisioning_delay_seconds"] = float(delay)
    data["clusters"][body["id"].lower()] = record
    return body


SPEC_STRINGS = ("name", "cluster_type", "subscription_id", "resource_group", "location", "identity_type",
                "distribution", "distribution_version", "connectivity_status", "kubernetes_version", "vm_size",
                "infrastructure", "agent_version", "kind")
SPEC_BOOLS = ("local_accounts", "pod_identity")


def _check_spec_types(spec: dict[str, Any]) -> None:
    def bad(msg: str) -> ArmError:
        return ArmError(400, "InvalidClusterSpec", msg)
    for k in SPEC_STRINGS:
        if spec.get(k) is not None and not isinstance(spec[k], str):
            raise bad(f"{k} must be a string.")
    for k in ("name", "subscription_id", "resource_group"):
        v = spec.get(k)
        if isinstance(v, str) and ("/" in v or not v.strip() or len(v) > 256):
            raise bad(f"{k} must be a non-empty name without '/'.")
    for k in SPEC_BOOLS:
        if spec.get(k) is not None and not isinstance(spec[k], bool):
            raise bad(f"{k} must be true or false.")
    if "node_count" in spec and (not is_int(spec["node_count"]) or not 0 <= spec["node_count"] <= 5000):
        raise bad("node_count must be an integer between 0 and 5000.")
    ranges = spec.get("authorized_ip_ranges")
    if ranges is not None and (not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges)):
        raise bad("authorized_ip_ranges must be a list of strings.")
    tags = spec.get("tags")
    if tags is not None and (not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values())):
        raise bad("tags must be an object of strings.")


def ensure_resource_group(data: dict[str, Any], sub: str, rg: str, location: str) -> None:
    rgs = data["subscriptions"][sub.lower()]["resourceGroups"]
    rgs.setdefault(rg.lower(), {"name": rg, "location": location})


def default_world(keep_secrets: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """A fresh state document with the default world."""
    data: dict[str, Any] = {
        "format": 1,
        "secrets": keep_secrets or new_secrets(),
        "settings": {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                     for k, v in DEFAULT_SETTINGS.items()},
        "subscriptions": {DEFAULT_SUBSCRIPTION: subscription_record(DEFAULT_SUBSCRIPTION, "AML Sandbox")},
        "clusters": {}, "extensions": {}, "operations": {}, "relay": {},
    }
    ensure_resource_group(data, DEFAULT_SUBSCRIPTION, DEFAULT_RG, "eastus")
    for spec in DEFAULT_CLUSTERS:
        seed_cluster(data, spec)
    return data


def cluster_node_count(cluster: dict[str, Any]) -> int:
    props = cluster["body"].get("properties") or {}
    if cluster["cluster_type"] == "connectedClusters":
        return int(props.get("totalNodeCount") or 0)
    return sum(int(p.get("count") or 0) for p in props.get("agentPoolProfiles") or [])
