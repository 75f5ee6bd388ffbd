"""Tokens: the managed-identity endpoint (App Service protocol), the Entra ID authority, and bearer checks.

Access tokens are HS256 JWTs signed with a key kept in state.json, so tokens stay valid across a
restart and only tokens issued by this sandbox are accepted.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from ..protocol import ArmError, json_response, query_get
from ..state.constants import MSI_CLIENT_ID, SP_CLIENT_ID, TENANT_ID
from .routing import AUTH, Route

if TYPE_CHECKING:
    from ..state.world import World

ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.azure.com/")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normalise_audience(resource: str) -> str:
    """'https://management.azure.com/.default' and '.../' variants -> 'https://management.azure.com/'."""
    r = resource.strip()
    if r.endswith("/.default"):
        r = r[: -len(".default")]
    return r if r.endswith("/") else r + "/"


# ---- Entra ID authority -------------------------------------------------------------------------------------

def _aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    now = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    return json_response({"error": error, "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
                          f"Correlation ID: {corr} Timestamp: {now}", "error_codes": [code],
                          "timestamp": now, "trace_id": trace, "correlation_id": corr}, status=status)


def _known_tenant(tenant: str) -> bool:
    return tenant.lower() in (TENANT_ID, "organizations", "common", "sandbox.onmicrosoft.com")


class Auth:
    """Tokens: the world's secrets (signing key, identity header, SP secret) and token lifetime."""

    def __init__(self, world: "World") -> None:
        self.world = world

    def mint_token(self, audience: str, subject: str, kind: str) -> tuple[str, int]:
        """Return (jwt, expires_on)."""
        now = int(time.time())
        exp = now + int(self.world.settings.get("token_lifetime_seconds", 3600))
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"aud": audience.rstrip("/"), "iss": f"https://sts.windows.net/{TENANT_ID}/", "iat": now,
                  "nbf": now, "exp": exp, "tid": TENANT_ID, "oid": subject, "appid": subject, "idtyp": kind,
                  "jti": str(uuid.uuid4())}
        signing = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
        sig = hmac.new(self.world.secrets["signing_key"].encode(), signing.encode(), hashlib.sha256).digest()
        return signing + "." + _b64(sig), exp

    def _challenge(self, request: web.Request, error: str = "invalid_token") -> dict[str, str]:
        authority = f"https://{request.host}/{TENANT_ID}"
        return {"WWW-Authenticate": f'Bearer authorization_uri="{authority}", error="{error}", '
                                    f'error_description="The access token is missing or invalid"'}

    def verify_bearer(self, request: web.Request) -> dict[str, Any]:
        """Check the Authorization header of an ARM request; raise a 401 ArmError if it is not acceptable."""
        header = request.headers.get("Authorization", "")
        if not header:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                           headers=self._challenge(request))
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                           "provided in an invalid format.", headers=self._challenge(request))
        parts = token.strip().split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not a JWT")
            expected = hmac.new(self.world.secrets["signing_key"].encode(), (parts[0] + "." + parts[1]).encode(),
                                hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(parts[1]))
            if not isinstance(claims, dict):
                raise ValueError("claims are not an object")
            int(claims.get("exp", 0))
        except (ValueError, TypeError, RecursionError):
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                           headers=self._challenge(request)) from None
        if int(claims.get("exp", 0)) <= time.time():
            fmt = "%m/%d/%Y %I:%M:%S %p"
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{time.strftime(fmt, time.gmtime(int(claims.get('exp', 0))))}' "
                           f"is earlier than current UTC time '{time.strftime(fmt, time.gmtime())}'.",
                           headers=self._challenge(request, "invalid_token"))
        if normalise_audience(str(claims.get("aud", ""))) not in ARM_AUDIENCES + (f"https://{request.host}/",):
            raise ArmError(401, "InvalidAuthenticationToken", "The access token has been obtained for wrong "
                           "audience or resource '%s'. It should exactly match with one of the allowed audiences "
                           "'https://management.core.windows.net/','https://management.azure.com/'." % claims.get("aud"),
                           headers=self._challenge(request))
        return claims

    async def msi_token(self, request: web.Request, p: dict[str, str]) -> web.Response:
        """GET /msi/token?api-version=2019-08-01&resource=...[&client_id=] with X-IDENTITY-HEADER."""
        if request.headers.get("X-IDENTITY-HEADER") != self.world.secrets["identity_header"]:
            return json_response({"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER is missing or "
                                  "does not match."}, status=401)
        resource = query_get(request, "resource")
        if not resource:
            return json_response({"statusCode": 400, "message": "Required query parameter 'resource' is missing."},
                                 status=400)
        if query_get(request, "api-version") not in ("2019-08-01", "2017-09-01"):
            return json_response({"statusCode": 400, "message": "Invalid api-version; use 2019-08-01."}, status=400)
        client_id = query_get(request, "client_id") or MSI_CLIENT_ID
        token, exp = self.mint_token(normalise_audience(resource), client_id, "app")
        return json_response({"access_token": token, "expires_on": str(exp), "resource": resource,
                              "token_type": "Bearer", "client_id": client_id})

    async def openid_configuration(self, request: web.Request, p: dict[str, str]) -> web.Response:
        """GET /{tenant}/v2.0/.well-known/openid-configuration (what MSAL's tenant discovery reads)."""
        tenant = p["tenant"]
        if not _known_tenant(tenant):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"https://{request.host}"
        tid = TENANT_ID
        return json_response({
            "token_endpoint": f"{base}/{tid}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tid}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tid}/v2.0", "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/devicecode",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tid}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid"],
            "kerberos_endpoint": f"{base}/{tid}/kerberos", "tenant_region_scope": "NA",
            "cloud_instance_name": "sandbox.local", "cloud_graph_host_name": "graph.sandbox.local",
            "msgraph_host": "graph.sandbox.local", "rbac_url": base,
        })

    async def instance_discovery(self, request: web.Request, p: dict[str, str]) -> web.Response:
        """GET /common/discovery/instance (MSAL's instance discovery, when not disabled)."""
        base = f"https://{request.host}"
        return json_response({"tenant_discovery_endpoint": f"{base}/{TENANT_ID}/v2.0/.well-known/openid-configuration",
                              "api-version": "1.1", "metadata": [{"preferred_network": request.host,
                                                                 "preferred_cache": request.host,
                                                                 "aliases": [request.host]}]})

    async def token(self, request: web.Request, p: dict[str, str]) -> web.Response:
        """POST /{tenant}/oauth2/v2.0/token, client_credentials grant only."""
        tenant = p["tenant"]
        form = dict(parse_qsl((await request.read()).decode("utf-8", "replace")))
        # client_secret_basic is allowed too.
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, csec = base64.b64decode(auth[6:]).decode().partition(":")
                form.setdefault("client_id", cid)
                form.setdefault("client_secret", csec)
            except ValueError:
                pass
        if not _known_tenant(tenant):
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you "
                              "have the correct tenant ID and are signing into the correct cloud.")
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                              f"'{form.get('grant_type')}'. The sandbox supports client_credentials only.")
        if form.get("client_id", "").lower() != SP_CLIENT_ID:
            return _aad_error(400, "unauthorized_client", 700016, f"Application with identifier "
                              f"'{form.get('client_id')}' was not found in the directory '{TENANT_ID}'.")
        if not hmac.compare_digest(form.get("client_secret", "").encode(), self.world.secrets["client_secret"].encode()):
            return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret "
                              f"being sent in the request is the client secret value, not the client secret ID, for "
                              f"a secret added to app '{SP_CLIENT_ID}'.")
        scopes = form.get("scope", "").split()
        resource_scopes = [s for s in scopes if s not in ("openid", "profile", "offline_access")]
        if not resource_scopes or not resource_scopes[0].endswith("/.default"):
            return _aad_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client "
                              "credential flows must have a scope value with /.default suffixed to the resource "
                              "identifier (application ID URI).")
        tok, exp = self.mint_token(normalise_audience(resource_scopes[0]), SP_CLIENT_ID, "app")
        lifetime = exp - int(time.time())
        return json_response({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                              "access_token": tok})

    def routes(self) -> list[Route]:
        """The unauthenticated endpoints: managed identity and the Entra ID authority."""
        return [
            Route(r"/msi/token", {"GET": self.msi_token}, kind=AUTH),
            Route(r"/common/discovery/instance", {"GET": self.instance_discovery}, kind=AUTH),
            Route(r"/(?P<tenant>[^/_][^/]*)/v2\.0/\.well-known/openid-configuration", {"GET": self.openid_configuration},
                  kind=AUTH),
            Route(r"/(?P<tenant>[^/_][^/]*)/oauth2/v2\.0/token", {"POST": self.token}, kind=AUTH),
        ]
