"""One child process of the sandbox (etcd, an API server, a controller): started with its log in a file,
stopped with SIGTERM then SIGKILL, and killed by the kernel if the sandbox itself dies (PDEATHSIG), so a
crashed sandbox leaves no control plane behind."""
from __future__ import annotations

import asyncio
import ctypes
import signal
import ssl
from pathlib import Path
from typing import Sequence

_PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 5.0


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ChildProcess:
    def __init__(self, name: str, argv: Sequence[str], log: Path) -> None:
        self.name, self.argv, self.log = name, list(argv), log
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            # Spawned from the event loop's thread: PDEATHSIG fires when the spawning thread ends.
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=_die_with_parent)

    def exited_message(self) -> str:
        tail = ""
        try:
            tail = self.log.read_text(errors="replace")[-2000:]
        except OSError:
            pass
        code = self._proc.returncode if self._proc else None
        return f"{self.name} exited with status {code}; the end of {self.log}:\n{tail}"

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_GRACE_SECONDS)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()


async def wait_healthy(url: str, ca: Path | None, process: ChildProcess, timeout: float,
                       client_cert: tuple[Path, Path] | None = None) -> None:
    """Poll an HTTP(S) health endpoint (`/readyz`, `/health`) until it answers 200."""
    context = None
    if url.startswith("https"):
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
        if client_cert:
            context.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.05
    while True:
        if not process.running:
            raise RuntimeError(process.exited_message())
        if await loop.run_in_executor(None, _answers_ok, url, context):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"{process.name} did not become healthy at {url} within {timeout:.0f} s; "
                               f"see {process.log}")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _answers_ok(url: str, context: ssl.SSLContext | None) -> bool:
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
