"""The persistent store: one JSON document in DIR/state.json, written atomically and debounced.

Everything that must survive a restart lives in ``Store.data`` (plain dicts, JSON-serialisable).
Resource keys are lower-cased ARM ids because ARM ids are case-insensitive.
The request log, faults and rate-limit counters are deliberately in memory only.
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

SAVE_DELAY_SECONDS = 0.25  # coalesce bursts of writes (e.g. 50 concurrent PUTs) into one save


class Store:
    """In-memory state plus a debounced, atomic writer."""

    def __init__(self, path: Optional[Path]) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        self._save_handle: Optional[asyncio.TimerHandle] = None
        self._writing: Optional[asyncio.Future[None]] = None

    def load(self) -> bool:
        """Load state.json if present; return True when something was loaded."""
        if self.path is None or not self.path.exists():
            return False
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # A corrupt file must not keep the sandbox down; keep a copy for inspection.
            self.path.replace(self.path.with_suffix(".corrupt.json"))
            return False
        return True

    def mark_dirty(self) -> None:
        """Schedule a save; calls within SAVE_DELAY_SECONDS share one write."""
        if self.path is None or self._save_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save_now()
            return
        self._save_handle = loop.call_later(SAVE_DELAY_SECONDS, self._save_soon)

    def _save_soon(self) -> None:
        self._save_handle = None
        # Serialise on the loop (a consistent snapshot), write in a thread (no blocking I/O on the loop).
        text = json.dumps(self.data, separators=(",", ":"))
        loop = asyncio.get_running_loop()
        self._writing = loop.run_in_executor(None, self._write, text)

    def _write(self, text: str) -> None:
        assert self.path is not None
        fd, tmp = tempfile.mkstemp(dir=str(self.path.parent), prefix=".state.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def save_now(self) -> None:
        """Write synchronously (startup and shutdown)."""
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        if self.path is not None:
            self._write(json.dumps(self.data, separators=(",", ":")))

    async def flush(self) -> None:
        """Finish any pending write, then write the latest state."""
        if self._writing is not None:
            try:
                await self._writing
            except Exception:  # noqa: BLE001 - the final save below retries
                pass
        self.save_now()
