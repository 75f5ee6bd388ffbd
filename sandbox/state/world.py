"""The world: the state document (persisted by :class:`~sandbox.state.store.Store`) and the changes to it.

Handlers read and change the parts through this object (``clusters``, ``extensions``, ``subscriptions``,
``relay``, ``operations``, ``settings``, ``secrets``); cluster seeding and removal go through
:meth:`World.seed_clusters` / :meth:`World.remove_cluster` so the inventory and the per-cluster services
hear of them (``cluster_generation`` counts those changes).
"""
from __future__ import annotations

import copy
import secrets as _secrets
from typing import Any, Callable, Optional

from .constants import DEFAULT_CLUSTERS, DEFAULT_RG, DEFAULT_SETTINGS, DEFAULT_SUBSCRIPTION
from .seeds import cluster_node_count, cluster_record, subscription_record, validate_cluster_seed
from .store import Store
from ..hooks import ClusterInfo


def new_secrets() -> dict[str, str]:
    """Secrets that survive reset (they are written to DIR/env)."""
    return {"signing_key": _secrets.token_hex(32), "identity_header": _secrets.token_urlsafe(24),
            "client_secret": "sbx~" + _secrets.token_urlsafe(30)}


def default_document(keep_secrets: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """A fresh state document with the default world."""
    data: dict[str, Any] = {
        "format": 1,
        "secrets": keep_secrets or new_secrets(),
        "settings": copy.deepcopy(DEFAULT_SETTINGS),
        "subscriptions": {DEFAULT_SUBSCRIPTION: subscription_record(DEFAULT_SUBSCRIPTION, "AML Sandbox")},
        "clusters": {}, "extensions": {}, "operations": {}, "relay": {},
    }
    _ensure_resource_group(data, DEFAULT_SUBSCRIPTION, DEFAULT_RG, "eastus")
    for spec in DEFAULT_CLUSTERS:
        _store_cluster(data, validate_cluster_seed(spec))
    return data


def _ensure_resource_group(data: dict[str, Any], sub: str, rg: str, location: str) -> None:
    data["subscriptions"][sub.lower()]["resourceGroups"].setdefault(rg.lower(), {"name": rg, "location": location})


def _store_cluster(data: dict[str, Any], seed: dict[str, Any]) -> dict[str, Any]:
    sub = seed["subscription_id"]
    if sub.lower() not in data["subscriptions"]:
        data["subscriptions"][sub.lower()] = subscription_record(sub)
    _ensure_resource_group(data, sub, seed["resource_group"], seed["location"])
    record = cluster_record(seed)
    data["clusters"][record["body"]["id"].lower()] = record
    return record


class World:
    """The state document and its changes (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cluster_generation = 0
        self.cluster_listeners: list[Callable[[], None]] = []
        if not store.load():
            store.data = default_document()
        self._upgrade()

    def _upgrade(self) -> None:
        """Fill keys added by newer sandbox versions into an older state.json."""
        for k, v in DEFAULT_SETTINGS.items():
            self.settings.setdefault(k, copy.deepcopy(v))
        for k in ("clusters", "extensions", "operations", "relay"):
            self.data.setdefault(k, {})

    # ---- parts --------------------------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.data["settings"]

    @property
    def secrets(self) -> dict[str, str]:
        return self.store.data["secrets"]

    @property
    def subscriptions(self) -> dict[str, Any]:
        return self.store.data["subscriptions"]

    @property
    def clusters(self) -> dict[str, Any]:
        return self.store.data["clusters"]

    @property
    def extensions(self) -> dict[str, Any]:
        return self.store.data["extensions"]

    @property
    def operations(self) -> dict[str, Any]:
        return self.store.data["operations"]

    @property
    def relay(self) -> dict[str, Any]:
        return self.store.data["relay"]

    def cluster(self, rtype: str, sub: str, rg: str, name: str) -> tuple[str, Optional[dict[str, Any]]]:
        """(key, record or None) of the cluster ``rtype`` (``Microsoft.ContainerService/managedClusters`` or
        ``Microsoft.Kubernetes/connectedClusters``, any casing) named so."""
        key = f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{rtype}/{name}".lower()
        return key, self.clusters.get(key)

    def cluster_bodies(self, cluster_type: str, sub: str, rg: str = "") -> list[dict[str, Any]]:
        """The ARM bodies of one type's clusters in a subscription (and resource group), sorted by name."""
        out = [c["body"] for c in self.clusters.values()
               if c["cluster_type"] == cluster_type and c["subscription"].lower() == sub.lower()
               and (not rg or c["resource_group"].lower() == rg.lower())]
        return sorted(out, key=lambda b: b["name"].lower())

    def mark_dirty(self) -> None:
        self.store.mark_dirty()

    def subscription(self, sub_id: str) -> Optional[dict[str, Any]]:
        return self.subscriptions.get(sub_id.lower())

    def resource_group(self, sub_id: str, rg: str) -> Optional[dict[str, Any]]:
        sub = self.subscription(sub_id)
        return None if sub is None else sub["resourceGroups"].get(rg.lower())

    def ensure_resource_group(self, sub_id: str, rg: str, location: str) -> None:
        _ensure_resource_group(self.data, sub_id, rg, location)

    # ---- changes that others hear of ------------------------------------------------------------------
    def clusters_changed(self) -> None:
        self.cluster_generation += 1
        self.mark_dirty()
        for listener in self.cluster_listeners:
            listener()

    def seed_clusters(self, specs: list[Any]) -> list[dict[str, Any]]:
        """Validate every spec first (a bad one seeds nothing), then add/replace them; return the bodies."""
        seeds = [validate_cluster_seed(s) for s in specs]
        bodies = [_store_cluster(self.data, seed)["body"] for seed in seeds]
        self.clusters_changed()
        return bodies

    def put_cluster(self, key: str, record: dict[str, Any]) -> None:
        """Store a cluster an ARM PUT created or changed."""
        new = key not in self.clusters
        self.clusters[key] = record
        if new:
            self.clusters_changed()
        else:
            self.mark_dirty()

    def remove_cluster(self, key: str) -> bool:
        """Remove a cluster with its extensions; False when there was none."""
        if self.clusters.pop(key, None) is None:
            return False
        for k in [k for k in self.extensions if k.startswith(key + "/")]:
            del self.extensions[k]
        self.clusters_changed()
        return True

    def reset(self) -> None:
        """Restore the default world; keep the secrets (DIR/env stays valid)."""
        self.store.data = default_document(keep_secrets=self.secrets)
        self.clusters_changed()

    def cluster_infos(self) -> dict[str, ClusterInfo]:
        """Every cluster as the per-cluster services see it."""
        return {key: cluster_info(key, c) for key, c in self.clusters.items()}


def cluster_info(key: str, c: dict[str, Any]) -> ClusterInfo:
    body = c["body"]
    return ClusterInfo(key=key, id=body["id"], name=body["name"], cluster_type=c["cluster_type"],
                       subscription=c["subscription"], resource_group=c["resource_group"],
                       location=str(body.get("location") or ""), node_count=cluster_node_count(c),
                       seed=c.get("seed") or {})
