"""Cloud metadata: ``GET /metadata/endpoints`` (also ``//metadata/endpoints``: a base URL with a trailing slash).

Public Azure answers every api-version it serves (2015-01-01 … 2022-09-01, and none at all) with ONE object
(aml-operations-facts.md, "The cloud metadata endpoint"; the keys as public Azure's, in its order), which is
what ``az cloud register --endpoint-resource-manager`` reads. Azure Stack Hub answers with a list of clouds;
the sandbox answers that way only while the setting ``metadata_form`` is ``"list"``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..protocol import json_response
from .routing import AUTH, Route

if TYPE_CHECKING:
    from ..state.world import World

AUDIENCES = ["https://management.core.windows.net/", "https://management.azure.com/"]
CLOUD_NAME = "AzureSandbox"


def cloud_object(base: str) -> dict[str, Any]:
    """The public-Azure-shaped document for a sandbox at ``base``; data-plane suffixes are fictitious."""
    return {
        "galleryEndpoint": base + "/gallery/",
        "graphEndpoint": base + "/graph/",
        "portalEndpoint": base + "/portal/",
        "graph": base + "/graph/",
        "name": CLOUD_NAME,
        "authentication": {"loginEndpoint": base + "/", "audiences": list(AUDIENCES), "tenant": "common",
                           "identityProvider": "AAD"},
        "media": base + "/media/",
        "suffixes": {"azureDataLakeStoreFileSystem": "azuredatalakestore.sandbox.local",
                     "acrLoginServer": "azurecr.sandbox.local", "sqlServerHostname": "database.sandbox.local",
                     "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.sandbox.local",
                     "keyVaultDns": "vault.sandbox.local", "storage": "core.sandbox.local",
                     "azureFrontDoorEndpointSuffix": "azurefd.sandbox.local",
                     "storageSyncEndpointSuffix": "afs.sandbox.local", "mhsmDns": "managedhsm.sandbox.local",
                     "mysqlServerEndpoint": "mysql.sandbox.local", "postgresqlServerEndpoint": "postgres.sandbox.local",
                     "mariadbServerEndpoint": "mariadb.sandbox.local", "synapseAnalytics": "dev.sandbox.local",
                     "attestationEndpoint": "attest.sandbox.local"},
        "batch": base + "/batch/",
        "resourceManager": base + "/",
        "vmImageJsonDoc": base + "/vmImageAliasDoc.json",
        "activeDirectoryDataLake": base + "/datalake/",
        "sqlManagement": base + "/sql/",
        "microsoftGraphResourceId": base + "/msgraph/",
        "appInsightsResourceId": base + "/appinsights",
        "appInsightsTelemetryChannelResourceId": base + "/appinsights/v2/track",
        "attestationResourceId": base + "/attestation",
        "synapseAnalyticsResourceId": base + "/synapse",
        "logAnalyticsResourceId": base + "/loganalytics",
        "ossrDbmsResourceId": base + "/ossrdbms",
    }


def stack_hub_list(base: str) -> list[dict[str, Any]]:
    """Azure Stack Hub's form: a list of clouds (the sandbox's one, with Stack Hub's extra keys)."""
    cloud = cloud_object(base)
    cloud.update({"portal": base + "/portal", "graphAudience": base + "/graph/", "gallery": base + "/gallery/",
                  "vmImageAliasDoc": base + "/vmImageAliasDoc.json"})
    return [cloud]


class CloudMetadata:
    def __init__(self, world: "World") -> None:
        self.world = world

    async def endpoints(self, request: web.Request, p: dict[str, str]) -> web.Response:
        base = f"https://{request.host}"
        if self.world.settings.get("metadata_form") == "list":
            return json_response(stack_hub_list(base))
        return json_response(cloud_object(base))

    def routes(self) -> list[Route]:
        return [Route(r"/+metadata/endpoints", {"GET": self.endpoints}, kind=AUTH)]
