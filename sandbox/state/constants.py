"""Fixed identities of the default world and the default settings (docs/architecture.md, "The sandbox contract")."""
from __future__ import annotations

from typing import Any

DEFAULT_SUBSCRIPTION = "6b1e4d4a-0000-4000-8000-00000000a001"
TENANT_ID = "6b1e4d4a-0000-4000-8000-00000000e001"
SP_CLIENT_ID = "6b1e4d4a-0000-4000-8000-00000000c001"
MSI_CLIENT_ID = "6b1e4d4a-0000-4000-8000-00000000d001"
DEFAULT_RG = "rg-aml-sandbox"

# Providers a subscription knows about; anything else is treated as Registered (documented).
KNOWN_PROVIDERS = ("Microsoft.KubernetesConfiguration", "Microsoft.ContainerService", "Microsoft.Kubernetes",
                   "Microsoft.Relay", "Microsoft.Network", "Microsoft.ExtendedLocation",
                   "Microsoft.MachineLearningServices", "Microsoft.ServiceBus", "Microsoft.OperationalInsights")

# The forms GET /metadata/endpoints can answer in: public Azure's one object, or Azure Stack Hub's list.
METADATA_FORMS = ("object", "list")

DEFAULT_SETTINGS: dict[str, Any] = {
    "provisioning_delay_seconds": 2.0,
    # None: no Retry-After on operation responses, as the recorded real RPs do; a number turns the header on.
    "retry_after_seconds": None,
    "registration_delay_seconds": 1.0,
    "page_size": 50,
    # The cluster lists (managedClusters, connectedClusters) page as ARM does, 100 a page.
    "cluster_page_size": 100,
    "token_lifetime_seconds": 3600,
    "metadata_form": "object",
    "failure_rules": [],
    "ratelimits": {},
}

DEFAULT_CLUSTERS: list[dict[str, Any]] = [
    {"name": "aks-aml-demo", "cluster_type": "managedClusters", "location": "eastus", "node_count": 3,
     "identity_type": "SystemAssigned", "local_accounts": True, "authorized_ip_ranges": []},
    {"name": "arc-aml-demo", "cluster_type": "connectedClusters", "location": "eastus", "node_count": 4,
     "distribution": "k3s", "connectivity_status": "Connected"},
]
