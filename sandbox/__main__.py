"""CLI: ``python -m sandbox start|stop|status|serve --state-dir DIR [--port N]``.

``start`` launches one daemonised ``serve`` process (log in DIR/sandbox.log), waits until it answers
over HTTPS, and leaves DIR/pid, DIR/port, DIR/ca.pem, DIR/env and DIR/inventory.yml behind. It is
idempotent. ``stop`` sends SIGTERM and waits. ``serve`` runs in the foreground.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional

from .ports import free_port, port_free

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0  # the control planes stop before the server exits  # the per-cluster services start before the server listens (a busy machine needs time)


def _read_int(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a recycled pid that is not ours does not count
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        return b"sandbox" in cmdline and b"serve" in cmdline
    except OSError:
        return True


def _health(state_dir: Path, port: int, timeout: float = 2.0) -> Optional[dict]:
    ca = state_dir / "ca.pem"
    if not ca.exists():
        return None
    ctx = ssl.create_default_context(cafile=str(ca))
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/_sandbox/health", context=ctx, timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError, ssl.SSLError):
        return None


def cmd_start(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    pid, port = _read_int(state_dir / "pid"), _read_int(state_dir / "port")
    if pid and port and _alive(pid):
        if _health(state_dir, port):
            print(f"sandbox already running at https://127.0.0.1:{port} (pid {pid})")
            return 0
        print(f"pid {pid} is alive but does not answer; stop it first: python -m sandbox stop --state-dir {state_dir}",
              file=sys.stderr)
        return 1
    if args.port:
        port = args.port
        if not port_free(port):
            print(f"port {port} is in use", file=sys.stderr)
            return 1
    elif not (port and port_free(port)):
        port = free_port()
    (state_dir / "port").write_text(f"{port}\n")
    log = open(state_dir / "sandbox.log", "ab")
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--state-dir", str(state_dir),
                             "--port", str(port)], cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    log.close()
    (state_dir / "pid").write_text(f"{proc.pid}\n")
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            print(f"sandbox exited with {proc.returncode}; see {state_dir / 'sandbox.log'}", file=sys.stderr)
            try:
                print((state_dir / "sandbox.log").read_text()[-2000:], file=sys.stderr)
            except OSError:
                pass
            return 1
        if _health(state_dir, port, timeout=1.0) and (state_dir / "env").exists():
            print(f"https://127.0.0.1:{port}")
            return 0
        time.sleep(0.05)
    print("sandbox did not answer in time; see sandbox.log", file=sys.stderr)
    return 1


def cmd_stop(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid = _read_int(state_dir / "pid")
    if not pid or not _alive(pid):
        print("sandbox is not running")
        (state_dir / "pid").unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + STOP_TIMEOUT
    while time.time() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    (state_dir / "pid").unlink(missing_ok=True)
    print(f"sandbox stopped (pid {pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid, port = _read_int(state_dir / "pid"), _read_int(state_dir / "port")
    health = _health(state_dir, port) if pid and port and _alive(pid) else None
    print(json.dumps(health or {"status": "stopped"}))
    return 0 if health else 3


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve  # imported here so start/stop stay light

    state_dir = Path(args.state_dir).resolve()
    port = args.port or _read_int(state_dir / "port") or free_port()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(state_dir, port))
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status", "serve"):
        p = sub.add_parser(name)
        p.add_argument("--state-dir", default=".sandbox")
        if name in ("start", "serve"):
            p.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "serve": cmd_serve}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
