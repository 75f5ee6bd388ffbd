"""Kubeconfig files: one per component of a cluster (file references, the internal port), and the one
users and the collection read (`<state-dir>/kubeconfig`, one context per cluster named after it, data
embedded so it can be copied elsewhere)."""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Iterable, NamedTuple


from .pki import ClusterPKI


class Context(NamedTuple):
    name: str           # the context, cluster and user name: the sandbox cluster's name
    server: str         # https://127.0.0.1:<port>
    pki: ClusterPKI


def _write(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a client key
    with os.fdopen(fd, "w") as fh:
        # JSON is YAML, and kubectl and the kubernetes clients read it; it is written in a blink even with
        # hundreds of contexts, where PyYAML's pure-Python dumper takes seconds.
        json.dump(document, fh, indent=1)
    temporary.replace(path)


def write_component(path: Path, server: str, pki: ClusterPKI, who: str) -> None:
    _write(path, {
        "apiVersion": "v1", "kind": "Config", "current-context": who,
        "clusters": [{"name": "local", "cluster": {"server": server, "certificate-authority": str(pki.ca)}}],
        "users": [{"name": who, "user": {"client-certificate": str(pki.client_cert(who)),
                                         "client-key": str(pki.client_key(who))}}],
        "contexts": [{"name": who, "context": {"cluster": "local", "user": who}}],
    })


def _data(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_users(path: Path, contexts: Iterable[Context]) -> None:
    contexts = sorted(contexts, key=lambda c: c.name)
    _write(path, {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "current-context": contexts[0].name if contexts else "",
        "clusters": [{"name": c.name, "cluster": {"server": c.server,
                                                  "certificate-authority-data": _data(c.pki.ca)}}
                     for c in contexts],
        "users": [{"name": c.name, "user": {"client-certificate-data": _data(c.pki.client_cert("admin")),
                                            "client-key-data": _data(c.pki.client_key("admin"))}}
                  for c in contexts],
        "contexts": [{"name": c.name, "context": {"cluster": c.name, "user": c.name}} for c in contexts],
    })
