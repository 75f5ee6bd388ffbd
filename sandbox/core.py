"""The Sandbox object: state, settings, request log, faults and rate limits shared by all handlers."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from . import operations
from .arm import RateLimiter
from .faults import Faults
from .files import write_env, write_inventory
from .reqlog import RequestLog
from .state import Store
from .world import DEFAULT_SETTINGS, default_world


class Sandbox:
    """Everything a request handler needs, reachable as ``request.app["sandbox"]``."""

    def __init__(self, state_dir: Optional[Path], port: int = 0) -> None:
        self.state_dir = state_dir
        self.port = port
        self.store = Store(state_dir / "state.json" if state_dir else None)
        self.reqlog = RequestLog()
        self.faults = Faults()
        self.ratelimiter = RateLimiter()
        self.pending_ops: set[str] = set()
        self.started = time.time()
        if not self.store.load():
            self.store.data = default_world()
        self._upgrade()
        operations.rebuild_pending(self)

    def _upgrade(self) -> None:
        """Fill keys added by newer sandbox versions into an older state.json."""
        for k, v in DEFAULT_SETTINGS.items():
            self.data["settings"].setdefault(k, v)
        for k in ("clusters", "extensions", "operations", "relay"):
            self.data.setdefault(k, {})

    @property
    def data(self) -> dict[str, Any]:
        return self.store.data

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.data["settings"]

    @property
    def secrets(self) -> dict[str, str]:
        return self.store.data["secrets"]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def settle(self) -> None:
        """Finish due operations and provider registrations (called before every request)."""
        operations.settle(self)
        now = time.time()
        for sub in self.data["subscriptions"].values():
            for prov in sub["providers"].values():
                if prov["state"] == "Registering" and prov.get("ready_at", 0) <= now:
                    prov["state"] = "Registered"
                    self.store.mark_dirty()

    def reset(self) -> None:
        """Restore the default world; keep the secrets (DIR/env stays valid)."""
        self.store.data = default_world(keep_secrets=self.secrets)
        self.pending_ops.clear()
        self.reqlog.clear()
        self.faults.clear()
        self.ratelimiter.reset()
        self.store.mark_dirty()
        self.write_files()

    def write_files(self) -> None:
        """(Re)write DIR/env and DIR/inventory.yml."""
        if self.state_dir is None or not self.port:
            return
        write_env(self)
        write_inventory(self)

    def clusters_changed(self) -> None:
        self.store.mark_dirty()
        if self.state_dir is not None and self.port:
            write_inventory(self)
