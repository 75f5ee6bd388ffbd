"""Where the control-plane binaries are: built by `tools/build.sh` (make kube-binaries) into a cache
outside the repository. The script is also the one place that names the cache directory; asked again
when everything is built, it only prints the directory."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

BUILD_SCRIPT = Path(__file__).parent / "tools" / "build.sh"
NAMES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


class BinariesMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Binaries:
    directory: Path

    def _path(self, name: str) -> Path:
        return self.directory / name

    @property
    def etcd(self) -> Path:
        return self._path("etcd")

    @property
    def kube_apiserver(self) -> Path:
        return self._path("kube-apiserver")

    @property
    def kube_controller_manager(self) -> Path:
        return self._path("kube-controller-manager")

    @property
    def kube_scheduler(self) -> Path:
        return self._path("kube-scheduler")

    @property
    def kwok(self) -> Path:
        return self._path("kwok")

    @cached_property
    def kubernetes_version(self) -> str:
        """The version the API server really runs, e.g. "1.35.4" (AKS reports it without the v)."""
        out = subprocess.run([str(self.kube_apiserver), "--version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
        match = re.search(r"v(\d+\.\d+\.\d+)", out)
        if not match:
            raise BinariesMissing(f"kube-apiserver --version printed no version: {out!r}")
        return match.group(1)


def locate(build: bool = True) -> Binaries:
    """The built binaries. `AML_KUBE_BIN_DIR` names a directory explicitly; otherwise the build script
    says where its cache is (and builds first if `build`, which the first time takes many minutes)."""
    explicit = os.environ.get("AML_KUBE_BIN_DIR")
    if explicit:
        directory = Path(explicit)
    else:
        env = dict(os.environ, AML_KUBE_PRINT_ONLY="" if build else "1")
        result = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise BinariesMissing(f"the control-plane binaries are not built: run `make kube-binaries` "
                                  f"({result.stderr.strip()[-500:]})")
        directory = Path(result.stdout.strip().splitlines()[-1])
    missing = [n for n in NAMES if not os.access(directory / n, os.X_OK)]
    if missing:
        raise BinariesMissing(f"{', '.join(missing)} missing in {directory}: run `make kube-binaries`")
    return Binaries(directory)
