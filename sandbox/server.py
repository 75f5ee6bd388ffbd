"""The aiohttp application: one middleware (errors, logging, common ARM headers) and one dispatcher.

Request flow for ARM paths: settle due operations -> injected fault? -> bearer token -> rate limit ->
route (404/405) -> api-version -> subscription exists -> provider registered -> handler. The token is
checked before the route is matched, so an unauthenticated caller learns nothing about the routes.
Logging can never turn a response into a plain-text 500: every failure in it is caught and logged.
"""
from __future__ import annotations

import asyncio
import logging
import re
import signal
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Optional

from aiohttp import web

from . import (auth, cloud, connected_clusters, container_service, control, extensions, network, providers,
               relay, subscriptions)
from .arm import MAX_BODY_BYTES, ArmError, check_api_version, parse_json, query_get, too_large
from .core import Sandbox
from .reqlog import mask_body, protected_keys
from .routing import Router
from .tls import ensure_certificates, server_ssl_context

log = logging.getLogger("sandbox")

ROUTER = Router()
for _mod in (extensions, container_service, connected_clusters, providers, network, subscriptions, relay):
    ROUTER.add(_mod.ROUTES)

# Non-ARM endpoints: (method, compiled regex, handler, log kind)
_OTHER = [
    ("GET", re.compile(r"/metadata/endpoints/?"), cloud.metadata_endpoints, "auth"),
    ("GET", re.compile(r"/msi/token/?"), auth.msi_token, "auth"),
    ("GET", re.compile(r"/common/discovery/instance/?", re.I), auth.instance_discovery, "auth"),
    ("GET", re.compile(r"/(?P<tenant>[^/_][^/]*)/v2\.0/\.well-known/openid-configuration"), auth.openid_configuration, "auth"),
    ("POST", re.compile(r"/(?P<tenant>[^/_][^/]*)/oauth2/v2\.0/token"), auth.token, "auth"),
]

_SUB_RE = re.compile(r"^/subscriptions/([^/]+)", re.I)


class DropConnection(Exception):
    """Raised after an injected fault closed the transport."""


def _unknown_route(request: web.Request) -> ArmError:
    m = re.match(r".*/providers/(?P<ns>[^/]+)/(?P<type>[^/?]+)", request.path, re.I)
    if m and request.path.lower().startswith("/subscriptions/"):
        return ArmError(404, "InvalidResourceType", f"The resource type '{m.group('type')}' could not be found "
                        f"in the namespace '{m.group('ns')}' for api version "
                        f"'{query_get(request, 'api-version') or ''}'.")
    return ArmError(404, "NotFound", f"The requested path '{request.path}' was not found.")


async def dispatch(request: web.Request) -> web.StreamResponse:
    sb: Sandbox = request.app["sandbox"]
    sb.settle()
    path = request.path
    if path.startswith("/_sandbox"):
        request["kind"] = "control"
        return await control.handle(request, sb)

    fault = sb.faults.match(request.method, path)
    if fault is not None:
        request["fault"] = True
        if fault["drop_connection"]:
            if request.transport is not None:
                request.transport.abort()
            raise DropConnection()
        headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
        raise ArmError(fault["status"], fault["code"], fault["message"], headers=headers)

    for method, rx, handler, kind in _OTHER:
        m = rx.fullmatch(path)
        if m:
            request["kind"] = kind
            if request.method != method:
                raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method "
                                                        f"'{request.method}'.")
            request.match_info.update(m.groupdict())  # type: ignore[attr-defined]
            return await handler(request)

    request["kind"] = "arm"
    is_arm = path.lower().startswith(("/subscriptions", "/providers", "/tenants"))
    if not is_arm:
        raise _unknown_route(request)
    auth.verify_bearer(sb, request)
    sm = _SUB_RE.match(path)
    if sm:
        limits = sb.settings.get("ratelimits") or {}
        headers, retry = sb.ratelimiter.consume(sm.group(1), request.method, limits)
        request["ratelimit"] = headers
        if retry is not None:
            raise ArmError(429, "SubscriptionRequestsThrottled",
                           f"Number of requests for subscription '{sm.group(1)}' exceeded the limit. Please try "
                           f"again after '{retry}' seconds.", headers={"Retry-After": str(retry)})
    found = ROUTER.match(path)
    if found is None:
        raise _unknown_route(request)
    route, params = found
    handler = route.methods.get(request.method)
    if handler is None:
        raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method "
                                                f"'{request.method}'.")
    if route.family:
        request["api_version"] = check_api_version(request, route.family)
    if "sub" in params:
        sub = sb.data["subscriptions"].get(params["sub"].lower())
        if sub is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found.")
        if route.namespace:
            prov = sub["providers"].get(route.namespace.lower())
            if prov is not None and prov["state"] != "Registered":
                raise ArmError(409, "MissingSubscriptionRegistration",
                               "The subscription is not registered to use namespace "
                               f"'{route.namespace}'. See https://aka.ms/rps-not-found for how to register "
                               f"subscriptions.", details=[{"code": "MissingSubscriptionRegistration",
                                                            "target": route.namespace,
                                                            "message": "The subscription is not registered to use "
                                                                       f"namespace '{route.namespace}'. See "
                                                                       "https://aka.ms/rps-not-found for how to "
                                                                       "register subscriptions."}],
                               target=route.namespace)
    return await handler(request, sb, params)


@web.middleware
async def arm_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn every exception into an ARM envelope, add the common headers, log the exchange."""
    started = time.time()
    try:
        resp = await handler(request)
    except ArmError as exc:
        resp = exc.response()
    except DropConnection:
        _log(request, None, started, dropped=True)
        raise asyncio.CancelledError() from None
    except web.HTTPRequestEntityTooLarge:
        resp = too_large().response()
    except web.HTTPException as exc:
        resp = ArmError(exc.status, exc.reason.replace(" ", ""), exc.text or exc.reason).response()
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - never leak a stack trace to the client
        log.error("unhandled error on %s %s\n%s", request.method, request.path, traceback.format_exc())
        resp = ArmError(500, "InternalServerError", "Encountered internal server error. Diagnostic "
                        "information: the sandbox logged the details in sandbox.log.").response()
    if request.get("kind") != "control":
        corr = request.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
        resp.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        resp.headers.setdefault("x-ms-correlation-request-id", corr)
        if request.headers.get("x-ms-client-request-id"):
            resp.headers.setdefault("x-ms-client-request-id", request.headers["x-ms-client-request-id"])
        for k, v in (request.get("ratelimit") or {}).items():
            resp.headers.setdefault(k, v)
        resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.get("kind") == "arm" and request.get("api_version"):
            resp.headers.setdefault("api-supported-versions", request["api_version"])
        _log(request, resp, started)
    return resp


def _log(request: web.Request, resp: Optional[web.StreamResponse], started: float, dropped: bool = False) -> None:
    """Log the exchange; never raises (a logging bug must not replace the response with a bare 500)."""
    try:
        _log_entry(request, resp, started, dropped)
    except Exception:  # noqa: BLE001
        log.error("request log failed on %s %s\n%s", request.method, request.path, traceback.format_exc())


def _log_entry(request: web.Request, resp: Optional[web.StreamResponse], started: float, dropped: bool) -> None:
    sb: Sandbox = request.app["sandbox"]
    raw = request.get("raw_body")
    req_body, secrets = mask_body(raw, request.headers.get("Content-Type", ""))
    resp_body, resp_secrets = (None, set())
    if isinstance(resp, web.Response) and resp.body is not None:
        resp_body, resp_secrets = mask_body(resp.body if isinstance(resp.body, bytes) else None,
                                            resp.content_type or "")
    unmasked: Any = None
    if raw:
        try:
            unmasked = parse_json(raw)
        except (ValueError, RecursionError):
            unmasked = None
    entry: dict[str, Any] = {
        "kind": request.get("kind", "arm"), "method": request.method, "path": request.path,
        "query": dict(request.query), "status": None if dropped else resp.status if resp else None,
        "request_body": req_body, "response_body": resp_body,
        "duration_ms": round((time.time() - started) * 1000, 2),
    }
    pk = protected_keys(unmasked)
    if pk is not None:
        entry["protected_keys"] = pk
    if request.get("fault"):
        entry["fault"] = True
    if dropped:
        entry["dropped"] = True
    # Extra secrets that are not in bodies but must never appear: the caller's bearer token.
    authz = request.headers.get("Authorization", "")
    extra = {authz.partition(" ")[2]} if authz else set()
    sb.reqlog.add(entry, secrets | resp_secrets | extra)


@web.middleware
async def body_capture(request: web.Request, handler: Any) -> web.StreamResponse:
    """Read the body once up front (aiohttp caches it) so the log sees what the handler saw."""
    if request.can_read_body:
        request["raw_body"] = await request.read()
    return await handler(request)


def create_app(sb: Sandbox) -> web.Application:
    app = web.Application(middlewares=[arm_middleware, body_capture], client_max_size=MAX_BODY_BYTES)
    app["sandbox"] = sb
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app


async def serve(state_dir: Path, port: int) -> None:
    """Run until SIGTERM/SIGINT; flush state on the way out."""
    state_dir.mkdir(parents=True, exist_ok=True)
    _ca, cert, key = ensure_certificates(state_dir)
    sb = Sandbox(state_dir, port)
    app = create_app(sb)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_ssl_context(cert, key),
                       backlog=1024, reuse_address=True)
    await site.start()
    sb.store.save_now()
    sb.write_files()
    log.info("sandbox listening on %s", sb.url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await sb.store.flush()
    await runner.cleanup()
