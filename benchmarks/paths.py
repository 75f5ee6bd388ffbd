"""Where things are: the repository, the collection Ansible loads, the scratch space under .bench/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".bench"  # git-ignored; `make clean` removes it
CALLBACK_DIR = Path(__file__).resolve().parent / "ansible_callbacks"


def collections_path() -> Path:
    """The collections root (``make setup`` links the repository at ansible_collections/azureml/kubernetes)."""
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
    root = Path(configured) if configured else REPO / ".build" / "collections"
    if not (root / "ansible_collections" / "azureml" / "kubernetes").exists():
        raise RuntimeError(f"the collection is not linked under {root}: run `make setup` (or `make bench`)")
    return root


def ensure_importable() -> Path:
    """Make ``ansible_collections.azureml.kubernetes`` importable in this process, as `make` does."""
    root = collections_path()
    for entry in (str(REPO), str(root)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    return root
