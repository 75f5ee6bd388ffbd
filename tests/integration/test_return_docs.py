"""The RETURN documentation says what the modules really return: every key documented, every documented key
returned, each value of the documented type (a missing optional value may be null).

The results come from real runs against the sandbox: an install on AKS (with the cluster facts), an install on
Arc (with the extension's identity), a show and a list, a removal (the empty extension).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

from tests.support.plays import EXTENSION, EXTENSION_INFO, POC_CONFIG, play, target, task

MODULES = Path(__file__).resolve().parents[2] / "plugins" / "modules"
# What Ansible itself adds to every result (and the JSON callback's `action`), not the module's to document.
ANSIBLE_KEYS = {"changed", "failed", "invocation", "warnings", "deprecations", "diff", "msg", "action", "skipped",
                "_ansible_no_log", "_ansible_verbose_always", "_ansible_verbose_override"}
TYPES = {"str": str, "int": int, "bool": bool, "dict": dict, "list": list, "float": (int, float)}


def return_docs(module_file: str) -> dict[str, Any]:
    tree = ast.parse((MODULES / module_file).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETURN" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{module_file} has no RETURN")


def check(value: Any, doc: dict[str, Any], where: str, problems: list[str]) -> None:
    """Type of ``value`` against ``doc``; for dicts with ``contains``, both key sets and each value."""
    if value is None:
        return
    expected = TYPES[doc["type"]]
    if not isinstance(value, expected) or (doc["type"] == "int" and isinstance(value, bool)):
        problems.append(f"{where}: {type(value).__name__} returned, {doc['type']} documented")
        return
    contains = doc.get("contains")
    if not contains:
        return
    items = value if doc["type"] == "list" else [value]
    for index, item in enumerate(items):
        label = f"{where}[{index}]" if doc["type"] == "list" else where
        if not item:  # an empty dict stands for "nothing" (the extension after a removal)
            continue
        problems += [f"{label}.{key}: returned, not documented" for key in sorted(set(item) - set(contains))]
        problems += [f"{label}.{key}: documented, not returned" for key in sorted(set(contains) - set(item))]
        for key in set(item) & set(contains):
            check(item[key], contains[key], f"{label}.{key}", problems)


def compare(result: dict[str, Any], docs: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    returned = {k for k in result if k not in ANSIBLE_KEYS}
    problems += [f"{where}.{key}: returned, not documented" for key in sorted(returned - set(docs))]
    problems += [f"{where}.{key}: documented as always returned, missing" for key, doc in docs.items()
                 if doc.get("returned") == "always" and key not in result]
    for key in returned & set(docs):
        check(result[key], docs[key], f"{where}.{key}", problems)
    return problems


def test_aml_extension_returns_what_its_documentation_says(sandbox, run_playbook):
    aks = sandbox.seed_cluster()
    arc = sandbox.seed_cluster("connectedClusters", node_count=4)
    run = run_playbook(play(
        task("install on AKS", **target(aks), config=POC_CONFIG),
        task("install on Arc", **target(arc), config={"enableTraining": True}),
        task("again on AKS", **target(aks), config=POC_CONFIG),
        task("remove", **target(aks), state="absent"),
    ))
    docs = return_docs("aml_extension.py")
    problems = []
    for name in ("install on AKS", "install on Arc", "again on AKS", "remove"):
        result = run.task(name)
        assert not result.get("failed"), result
        problems += compare(result, docs, name)
    assert run.task("install on Arc")["extension"]["identity"], "Arc extensions carry an identity"
    assert run.task("remove")["extension"] == {}
    assert problems == []


def test_aml_extension_info_returns_what_its_documentation_says(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    cluster_args = {k: v for k, v in target(cluster).items() if k != "name"}
    run = run_playbook(play(
        task("install", EXTENSION, **target(cluster), config=POC_CONFIG),
        task("show", EXTENSION_INFO, **target(cluster)),
        task("list", EXTENSION_INFO, **cluster_args),
        task("missing", EXTENSION_INFO, **{**target(cluster), "name": "nope"}),
    ))
    docs = return_docs("aml_extension_info.py")
    problems = []
    for name in ("show", "list", "missing"):
        problems += compare(run.task(name), docs, name)
    assert len(run.task("show")["extensions"]) == 1
    assert problems == []
