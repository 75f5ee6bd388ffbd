"""A sandbox of the benchmark's own: started through its CLI in a state dir under .bench/, always stopped.

``with own_sandbox("arm") as sb:`` starts from an empty state dir (stopping whatever an interrupted earlier
run left there), times the start-up to healthy, and stops the sandbox on the way out, error or not.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

from .paths import BENCH_DIR, REPO, subprocess_env

CLI_TIMEOUT = 60


def read_env_file(path: Path) -> dict[str, str]:
    """The ``export K=V`` lines of DIR/env."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _sep, value = line[len("export "):].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO, env=subprocess_env(), text=True,
                          capture_output=True, timeout=CLI_TIMEOUT, check=False)


class Sandbox:
    """A running sandbox: its env, its pid, and the control API under /_sandbox/."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.start_seconds: list[float] = []
        self.env: dict[str, str] = {}
        self.url = ""
        self.ca = ""
        self._ssl: ssl.SSLContext | None = None

    # --- life cycle
    def start(self) -> float:
        """Run `python -m sandbox start`; return the seconds until it answered healthy."""
        began = time.perf_counter()
        done = _cli("start", "--state-dir", str(self.state_dir))
        elapsed = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"sandbox start failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
        self.env = read_env_file(self.state_dir / "env")
        self.url = self.env["AML_SANDBOX_URL"].rstrip("/")
        self.ca = self.env["REQUESTS_CA_BUNDLE"]
        self._ssl = ssl.create_default_context(cafile=self.ca)
        self.start_seconds.append(elapsed)
        return elapsed

    def stop(self) -> None:
        done = _cli("stop", "--state-dir", str(self.state_dir))
        if done.returncode != 0:
            raise RuntimeError(f"sandbox stop failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")

    @property
    def pid(self) -> int:
        return int((self.state_dir / "pid").read_text().strip())

    # --- control API
    def control(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_sandbox/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self._ssl, timeout=timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} /_sandbox/{path}: {exc.code} {exc.read()[:500]!r}") from exc
        return json.loads(text) if text else None

    def settings(self, **values: Any) -> dict[str, Any]:
        return self.control("POST", "settings", values)

    def seed(self, specs: list[dict[str, Any]]) -> None:
        self.control("POST", "clusters", {"clusters": specs})

    @property
    def subscription_id(self) -> str:
        return self.env["AZURE_SUBSCRIPTION_ID"]


@contextlib.contextmanager
def own_sandbox(name: str) -> Iterator[Sandbox]:
    """A fresh sandbox in .bench/sandbox-<name>, stopped on the way out whatever happens."""
    state_dir = BENCH_DIR / f"sandbox-{name}"
    if (state_dir / "pid").exists():
        _cli("stop", "--state-dir", str(state_dir))  # left behind by an interrupted run
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.mkdir(parents=True)
    sandbox = Sandbox(state_dir)
    try:
        sandbox.start()
        yield sandbox
    except BaseException:
        if (state_dir / "pid").exists():
            try:
                sandbox.stop()
            except Exception as exc:  # the original error matters more
                print(f"warning: could not stop the sandbox in {state_dir}: {exc}", file=sys.stderr)
        raise
    if (state_dir / "pid").exists():
        sandbox.stop()


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
