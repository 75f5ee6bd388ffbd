"""The README's shell commands work pasted, verbatim, into a fresh shell after `make demo` and `make test`.

Every fenced shell block of README.md (```sh, ```bash, ```shell) is run as one script by a new `bash` with a
minimal environment (HOME and the system's PATH, plus where Go is: no venv, no ANSIBLE_* or PYTHONPATH from
`make`), from the root of a copy of the repository, and must succeed. New README commands are picked up without touching
this file. The premise, `make demo` and `make test`, is not run (the second would run this test again): the
copy gets what they leave behind, the venv (this one, linked) and `make setup`. The copy keeps the
developer's own `.sandbox/` (which the README's block starts and stops) untouched, and every sandbox the
block may leave behind is stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PREMISE = ("make demo", "make test")
# Commands that would run the test suite (and so this test) again: the README must not ask for them.
RECURSIVE = re.compile(r"\bmake\s+(test|integration)\b|\bpytest\b|\.ci/run\b")
ANSIBLE_FAILURE = re.compile(r"^\[ERROR\]|was not found|could not resolve|couldn't resolve", re.MULTILINE)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PREREQUISITES = ("go",)  # tools the README asks a user to install, found wherever they are
BLOCK_TIMEOUT = 300
FENCE = re.compile(r"^```(?:sh|bash|shell)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def is_premise(line: str) -> bool:
    command = line.split("#", 1)[0].strip()
    return command in PREMISE


def shell_blocks(text: str) -> list[str]:
    """The README's shell blocks, premise lines (make demo, make test) left out; blocks left empty dropped."""
    blocks = []
    for match in FENCE.finditer(text):
        lines = [line for line in match.group(1).splitlines() if not is_premise(line)]
        if any(line.strip() and not line.lstrip().startswith("#") for line in lines):
            blocks.append("\n".join(lines) + "\n")
    return blocks


def test_extraction_finds_the_commands_and_skips_only_the_premise():
    text = "```sh\nmake demo   # x\nmake test\n```\ntext\n```bash\n. .venv/bin/activate\nkubectl get pods\n```\n"
    assert shell_blocks(text) == [". .venv/bin/activate\nkubectl get pods\n"]
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    assert any("ansible-playbook" in block for block in blocks), blocks
    assert all("make demo" not in block and "make test" not in block for block in blocks)


def _copy_repository(destination: Path) -> Path:
    """The working tree's files (tracked and untracked-not-ignored, mtimes kept, so make sees the venv as up to
    date), the venv linked, nothing of .build/, .sandbox/ or .bench/."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = REPO / relative
        if source.is_file() and not source.is_symlink():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    (destination / ".venv").symlink_to(REPO / ".venv")
    return destination


def _fresh_path() -> str:
    """The system's PATH, plus where the prerequisites a user installs beside it live (Go, for the sandbox's
    control planes, is often in /usr/local/go/bin, which a user's profile puts on the PATH)."""
    extra = [str(Path(found).parent) for found in map(shutil.which, PREREQUISITES) if found]
    return os.pathsep.join(dict.fromkeys([*SYSTEM_PATH.split(os.pathsep), *extra]))


def _fresh_shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": os.environ.get("HOME", str(cwd)), "PATH": _fresh_path(), "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-x", "-c", script], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT, check=False)


def _stop_sandboxes(root: Path) -> None:
    for pid_file in root.glob("**/pid"):
        if pid_file.parent.name != ".venv":
            subprocess.run([sys.executable, "-m", "sandbox", "stop", "--state-dir", str(pid_file.parent)], cwd=root,
                           capture_output=True, timeout=60, check=False)


BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_readme_block_runs_verbatim_in_a_fresh_shell(block, tmp_path):
    assert not RECURSIVE.search(block), f"a README command would run the test suite again:\n{block}"
    root = _copy_repository(tmp_path / "repo")
    try:
        premise = _fresh_shell("make setup", root)
        assert premise.returncode == 0, premise.stdout[-2000:] + premise.stderr[-2000:]
        done = _fresh_shell(block, root)
        report = f"README block:\n{block}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
        assert done.returncode == 0, report
        # Ansible's tools exit 0 on some failures (ansible-doc on a module it cannot find): their words count too.
        assert not ANSIBLE_FAILURE.search(done.stdout + done.stderr), report
    finally:
        _stop_sandboxes(root)
