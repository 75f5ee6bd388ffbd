# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads as plain ARM GETs: one azure-core pipeline with the SDK clients' policies (arm/client.policies).

Reads need no SDK management client: importing and building one costs a module run about 0.1 s of CPU before
its first request (issue 10), and its models drop the fields they do not know. Writes, with their long-running
operations, go through the SDK clients (services/). The modules (arm/module.AzureModule.reader) and the inventory
plugin (plugin_utils/arm.ArmSession) read through this one class. Raises AzureCallError, never exits.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.client import new_retry_policy, policies
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError

# A paged list that never ends is refused after this many pages (a nextLink loop in the service).
MAX_PAGES = 10000


class PagingError(ValueError):
    """A paged ARM list whose nextLink repeats or never ends."""


def resource_path(*segments: str) -> str:
    """An ARM path from its segments, each quoted as the SDKs quote path arguments."""
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


def walk_pages(get_page: Callable[[str], Any], first: str) -> Iterator[dict[str, Any]]:
    """Every item of a paged ARM list: ``get_page(url)`` returns ``{value, nextLink}``; nextLink is followed
    until it is null or absent. A nextLink seen twice, or more than MAX_PAGES pages, raises PagingError."""
    seen: set[str] = set()
    url: str | None = first
    while url:
        if url in seen or len(seen) >= MAX_PAGES:
            raise PagingError(f"the list at {first} does not end: nextLink {url} repeats")
        seen.add(url)
        page = get_page(url)
        for item in page.get("value") or []:
            if isinstance(item, dict):
                yield item
        url = page.get("nextLink") or None


class ArmReader:
    """GETs of ARM JSON for one cloud and credential; safe to share between threads."""

    def __init__(self, base_url: str, credential: Any, scope: str, *, verify: bool, pool_size: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        self.credential, self.scope, self.verify, self.pool_size = credential, scope, verify, max(1, pool_size)
        self._client: Any = None

    def _pipeline(self) -> Any:
        if self._client is None:
            import requests
            from azure.core import PipelineClient
            from azure.core.pipeline.transport import RequestsTransport

            session = requests.Session()
            if self.pool_size > 1:  # the inventory's reader threads each keep a connection
                adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=self.pool_size)
                session.mount("https://", adapter)
            transport = RequestsTransport(session=session, session_owner=False,
                                          **({} if self.verify else {"connection_verify": False}))
            self._client = PipelineClient(self.base_url, transport=transport,
                                          policies=policies(self.credential, self.scope, new_retry_policy()))
        return self._client

    def url(self, path: str, api_version: str) -> str:
        """An ARM path (or an absolute nextLink) with this api-version, as the SDK pagers rewrite nextLinks."""
        parts = urlsplit(path if "://" in path else self.base_url + path)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "api-version"]
        query.append(("api-version", api_version))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="$"), ""))

    def get(self, path: str, api_version: str, action: str, *, missing_is_none: bool = True) -> dict[str, Any] | None:
        """GET one ARM document; None on 404 (unless missing_is_none is false: then the 404 raises too, with
        Azure's error code); AzureCallError naming `action` on any other failure."""
        from azure.core.exceptions import AzureError, HttpResponseError
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        try:
            response = self._pipeline().send_request(HttpRequest("GET", self.url(path, api_version)))
            if response.status_code == 404 and missing_is_none:
                return None
            if response.status_code != 200:
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            document = response.json()
            if not isinstance(document, dict):
                raise ValueError(f"Azure answered {type(document).__name__} where an ARM document (a JSON object) belongs")
            return document
        except (AzureError, ValueError) as exc:  # ValueError: an answer that is not JSON, or not an object
            raise AzureCallError(exc, action) from exc

    def page_getter(self, api_version: str, action: str) -> Callable[[str], dict[str, Any]]:
        """A get_page for walk_pages: a missing scope is an empty page."""
        def get_page(url: str) -> dict[str, Any]:
            return self.get(url, api_version, action) or {"value": [], "nextLink": None}
        return get_page

    def list(self, path: str, api_version: str, action: str, *,
             missing_is_none: bool = True) -> list[dict[str, Any]] | None:
        """Every item of a paged list; None when its scope (the parent resource) does not exist (with
        missing_is_none false, that 404 raises AzureCallError)."""
        first = self.get(path, api_version, action, missing_is_none=missing_is_none)
        if first is None:
            return None
        getter = self.page_getter(api_version, action)
        items = [i for i in first.get("value") or [] if isinstance(i, dict)]
        if first.get("nextLink"):
            try:
                items.extend(walk_pages(getter, first["nextLink"]))
            except PagingError as exc:
                raise AzureCallError(exc, action) from exc
        return items
