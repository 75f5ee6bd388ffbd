"""The aiohttp application: the request pipeline, the wiring of the buildings, and the server's life cycle.

Request flow: settle due operations (awaiting the operation hooks) and registrations -> control path? (``/_sandbox/``, not
logged, no faults) -> injected fault? -> unauthenticated route (metadata, tokens)? -> ARM path? bearer token ->
rate limit -> route (404 ``InvalidResourceType``/``NotFound``, 405) -> api-version -> subscription (404) ->
resource group (404 ``ResourceGroupNotFound``) -> provider registered (409) -> handler -> the per-cluster
services follow any change of the clusters. The token is checked before the route is matched, so an
unauthenticated caller learns nothing about the routes. Logging can never turn a response into a plain-text
500: every failure in it is caught and logged.

Wiring (``build``): one World (state.json), one Operations, one Hooks; ``arm.build`` makes every resource
provider and registers every route and operation kind; ``ControlApi`` the control routes; the built-in
health check is the first extension-operation hook; ``install_buildings`` is where ``sandbox/kube/`` and
``sandbox/agent/`` register theirs (see sandbox/hooks.py).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from aiohttp import web

from . import arm
from .arm.healthcheck import HealthCheck
from .arm.ratelimit import RateLimiter
from .arm.routing import ARM, AUTH, CONTROL, Route, Router
from .control.api import ControlApi
from .hooks import ClusterServices, Hooks
from .pki import ensure_certificates, server_ssl_context
from .protocol import (MAX_BODY_BYTES, ArmError, check_api_version, method_not_allowed, parse_json, query_get,
                       resource_group_not_found, too_large)
from .state.faults import Faults
from .state.files import write_env, write_inventory
from .state.operations import Operations
from .state.reqlog import RequestLog, mask_body, protected_keys
from .state.store import Store
from .state.world import World

log = logging.getLogger("sandbox")

_SUB_RE = re.compile(r"^/subscriptions/([^/]+)", re.I)
_ARM_PREFIXES = ("/subscriptions", "/providers", "/tenants")


class DropConnection(Exception):
    """Raised after an injected fault closed the transport."""


@dataclass
class Sandbox:
    """What ``build`` wired together; only the server itself holds it (each part got what it needs)."""
    state_dir: Optional[Path]
    port: int
    world: World
    ops: Operations
    hooks: Hooks
    services: ClusterServices
    reqlog: RequestLog
    faults: Faults
    ratelimiter: RateLimiter
    router: Router
    arm: arm.Arm

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def write_files(self) -> None:
        """(Re)write DIR/env and DIR/inventory.yml."""
        if self.state_dir is not None and self.port:
            write_env(self.state_dir, self.url, self.world.secrets)
            write_inventory(self.state_dir, self.world.clusters)


def build(state_dir: Optional[Path], port: int = 0) -> Sandbox:
    world = World(Store(state_dir / "state.json" if state_dir else None))
    ops = Operations(world)
    hooks = Hooks()
    hooks.add_extension_operation_hook(HealthCheck(lambda: world.settings.get("failure_rules") or []))
    built = arm.build(world, ops, hooks)
    reqlog, faults, ratelimiter = RequestLog(), Faults(), RateLimiter()
    sb_holder: list[Sandbox] = []
    control = ControlApi(world, ops, reqlog, faults, ratelimiter, url=lambda: sb_holder[0].url)
    router = Router(control.routes() + built.routes)
    sb = Sandbox(state_dir, port, world, ops, hooks, ClusterServices(hooks, world.cluster_infos), reqlog, faults,
                 ratelimiter, router, built)
    sb_holder.append(sb)
    if state_dir is not None:
        world.cluster_listeners.append(lambda: write_inventory(state_dir, world.clusters) if sb.port else None)
    install_buildings(sb)
    return sb


def install_buildings(sb: Sandbox) -> None:
    """The Kubernetes side: ``sandbox/kube/`` as the cluster service (a real control plane per cluster, started
    on first use) and ``sandbox/agent/`` as the extension-operation hook (its health check reads the real
    cluster; then what the chart creates). A sandbox without a state directory (in-process tests of the ARM
    side) has no clusters to run."""
    if sb.state_dir is None:
        return
    from .kube.binaries import locate
    from .kube.clusters import DEFAULT_MAX_RUNNING, KubeClusters
    from .kube.service import KubeService, extension_agent
    from .state import seeds
    from .state.files import host_names

    binaries = locate(build=False)
    seeds.KUBERNETES_VERSION["value"] = binaries.kubernetes_version
    max_running = int(os.environ.get("AML_SANDBOX_KUBE_MAX_RUNNING") or DEFAULT_MAX_RUNNING)
    clusters = KubeClusters(sb.state_dir, binaries, max_running=max_running,
                            context_names=lambda: host_names(sb.world.clusters))
    sb.hooks.add_cluster_service(KubeService(clusters))
    sb.hooks.add_extension_operation_hook(extension_agent(clusters))


# ---- the request pipeline ----------------------------------------------------------------------------------

def _unknown_route(request: web.Request) -> ArmError:
    m = re.match(r".*/providers/(?P<ns>[^/]+)/(?P<type>[^/?]+)", request.path, re.I)
    if m and request.path.lower().startswith("/subscriptions/"):
        return ArmError(404, "InvalidResourceType", f"The resource type '{m.group('type')}' could not be found "
                        f"in the namespace '{m.group('ns')}' for api version "
                        f"'{query_get(request, 'api-version') or ''}'.")
    return ArmError(404, "NotFound", f"The requested path '{request.path}' was not found.")


def _registration_error(namespace: str) -> ArmError:
    message = (f"The subscription is not registered to use namespace '{namespace}'. See "
               "https://aka.ms/rps-not-found for how to register subscriptions.")
    return ArmError(409, "MissingSubscriptionRegistration", message, target=namespace,
                    details=[{"code": "MissingSubscriptionRegistration", "target": namespace, "message": message}])


def _handler(route: Route, request: web.Request) -> Any:
    handler = route.methods.get(request.method)
    if handler is None:
        raise method_not_allowed(request.method)
    return handler


class Pipeline:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        sb = self.sb
        await sb.ops.settle()
        sb.arm.providers.settle()
        generation = sb.world.cluster_generation
        try:
            return await self._route(request)
        finally:
            if sb.world.cluster_generation != generation:
                await sb.services.sync()

    async def _route(self, request: web.Request) -> web.StreamResponse:
        sb, path = self.sb, request.path
        found = sb.router.match(path)
        if path.startswith("/_sandbox"):
            request["kind"] = CONTROL
            if found is None or found[0].kind != CONTROL:
                raise ArmError(404, "NotFound", f"Unknown control endpoint {request.method} {path}; see "
                               "sandbox/README.md.")
            return await _handler(found[0], request)(request, found[1])

        fault = sb.faults.match(request.method, path)
        if fault is not None:
            request["fault"] = True
            if fault["drop_connection"]:
                if request.transport is not None:
                    request.transport.abort()
                raise DropConnection()
            headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
            raise ArmError(fault["status"], fault["code"], fault["message"], headers=headers)

        if found is not None and found[0].kind == AUTH:
            request["kind"] = AUTH
            return await _handler(found[0], request)(request, found[1])

        request["kind"] = ARM
        if not path.lower().startswith(_ARM_PREFIXES):
            raise _unknown_route(request)
        sb.arm.auth.verify_bearer(request)
        sm = _SUB_RE.match(path)
        if sm:
            headers, retry = sb.ratelimiter.consume(sm.group(1), request.method, sb.world.settings.get("ratelimits") or {})
            request["ratelimit"] = headers
            if retry is not None:
                raise ArmError(429, "SubscriptionRequestsThrottled",
                               f"Number of requests for subscription '{sm.group(1)}' exceeded the limit. Please try "
                               f"again after '{retry}' seconds.", headers={"Retry-After": str(retry)})
        if found is None or found[0].kind != ARM:
            raise _unknown_route(request)
        route, params = found
        handler = _handler(route, request)
        if route.family:
            request["api_version"] = check_api_version(request, route.family)
        if "sub" in params:
            sub = sb.world.subscription(params["sub"])
            if sub is None:
                raise ArmError(404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found.")
            if "rg" in params and params["rg"].lower() not in sub["resourceGroups"]:
                raise resource_group_not_found(params["rg"])
            if route.namespace:
                prov = sub["providers"].get(route.namespace.lower())
                if prov is not None and prov["state"] != "Registered":
                    raise _registration_error(route.namespace)
        return await handler(request, params)


def _arm_middleware(sb: Sandbox) -> Any:
    @web.middleware
    async def arm_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        """Turn every exception into an ARM envelope, add the common headers, log the exchange."""
        started = time.time()
        try:
            resp = await handler(request)
        except ArmError as exc:
            resp = exc.response()
        except DropConnection:
            _log(sb.reqlog, request, None, started, dropped=True)
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
        if request.get("kind") != CONTROL:
            corr = request.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
            resp.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
            resp.headers.setdefault("x-ms-correlation-request-id", corr)
            if request.headers.get("x-ms-client-request-id"):
                resp.headers.setdefault("x-ms-client-request-id", request.headers["x-ms-client-request-id"])
            for k, v in (request.get("ratelimit") or {}).items():
                resp.headers.setdefault(k, v)
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            resp.headers.setdefault("X-Content-Type-Options", "nosniff")
            if request.get("kind") == ARM and request.get("api_version"):
                resp.headers.setdefault("api-supported-versions", request["api_version"])
            _log(sb.reqlog, request, resp, started)
        return resp
    return arm_middleware


def _log(reqlog: RequestLog, request: web.Request, resp: Optional[web.StreamResponse], started: float,
         dropped: bool = False) -> None:
    """Log the exchange; never raises (a logging bug must not replace the response with a bare 500)."""
    try:
        _log_entry(reqlog, request, resp, started, dropped)
    except Exception:  # noqa: BLE001
        log.error("request log failed on %s %s\n%s", request.method, request.path, traceback.format_exc())


def _log_entry(reqlog: RequestLog, request: web.Request, resp: Optional[web.StreamResponse], started: float,
               dropped: bool) -> None:
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
        "kind": request.get("kind", ARM), "method": request.method, "path": request.path,
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
    reqlog.add(entry, secrets | resp_secrets | extra)


@web.middleware
async def body_capture(request: web.Request, handler: Any) -> web.StreamResponse:
    """Read the body once up front (aiohttp caches it) so the log sees what the handler saw."""
    if request.can_read_body:
        request["raw_body"] = await request.read()
    return await handler(request)


def create_app(sb: Sandbox) -> web.Application:
    app = web.Application(middlewares=[_arm_middleware(sb), body_capture], client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", "/{tail:.*}", Pipeline(sb).dispatch)
    return app


# ---- life cycle ----------------------------------------------------------------------------------------------

async def serve(state_dir: Path, port: int) -> None:
    """Run until SIGTERM/SIGINT: start the per-cluster services, serve, then stop them and flush the state."""
    state_dir.mkdir(parents=True, exist_ok=True)
    _ca, cert, key = ensure_certificates(state_dir)
    sb = build(state_dir, port)
    app = create_app(sb)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_ssl_context(cert, key),
                       backlog=1024, reuse_address=True)
    await sb.services.sync()  # the per-cluster services of every cluster in the state
    await site.start()
    sb.world.store.save_now()
    sb.write_files()
    log.info("sandbox listening on %s", sb.url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await runner.cleanup()
    await sb.services.stop_all()
    await sb.world.store.flush()
