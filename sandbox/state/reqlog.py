"""The request log behind GET /_sandbox/requests, with every protected value masked.

Masked: configurationProtectedSettings values, Relay keys and connection strings, access tokens,
client secrets. Headers are never logged at all (so Authorization cannot leak). As a second line of
defence each entry's text is scrubbed of every secret string seen in that request or response.
"""
from __future__ import annotations

import collections
import json
import time
from typing import Any, Iterable, Optional
from urllib.parse import parse_qsl

from ..protocol import parse_json

MASK = "***"
# Enough for any test run or fleet rehearsal.
MAX_ENTRIES = 10000
# Each logged body is kept as compact JSON text, cut above this size (masking happens before the cut) ...
MAX_BODY_CHARS = 16 * 1024
TRUNCATED_MARKER = "...[truncated by the sandbox]"
# ... and the whole log is bounded in bytes as well as in entries: the oldest entries go first.
MAX_TOTAL_CHARS = 64 * 1024 * 1024
# Keys whose value is always a secret, wherever they appear in a body.
SECRET_KEYS = {"access_token", "refresh_token", "id_token", "client_secret", "client_assertion",
               "primarykey", "secondarykey", "primaryconnectionstring", "secondaryconnectionstring",
               "aliasprimaryconnectionstring", "aliassecondaryconnectionstring", "password", "secret"}
PROTECTED_MAP_KEYS = {"configurationprotectedsettings"}


def _collect_and_mask(value: Any, found: set[str]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            lk = str(k).lower()
            if lk in PROTECTED_MAP_KEYS and isinstance(v, dict):
                for pv in v.values():
                    _remember(pv, found)
                out[k] = {pk: MASK for pk in v}
            elif lk in SECRET_KEYS and v not in (None, ""):
                _remember(v, found)
                out[k] = MASK
            else:
                out[k] = _collect_and_mask(v, found)
        return out
    if isinstance(value, list):
        return [_collect_and_mask(v, found) for v in value]
    return value


def _remember(v: Any, found: set[str]) -> None:
    if isinstance(v, str) and len(v) >= 3:
        found.add(v)
    elif isinstance(v, (dict, list)):
        found.add(json.dumps(v))


def mask_body(raw: Optional[bytes | str], content_type: str = "") -> tuple[Any, set[str]]:
    """Parse and mask a body; return (masked, secrets found)."""
    found: set[str] = set()
    if raw is None or raw == b"" or raw == "":
        return None, found
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "x-www-form-urlencoded" in content_type:
        form = dict(parse_qsl(text, keep_blank_values=True))
        return _collect_and_mask(form, found), found
    try:
        parsed = parse_json(text)  # refuses over-deep nesting, so the masking below cannot recurse too far
    except (ValueError, RecursionError):
        return text[:2000], found
    return _collect_and_mask(parsed, found), found


def protected_keys(body: Any) -> Optional[list[str]]:
    """The keys of configurationProtectedSettings in a request body (None when absent)."""
    if isinstance(body, dict):
        props = body.get("properties")
        if isinstance(props, dict) and isinstance(props.get("configurationProtectedSettings"), dict):
            return sorted(props["configurationProtectedSettings"])
    return None


def scrub(entry: dict[str, Any], secrets: Iterable[str]) -> dict[str, Any]:
    """Replace any remaining occurrence of a secret in the entry's JSON text."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return entry
    text = json.dumps(entry)
    changed = False
    for s in sorted(secrets, key=len, reverse=True):
        enc = json.dumps(s)[1:-1]
        if enc and enc in text:
            text = text.replace(enc, MASK)
            changed = True
    return json.loads(text) if changed else entry


def _pack(body: Any) -> tuple[Optional[str], bool]:
    """A body as compact JSON text, truncated above MAX_BODY_CHARS; (text, truncated)."""
    if body is None:
        return None, False
    text = json.dumps(body, separators=(",", ":"))
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS] + TRUNCATED_MARKER, True
    return text, False


class RequestLog:
    """Bounded in-memory log (entries and bytes). Bodies are stored as text and parsed back on query."""

    def __init__(self) -> None:
        self.entries: collections.deque[dict[str, Any]] = collections.deque()
        self.seq = 0
        self.chars = 0

    def clear(self) -> None:
        self.entries.clear()
        self.chars = 0

    @staticmethod
    def _size(e: dict[str, Any]) -> int:
        return 512 + len(e.get("request_body") or "") + len(e.get("response_body") or "")

    def add(self, entry: dict[str, Any], secrets: Iterable[str]) -> None:
        self.seq += 1
        entry = scrub({"seq": self.seq, "time": time.time(), **entry}, secrets)
        for k in ("request_body", "response_body"):
            entry[k], cut = _pack(entry.get(k))
            if cut:
                entry[k + "_truncated"] = True
        self.entries.append(entry)
        self.chars += self._size(entry)
        while self.entries and (len(self.entries) > MAX_ENTRIES or self.chars > MAX_TOTAL_CHARS):
            self.chars -= self._size(self.entries.popleft())

    @staticmethod
    def _public(e: dict[str, Any]) -> dict[str, Any]:
        out = dict(e)
        for k in ("request_body", "response_body"):
            if out.get(k) is not None and not out.get(k + "_truncated"):
                out[k] = json.loads(out[k])
        return out

    def query(self, method: Optional[str], path_contains: Optional[str], kind: Optional[str],
              since: Optional[int]) -> list[dict[str, Any]]:
        out = []
        for e in self.entries:
            if method and e["method"].upper() != method.upper():
                continue
            if path_contains and path_contains.lower() not in e["path"].lower():
                continue
            if kind and e.get("kind") != kind:
                continue
            if since is not None and e["seq"] <= since:
                continue
            out.append(self._public(e))
        return out
