"""Long-running operation records with wall-clock deadlines.

An operation becomes terminal at ``deadline``. Nothing runs in the background: :meth:`Operations.settle`
is awaited before every request and ends every operation whose deadline has passed: first the kind's
``ending`` coroutine (which may return the error the operation ends with: the hook of ``sandbox/hooks.py``
for extensions), then its ``applier``, which writes the outcome into the target resource. So a restart
simply finishes in-flight operations, and a resource's provisioningState always agrees with its
operation status document.

Each resource provider registers its kind explicitly (``ops.register(kind, applier, ending=None)``, done
by ``sandbox/arm/__init__.py``).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Optional

from ..protocol import iso_from_epoch, new_id
from .world import World

Applier = Callable[[dict[str, Any]], None]
Ending = Callable[[dict[str, Any]], Awaitable[Optional[dict[str, str]]]]
log = logging.getLogger("sandbox.operations")
FORGET_AFTER_SECONDS = 86400


class Operations:
    def __init__(self, world: World) -> None:
        self.world = world
        self._appliers: dict[str, Applier] = {}
        self._endings: dict[str, Ending] = {}
        self.pending: set[str] = set()
        self._ending: set[str] = set()  # being ended right now (their ending hook is awaited)
        self.rebuild()

    def register(self, kind: str, applier: Applier, ending: Optional[Ending] = None) -> None:
        self._appliers[kind] = applier
        if ending is not None:
            self._endings[kind] = ending

    def rebuild(self) -> None:
        """After loading or resetting the state: everything not terminal is pending (deadlines are wall-clock)."""
        self.pending = {oid for oid, op in self.world.operations.items() if op.get("end") is None}
        self._ending.clear()

    def delay_for(self, cluster: Optional[dict[str, Any]] = None) -> float:
        """The provisioning delay: the cluster's own (seeded ``provisioning_delay_seconds``), else the global one."""
        own = (cluster or {}).get("provisioning_delay_seconds")
        return float(own if own is not None else self.world.settings.get("provisioning_delay_seconds", 2.0))

    def start(self, kind: str, target: str, action: str, running_status: str,
              error: Optional[dict[str, Any]] = None, extra: Optional[dict[str, Any]] = None,
              delay: Optional[float] = None) -> dict[str, Any]:
        """Record an operation that ends after ``delay`` (default: the global provisioning delay)."""
        now = time.time()
        op = {"id": new_id(), "kind": kind, "target": target, "action": action, "status": running_status,
              "running_status": running_status, "start": now,
              "deadline": now + (delay if delay is not None else self.delay_for()),
              "end": None, "error": error, "extra": extra or {}}
        self.world.operations[op["id"]] = op
        self.pending.add(op["id"])
        self.world.mark_dirty()
        return op

    def get(self, op_id: str) -> Optional[dict[str, Any]]:
        return self.world.operations.get(op_id)

    def cancel(self, op: dict[str, Any]) -> None:
        op.update(status="Canceled", end=time.time())
        self.pending.discard(op["id"])
        self.world.mark_dirty()

    def is_running(self, target: str) -> Optional[dict[str, Any]]:
        """The in-progress operation on ``target``, if any ("conflict" operations block nothing)."""
        for oid in self.pending | self._ending:
            op = self.world.operations.get(oid)
            if op and op["target"] == target and op.get("action") != "conflict" and op.get("end") is None:
                return op
        return None

    def is_pending(self, op_id: str) -> bool:
        return op_id in self.pending or op_id in self._ending

    async def settle(self) -> None:
        """End every due operation (cheap: only pending ones are looked at)."""
        if not self.pending:
            return
        now = time.time()
        ops = self.world.operations
        due = sorted((oid for oid in self.pending if ops.get(oid, {}).get("deadline", 0) <= now),
                     key=lambda o: ops[o]["deadline"])
        if not due:
            return
        self.pending.difference_update(due)
        self._ending.update(due)
        try:
            # The endings run side by side (an agent starting one cluster's control plane does not hold up
            # another's operation); each op's own failure ends that op, never the others.
            await asyncio.gather(*(self._end(oid) for oid in due))
        finally:
            self._ending.difference_update(due)
        self._prune(now)
        self.world.mark_dirty()

    async def _end(self, oid: str) -> None:
        ops = self.world.operations
        op = ops.get(oid)
        if op is None:
            return
        ending = self._endings.get(op["kind"])
        ended_at = op["deadline"]
        if ending is not None and not op.get("error"):
            began = time.time()
            try:
                error = await ending(op)
            except Exception as exc:  # a hook's failure (a cluster that would not start) ends this op Failed
                log.exception("the end of operation %s failed", oid)
                error = {"code": "InternalServerError",
                         "message": f"The operation could not complete: {type(exc).__name__}: {exc}"}
            # The agent's work in the cluster is part of the operation: it ends when that is done.
            ended_at = max(op["deadline"], began) + (time.time() - began)
            if error:
                op["error"] = error
        if op.get("end") is not None:  # cancelled while its ending hook ran
            return
        op["status"] = "Failed" if op.get("error") else "Succeeded"
        op["end"] = ended_at
        applier = self._appliers.get(op["kind"])
        if applier is not None:
            applier(op)

    def _prune(self, now: float) -> None:
        """Forget finished operations after a day so state.json stays small."""
        ops = self.world.operations
        for oid in [o for o, v in ops.items() if v.get("end") and now - v["end"] > FORGET_AFTER_SECONDS]:
            del ops[oid]

    def retry_after(self) -> dict[str, str]:
        """The Retry-After header of a running operation: none by default (as recorded), or the setting."""
        seconds = self.world.settings.get("retry_after_seconds")
        return {} if seconds is None else {"Retry-After": str(int(seconds) if float(seconds).is_integer() else seconds)}


def times(op: dict[str, Any]) -> dict[str, Optional[str]]:
    return {"startTime": iso_from_epoch(op["start"]), "endTime": iso_from_epoch(op["end"]) if op.get("end") else None}
