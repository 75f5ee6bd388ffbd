"""Long-running operation records with wall-clock deadlines.

An operation is decided when it starts (success or failure, and the error) and becomes terminal at
``deadline``. Nothing runs in the background: :func:`settle` is called before every request and applies
every operation whose deadline has passed. So a restart simply finishes in-flight operations, and
the resource's provisioningState always agrees with its operation status document.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from .arm import iso_from_epoch, new_id

if TYPE_CHECKING:
    from .core import Sandbox

# kind -> function(sandbox, op) applying the terminal outcome to the target resource
_APPLIERS: dict[str, Callable[["Sandbox", dict[str, Any]], None]] = {}

def register(kind: str, applier: Callable[["Sandbox", dict[str, Any]], None]) -> None:
    _APPLIERS[kind] = applier


def delay_for(sb: "Sandbox", cluster: Optional[dict[str, Any]] = None) -> float:
    """The provisioning delay: the cluster's own (seeded ``provisioning_delay_seconds``), else the global one."""
    own = (cluster or {}).get("provisioning_delay_seconds")
    return float(own if own is not None else sb.settings.get("provisioning_delay_seconds", 2.0))


def start(sb: "Sandbox", kind: str, target: str, action: str, running_status: str,
          error: Optional[dict[str, Any]] = None, extra: Optional[dict[str, Any]] = None,
          delay: Optional[float] = None) -> dict[str, Any]:
    """Record an operation that completes after ``delay`` (default: the global provisioning_delay_seconds)."""
    now = time.time()
    op = {"id": new_id(), "kind": kind, "target": target, "action": action, "status": running_status,
          "running_status": running_status, "start": now,
          "deadline": now + (delay if delay is not None else delay_for(sb)),
          "end": None, "error": error, "extra": extra or {}}
    sb.data["operations"][op["id"]] = op
    sb.pending_ops.add(op["id"])
    sb.store.mark_dirty()
    return op


def settle(sb: "Sandbox") -> None:
    """Apply every due operation (cheap: only pending ones are looked at)."""
    if not sb.pending_ops:
        return
    now = time.time()
    due = [oid for oid in sb.pending_ops if sb.data["operations"].get(oid, {}).get("deadline", 0) <= now]
    if not due:
        return
    for oid in sorted(due, key=lambda o: sb.data["operations"][o]["deadline"]):
        sb.pending_ops.discard(oid)
        op = sb.data["operations"].get(oid)
        if op is None:
            continue
        op["status"] = "Failed" if op.get("error") else "Succeeded"
        op["end"] = op["deadline"]
        applier = _APPLIERS.get(op["kind"])
        if applier is not None:
            applier(sb, op)
    _prune(sb, now)
    sb.store.mark_dirty()


def _prune(sb: "Sandbox", now: float) -> None:
    """Forget finished operations after a day so state.json stays small."""
    ops = sb.data["operations"]
    for oid in [o for o, v in ops.items() if v.get("end") and now - v["end"] > 86400]:
        del ops[oid]


def is_running(sb: "Sandbox", target: str) -> Optional[dict[str, Any]]:
    """The in-progress operation on ``target``, if any."""
    for oid in sb.pending_ops:
        op = sb.data["operations"].get(oid)
        # "conflict" ops (a write refused with UpdateFailed) do not block anything themselves.
        if op and op["target"] == target and op.get("action") != "conflict":
            return op
    return None


def rebuild_pending(sb: "Sandbox") -> None:
    """After loading state.json: everything not terminal is pending (deadlines are wall-clock)."""
    sb.pending_ops = {oid for oid, op in sb.data["operations"].items() if op.get("end") is None}


def times(op: dict[str, Any]) -> dict[str, Optional[str]]:
    return {"startTime": iso_from_epoch(op["start"]), "endTime": iso_from_epoch(op["end"]) if op.get("end") else None}
