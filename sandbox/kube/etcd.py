"""The one etcd every sandbox cluster's API server stores into, each under a prefix of its own."""
from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

from .binaries import Binaries
from ..ports import free_port
from .process import ChildProcess, wait_healthy

READY_TIMEOUT = 30.0


class Etcd:
    def __init__(self, directory: Path, binaries: Binaries) -> None:
        self.directory, self.binaries = directory, binaries
        self.process: ChildProcess | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.port, peer = free_port(), free_port()
        self.process = ChildProcess("etcd", [
            str(self.binaries.etcd), "--name=sandbox", f"--data-dir={self.directory / 'data'}",
            f"--listen-client-urls={self.url}", f"--advertise-client-urls={self.url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}", f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=sandbox=http://127.0.0.1:{peer}",
            # A test store: losing the last writes on a machine crash is acceptable, an fsync per write is not.
            "--unsafe-no-fsync", "--quota-backend-bytes=4294967296", "--auto-compaction-retention=10m",
            "--snapshot-count=10000", "--log-level=warn",
        ], self.directory / "etcd.log")
        await self.process.start()
        await wait_healthy(f"{self.url}/health", None, self.process, READY_TIMEOUT)

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key of one cluster (its API server stopped first): a deleted cluster's objects go."""
        key = prefix.encode()
        range_end = key[:-1] + bytes([key[-1] + 1])
        body = json.dumps({"key": base64.b64encode(key).decode(),
                           "range_end": base64.b64encode(range_end).decode()}).encode()
        request = urllib.request.Request(f"{self.url}/v3/kv/deleterange", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    async def stop(self) -> None:
        if self.process:
            await self.process.stop()
