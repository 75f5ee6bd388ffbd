"""Cluster and subscription seeds: the ONE place a cluster seed is validated, and the ARM bodies it becomes.

``validate_cluster_seed(spec)`` checks every field and returns the normalised seed (unknown fields are kept
as they are; ``nodes`` (node pools, ``sandbox/kube/nodes.py``) and ``situations`` (``sandbox/seeds/``) are
checked by the buildings that read them, called from here); ``cluster_record(seed)`` turns a validated seed into the stored record
``{cluster_type, subscription, resource_group, body, seed, provisioning_delay_seconds?}``. Nothing here
touches the world: a batch is validated whole before any of it is stored.
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Optional

from ..protocol import ArmError, is_int, iso_from_epoch
from .constants import DEFAULT_RG, DEFAULT_SUBSCRIPTION, KNOWN_PROVIDERS, TENANT_ID

VALID_TYPES = {"managedclusters": "managedClusters", "connectedclusters": "connectedClusters"}
CLUSTER_RTYPES = {"managedClusters": "Microsoft.ContainerService/managedClusters",
                  "connectedClusters": "Microsoft.Kubernetes/connectedClusters"}
IDENTITY_TYPES = ("SystemAssigned", "UserAssigned", "ServicePrincipal")
SPEC_STRINGS = ("name", "cluster_type", "subscription_id", "resource_group", "location", "identity_type",
                "distribution", "distribution_version", "connectivity_status", "vm_size",
                "infrastructure", "agent_version", "kind")
# What the clusters' real control planes run (sandbox/kube/binaries.py); set once when the server starts
# with them, so ARM reports the version a client of the cluster sees. The fallback serves in-process tests.
KUBERNETES_VERSION = {"value": "1.35.4"}
SPEC_BOOLS = ("local_accounts", "pod_identity")
# kubelet_identity: "default" (AKS's own <cluster>-agentpool identity in the node resource group) or "custom"
# (a user-assigned identity of the user's, as `az aks create --assign-kubelet-identity` sets it).
KUBELET_IDENTITIES = ("default", "custom")
MLWORKLOAD_ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload"
BINDINGS_KEY = "trusted_access_role_bindings"


def _bad(msg: str) -> ArmError:
    return ArmError(400, "InvalidClusterSpec", msg)


def validate_cluster_seed(spec: Any) -> dict[str, Any]:
    """Every check a cluster seed gets; returns the normalised seed (cluster_type canonical, defaults filled)."""
    if not isinstance(spec, dict) or not spec.get("name"):
        raise _bad("Each cluster needs at least a 'name'.")
    for k in SPEC_STRINGS:
        if spec.get(k) is not None and not isinstance(spec[k], str):
            raise _bad(f"{k} must be a string.")
    for k in ("name", "subscription_id", "resource_group"):
        v = spec.get(k)
        if isinstance(v, str) and ("/" in v or not v.strip() or len(v) > 256):
            raise _bad(f"{k} must be a non-empty name without '/'.")
    for k in SPEC_BOOLS:
        if spec.get(k) is not None and not isinstance(spec[k], bool):
            raise _bad(f"{k} must be true or false.")
    if "node_count" in spec and (not is_int(spec["node_count"]) or not 0 <= spec["node_count"] <= 5000):
        raise _bad("node_count must be an integer between 0 and 5000.")
    ranges = spec.get("authorized_ip_ranges")
    if ranges is not None and (not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges)):
        raise _bad("authorized_ip_ranges must be a list of strings.")
    tags = spec.get("tags")
    if tags is not None and (not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values())):
        raise _bad("tags must be an object of strings.")
    if spec.get("kubelet_identity") is not None and spec["kubelet_identity"] not in KUBELET_IDENTITIES:
        raise _bad("kubelet_identity must be default or custom.")
    _check_bindings(spec.get("trusted_access_bindings"))
    ctype = VALID_TYPES.get(str(spec.get("cluster_type") or "managedClusters").lower())
    if ctype is None:
        raise _bad("cluster_type must be managedClusters or connectedClusters.")
    if (spec.get("identity_type") or "SystemAssigned") not in IDENTITY_TYPES:
        raise _bad("identity_type must be SystemAssigned, UserAssigned or ServicePrincipal.")
    delay = spec.get("provisioning_delay_seconds")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 86400):
        raise _bad("provisioning_delay_seconds must be a number between 0 and 86400.")
    _check_extra_fields(spec)
    seed = dict(spec)
    seed["cluster_type"] = ctype
    seed["subscription_id"] = spec.get("subscription_id") or DEFAULT_SUBSCRIPTION
    seed["resource_group"] = spec.get("resource_group") or DEFAULT_RG
    seed["location"] = spec.get("location") or "eastus"
    return seed


def _check_bindings(bindings: Any) -> None:
    """``trusted_access_bindings``: [{name, source_resource_id, roles?}] (roles default to mlworkload)."""
    if bindings is None:
        return
    if not isinstance(bindings, list):
        raise _bad("trusted_access_bindings must be a list of {name, source_resource_id, roles}.")
    for i, b in enumerate(bindings):
        if not isinstance(b, dict) or not isinstance(b.get("name"), str) or not b["name"] \
                or not isinstance(b.get("source_resource_id"), str) or not b["source_resource_id"].startswith("/subscriptions/"):
            raise _bad(f"trusted_access_bindings[{i}] needs a name and a source_resource_id (an ARM id).")
        roles = b.get("roles", [MLWORKLOAD_ROLE])
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            raise _bad(f"trusted_access_bindings[{i}].roles must be a non-empty list of strings.")


def trusted_access_binding_body(cluster_id: str, name: str, source: str, roles: list[str]) -> dict[str, Any]:
    """A Trusted Access role binding as AKS returns it (api 2023-09-01 and newer)."""
    return {"id": f"{cluster_id}/trustedAccessRoleBindings/{name}", "name": name,
            "type": "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
            "systemData": _sysdata(time.time()),
            "properties": {"provisioningState": "Succeeded", "sourceResourceId": source, "roles": list(roles)}}


def _check_extra_fields(spec: dict[str, Any]) -> None:
    """The fields the Kubernetes side reads: node pools and situations, checked by their own buildings."""
    from ..kube.nodes import NodeSpecError, parse_pools
    from ..seeds import SeedError, validate as validate_situations

    if spec.get("kubernetes_version") not in (None, KUBERNETES_VERSION["value"]):
        raise _bad(f"kubernetes_version: the clusters run a real Kubernetes {KUBERNETES_VERSION['value']}; "
                   "leave kubernetes_version out.")
    try:
        parse_pools(spec.get("nodes"), int(spec.get("node_count", 3)))
    except NodeSpecError as error:
        raise _bad(str(error)) from None
    try:
        validate_situations(spec.get("situations"))
    except SeedError as error:
        raise _bad(f"{error.target}: {error}") from None
    if spec.get("nodes") is not None and "node_count" in spec and \
            spec["node_count"] != sum(p.count for p in parse_pools(spec["nodes"], 0)):
        raise _bad("node_count disagrees with the counts of the node pools in nodes: give one of them.")


def node_pools(seed: dict[str, Any]):
    """The seed's node pools (``nodes``, or ``node_count`` default nodes)."""
    from ..kube.nodes import parse_pools
    return parse_pools(seed.get("nodes"), int(seed.get("node_count", 3)))


def cluster_record(seed: dict[str, Any]) -> dict[str, Any]:
    """The stored record of a validated seed."""
    sub, rg = seed["subscription_id"], seed["resource_group"]
    body = (managed_cluster_body(seed, sub, rg) if seed["cluster_type"] == "managedClusters"
            else connected_cluster_body(seed, sub, rg))
    record: dict[str, Any] = {"cluster_type": seed["cluster_type"], "subscription": sub, "resource_group": rg,
                              "body": body, "seed": seed}
    if seed.get("provisioning_delay_seconds") is not None:  # this cluster's operations take this long
        record["provisioning_delay_seconds"] = float(seed["provisioning_delay_seconds"])
    if seed.get("trusted_access_bindings") and seed["cluster_type"] == "managedClusters":
        record[BINDINGS_KEY] = {
            b["name"].lower(): trusted_access_binding_body(body["id"], b["name"], b["source_resource_id"],
                                                           b.get("roles") or [MLWORKLOAD_ROLE])
            for b in seed["trusted_access_bindings"]}
    return record


def stable_guid(*parts: str) -> str:
    """Deterministic GUIDs so principal ids stay the same across resets."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aml-sandbox:" + "/".join(p.lower() for p in parts)))


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
    kver = KUBERNETES_VERSION["value"]
    ident_type = spec.get("identity_type", "SystemAssigned")
    props: dict[str, Any] = {
        "provisioningState": "Succeeded", "powerState": {"code": "Running"},
        "kubernetesVersion": kver, "currentKubernetesVersion": kver, "dnsPrefix": f"{name}-dns",
        "fqdn": f"{name}-dns-{stable_guid(cid)[:8]}.hcp.{loc}.azmk8s.io",
        "azurePortalFQDN": f"{name}-dns-{stable_guid(cid)[:8]}.portal.hcp.{loc}.azmk8s.io",
        "agentPoolProfiles": [{
            "name": pool.name, "count": pool.count,
            "vmSize": spec.get("vm_size", "Standard_D4s_v3") if index == 0 else
            ("Standard_NC6s_v3" if pool.gpu else "Standard_D4s_v3"),
            "osDiskSizeGB": 128, "osDiskType": "Managed", "type": "VirtualMachineScaleSets",
            "mode": "System" if index == 0 else "User",
            "osType": "Linux", "osSKU": "Ubuntu", "orchestratorVersion": kver,
            "currentOrchestratorVersion": kver, "provisioningState": "Succeeded", "powerState": {"code": "Running"},
            "maxPods": 110, "enableAutoScaling": False, "nodeLabels": dict(pool.labels),
            "nodeTaints": [f"{t['key']}={t.get('value', '')}:{t['effect']}" for t in pool.taints]}
            for index, pool in enumerate(node_pools(spec))],
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
        kubelet = (f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/"
                   f"userAssignedIdentities/{name}-kubelet" if spec.get("kubelet_identity") == "custom" else
                   f"/subscriptions/{sub}/resourcegroups/MC_{rg}_{name}_{loc}/providers/"
                   f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool")
        props["identityProfile"] = {"kubeletidentity": {
            "resourceId": kubelet,
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
    pools = node_pools(spec)
    nodes = sum(p.count for p in pools)
    cores = sum(p.count * _cores(p.cpu) for p in pools)
    now = time.time()
    return {
        "id": cid, "name": name, "type": "microsoft.kubernetes/connectedclusters", "location": loc,
        "tags": spec.get("tags") or {}, "kind": spec.get("kind"),
        "identity": {"type": "SystemAssigned", "principalId": stable_guid(cid, "principal"), "tenantId": TENANT_ID},
        "systemData": _sysdata(now),
        "properties": {
            "agentPublicKeyCertificate": "MIICCgKCAgEA" + stable_guid(cid, "agent").replace("-", ""),
            "kubernetesVersion": KUBERNETES_VERSION["value"],
            "totalNodeCount": nodes, "totalCoreCount": cores, "agentVersion": spec.get("agent_version", "1.24.4"),
            "provisioningState": "Succeeded", "distribution": spec.get("distribution", "k3s"),
            "distributionVersion": spec.get("distribution_version", f"v{KUBERNETES_VERSION['value']}+k3s1"),
            "infrastructure": spec.get("infrastructure", "generic"), "offering": None,
            "lastConnectivityTime": iso_from_epoch(now),
            "connectivityStatus": spec.get("connectivity_status", "Connected"),
            "managedIdentityCertificateExpirationTime": iso_from_epoch(now + 90 * 86400),
            "privateLinkState": "Disabled", "azureHybridBenefit": "NotApplicable",
        },
    }


def _cores(cpu: str) -> int:
    """Whole cores of a CPU quantity, as Arc counts them (3860m is 4 cores)."""
    return -(-int(cpu[:-1]) // 1000) if cpu.endswith("m") else int(float(cpu) + 0.999)


def cluster_node_count(cluster: dict[str, Any]) -> int:
    props = cluster["body"].get("properties") or {}
    if cluster["cluster_type"] == "connectedClusters":
        return int(props.get("totalNodeCount") or 0)
    return sum(int(p.get("count") or 0) for p in props.get("agentPoolProfiles") or [])
