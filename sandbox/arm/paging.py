"""ARM list paging for the cluster lists: ``{"value": [...], "nextLink": ...}``, pages of ``cluster_page_size``
(100 by default, as the Resource Manager lists of managedClusters and connectedClusters page), the next page
addressed by an absolute ``nextLink`` on the same path with ``$skipToken`` (null on the last page).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..protocol import ArmError, base_url, json_response, query_get

DEFAULT_PAGE_SIZE = 100


def page(request: web.Request, items: list[Any], size: int) -> web.Response:
    """One page of ``items`` (already in their stable order) for this request's ``$skipToken``."""
    size = max(1, int(size or DEFAULT_PAGE_SIZE))
    token = query_get(request, "$skipToken")
    try:
        skip = int(token) if token is not None else 0
    except ValueError:
        skip = -1
    if skip < 0 or skip > len(items):
        raise ArmError(400, "InvalidSkipToken", "The $skipToken is invalid.")
    next_link = None
    if skip + size < len(items):
        next_link = (f"{base_url(request)}{request.path}?api-version={request['api_version']}"
                     f"&$skipToken={skip + size}")
    return json_response({"value": items[skip: skip + size], "nextLink": next_link})
