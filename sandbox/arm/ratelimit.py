"""ARM rate-limit counters (x-ms-ratelimit-remaining-* headers, 429 only for budgets set explicitly)."""
from __future__ import annotations

import time
from typing import Optional


# Hourly budgets per subscription (legacy ARM limits; the global ones as seen in recording R2).
DEFAULT_LIMITS = {"reads": 12000, "writes": 1200, "deletes": 15000,
                  "global-reads": 16500, "global-writes": 12000, "global-deletes": 15000}


def method_category(method: str) -> str:
    if method in ("GET", "HEAD"):
        return "reads"
    if method == "DELETE":
        return "deletes"
    return "writes"


class RateLimiter:
    """Counts requests per subscription and category in a fixed hourly window."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, dict[str, int]]] = {}

    def reset(self) -> None:
        self._windows.clear()

    def consume(self, subscription: str, method: str, limits: dict[str, int]) -> tuple[dict[str, str], Optional[int]]:
        """Count one request; return (headers, retry_after) where retry_after is set when exhausted.

        Only categories given explicitly in ``limits`` (settings ``ratelimits``) are enforced with 429:
        the default budgets just drive the headers, so a long-lived sandbox used by a big test suite
        never stalls on an hour-long Retry-After by surprise.
        """
        now = time.time()
        start, used = self._windows.get(subscription.lower(), (now, {}))
        if now - start >= 3600:
            start, used = now, {}
        cat = method_category(method)
        headers: dict[str, str] = {}
        exhausted = False
        for key in (cat, "global-" + cat):
            used[key] = used.get(key, 0) + 1
            remaining = limits.get(key, DEFAULT_LIMITS[key]) - used[key]
            if remaining < 0 and key in limits:
                exhausted = True
            headers[f"x-ms-ratelimit-remaining-subscription-{key}"] = str(max(remaining, 0))
        self._windows[subscription.lower()] = (start, used)
        retry = max(1, int(3600 - (now - start))) if exhausted else None
        return headers, retry
