"""The one routing scheme of the sandbox: a case-insensitive table of path patterns (ARM ids are
case-insensitive; aiohttp's router is not), used for ARM, the unauthenticated auth/metadata endpoints and
the control API alike. Routes are listed explicitly by ``sandbox/arm/__init__.py:routes()`` and
``sandbox/control/api.py:ControlApi.routes()``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"

ARM, AUTH, CONTROL = "arm", "auth", "control"


@dataclass
class Route:
    """One path. ``kind``: ``arm`` (bearer token, rate limit, api-version of ``family``, registration of
    ``namespace`` checked before the handler), ``auth`` (unauthenticated: tokens, metadata) or ``control``."""
    pattern: str
    methods: dict[str, Handler]
    family: Optional[str] = None
    namespace: Optional[str] = None
    kind: str = ARM
    regex: Any = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(self.pattern + r"/?", re.IGNORECASE)


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = list(routes)

    def match(self, path: str) -> Optional[tuple[Route, dict[str, str]]]:
        for r in self.routes:
            m = r.regex.fullmatch(path)
            if m:
                return r, {k: v for k, v in m.groupdict().items() if v is not None}
        return None
