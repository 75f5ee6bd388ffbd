"""Cloud metadata: GET /metadata/endpoints, the way Azure Stack Hub and sovereign clouds are discovered.

api-version 2019-05-01 and later return a list of clouds (one: AzureSandbox); the legacy versions
(1.0, 2015-01-01) return the single-object Azure Stack shape that older tools read.
"""
from __future__ import annotations

from aiohttp import web

from .arm import json_response, query_get

AUDIENCES = ["https://management.core.windows.net/", "https://management.azure.com/"]


async def metadata_endpoints(request: web.Request) -> web.Response:
    base = f"https://{request.host}"
    version = query_get(request, "api-version") or "2022-09-01"
    if version in ("1.0", "2015-01-01"):
        return json_response({"galleryEndpoint": base + "/", "graphEndpoint": base + "/graph/",
                              "portalEndpoint": base + "/portal/",
                              "authentication": {"loginEndpoint": base + "/", "audiences": AUDIENCES}})
    cloud = {
        "name": "AzureSandbox",
        "portal": base + "/portal",
        "authentication": {"loginEndpoint": base, "audiences": AUDIENCES, "tenant": "common",
                           "identityProvider": "AAD"},
        "media": base + "/media/",
        "graphAudience": base + "/graph/",
        "graph": base + "/graph/",
        "microsoftGraphResourceId": base + "/msgraph/",
        "resourceManager": base,
        "name_suffix_note": "all data-plane suffixes are fictitious; the sandbox only emulates ARM",
        "suffixes": {"acrLoginServer": "azurecr.sandbox.local", "keyVaultDns": "vault.sandbox.local",
                     "sqlServerHostname": "database.sandbox.local", "storage": "core.sandbox.local",
                     "storageSyncEndpointSuffix": "afs.sandbox.local", "mhsmDns": "managedhsm.sandbox.local",
                     "mysqlServerEndpoint": "mysql.sandbox.local", "postgresqlServerEndpoint": "postgres.sandbox.local",
                     "mariadbServerEndpoint": "mariadb.sandbox.local", "synapseAnalytics": "dev.sandbox.local",
                     "attestationEndpoint": "attest.sandbox.local"},
        "batch": base + "/batch/",
        "sqlManagement": base + "/sql/",
        "vmImageAliasDoc": base + "/vmImageAliasDoc.json",
        "activeDirectoryDataLake": base + "/datalake/",
        "appInsightsResourceId": base + "/appinsights/",
        "appInsightsTelemetryChannelResourceId": base + "/appinsightschannel/",
        "attestationResourceId": base + "/attestation/",
        "synapseAnalyticsResourceId": base + "/synapse/",
        "logAnalyticsResourceId": base + "/loganalytics/",
        "ossrDbmsResourceId": base + "/ossrdbms/",
        "gallery": base + "/gallery/",
    }
    del cloud["name_suffix_note"]
    return json_response([cloud])
