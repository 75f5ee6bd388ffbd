"""A tiny case-insensitive router for ARM paths (ARM ids are case-insensitive; aiohttp's router is not)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from aiohttp import web

if TYPE_CHECKING:
    from .core import Sandbox

Handler = Callable[[web.Request, "Sandbox", dict[str, str]], Awaitable[web.StreamResponse]]

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"
SEG = r"[^/]+"


@dataclass
class Route:
    """One ARM path. ``family`` selects the accepted api-versions; ``namespace`` the provider whose
    registration the subscription needs (None: no registration check)."""
    pattern: str
    methods: dict[str, Handler]
    family: Optional[str]
    namespace: Optional[str] = None
    regex: Any = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(self.pattern + r"/?", re.IGNORECASE)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, routes: list[Route]) -> None:
        self.routes.extend(routes)

    def match(self, path: str) -> Optional[tuple[Route, dict[str, str]]]:
        for r in self.routes:
            m = r.regex.fullmatch(path)
            if m:
                return r, {k: v for k, v in m.groupdict().items() if v is not None}
        return None
