"""``python -m sandbox.kube up --state-dir DIR --cluster NAME [--nodes N]``: one real control plane in the
foreground, for trying things by hand; prints the kubeconfig to use and runs until interrupted."""
from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from .binaries import locate
from .clusters import KubeClusters
from .nodes import NodePool


async def _up(state_dir: Path, names: list[str], nodes: int) -> None:
    world = KubeClusters(state_dir, locate(build=False), max_running=len(names))
    await world.start()
    try:
        for name in names:
            cluster = await world.add(f"/manual/{name}", name, (NodePool(count=nodes),))
            await world.ensure_running(cluster)
        print(f"kubectl --kubeconfig {world.kubeconfig_path} --context {names[0]} get nodes", flush=True)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await world.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.kube")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run real control planes in the foreground")
    up.add_argument("--state-dir", type=Path, required=True)
    up.add_argument("--cluster", action="append", required=True)
    up.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(_up(args.state_dir, args.cluster, args.nodes))


if __name__ == "__main__":
    main()
