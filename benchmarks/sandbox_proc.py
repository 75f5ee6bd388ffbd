"""A sandbox of the benchmark's own, through sandbox/client.py: started in a state dir under .bench/, always stopped.

``with own_sandbox("arm") as (sb, seconds):`` starts from an empty state dir (stopping whatever an interrupted
earlier run left there) and yields the client and the seconds the start took to healthy; the sandbox is
stopped on the way out, error or not. ``timed_start`` (re)starts one and times it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Iterator

from .paths import BENCH_DIR, ensure_importable

ensure_importable()  # the repository root: sandbox/client.py
from sandbox.client import SandboxClient, run_cli  # noqa: E402  pylint: disable=wrong-import-position


def timed_start(state_dir: Path) -> tuple[SandboxClient, float]:
    """`python -m sandbox start`; the client and the seconds until it answered healthy."""
    began = time.perf_counter()
    client = SandboxClient.start(state_dir)
    return client, time.perf_counter() - began


@contextlib.contextmanager
def own_sandbox(name: str) -> Iterator[tuple[SandboxClient, float]]:
    """A fresh sandbox in .bench/sandbox-<name>, stopped on the way out whatever happens."""
    state_dir = BENCH_DIR / f"sandbox-{name}"
    if (state_dir / "pid").exists():
        run_cli("stop", "--state-dir", str(state_dir))  # left behind by an interrupted run
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.mkdir(parents=True)
    try:
        yield timed_start(state_dir)
    finally:
        if (state_dir / "pid").exists():
            done = run_cli("stop", "--state-dir", str(state_dir))
            if done.returncode != 0:  # the original error, if any, matters more
                print(f"warning: could not stop the sandbox in {state_dir}: {done.stderr[-500:]}", file=sys.stderr)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables in this process for a while (the Azure SDK reads them), then restore."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
