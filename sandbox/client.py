"""The one client of a running sandbox: its environment file, its CLI and its control API (``/_sandbox/``).

Used by the sandbox's own tests, the collection's integration tests and the benchmarks. It imports
nothing from the sandbox's server side and nothing from the collection; it depends only on
``requests`` (and the standard library), so any test process can use it.

API (kept stable; add, do not change)::

    read_env_file(path) -> dict[str, str]          # the ``export K=V`` lines of DIR/env, shell-unquoted

    SandboxError(RuntimeError)                     # a control call answered >= 400: .status, .body, .verb, .path

    sb = SandboxClient(state_dir)                  # == SandboxClient.from_state_dir(state_dir): reads DIR/env
    sb = SandboxClient.from_env(env_dict)          # when only the variables are at hand (no state dir)
    sb = SandboxClient.start(state_dir, port=0)    # `python -m sandbox start`, then from_state_dir
    sb.stop()                                      # `python -m sandbox stop` (needs state_dir)
    sb.state_dir, sb.env, sb.url, sb.ca_bundle, sb.subscription_id, sb.tenant_id, sb.client_id,
    sb.client_secret, sb.metadata_url, sb.pid

    # control API; every call raises SandboxError on a status >= 400
    sb.control(verb, path, body=None, **params)    # -> parsed JSON (None when empty); path relative to /_sandbox/
    sb.health()
    sb.seed_cluster(cluster_type="managedClusters", **fields) -> dict   # the spec sent (unique name by default)
    sb.seed_clusters([spec, ...]) -> list[dict]    # one batch: all validated before any is seeded
    sb.clusters() -> list[dict]; sb.delete_cluster(cluster_type, name, subscription_id=None, resource_group=None)
    sb.seed_subscription(*unregistered, subscription_id=None, **fields) -> str   # the new subscription's id
    sb.subscriptions() -> list[dict]
    sb.requests(path_contains=None, method=None, kind=None, since=None) -> list[dict]   # the request log
    sb.writes(path_contains=None, since=None, kind="arm") -> list[dict]                 # PUT/PATCH/POST/DELETE only
    sb.requests_for(fragment, writes_only=False)   # entries whose path holds the fragment (case-insensitive)
    sb.last_seq() -> int                           # pass as since= to see only what came after
    sb.clear_requests()
    sb.add_fault(**spec) -> dict; sb.add_faults([spec, ...]) -> list; sb.faults() -> list; sb.clear_faults()
    sb.settings(**values) -> dict                  # GET without values, POST (merge) with them
    sb.add_failure_rule(**rule) -> list            # appends (POST failure_rules)
    sb.reset(); sb.state() -> dict; sb.extensions() -> list[dict]

    # plain HTTPS to any sandbox path (ARM, auth, metadata, control), never raising on a status
    sb.call(method, path, body=None, data=None, headers=None, params=None, timeout=None) -> requests.Response  (30 s; SEED_TIMEOUT for seeding)
    sb.token(resource="https://management.azure.com/") -> str          # from the managed-identity endpoint
    sb.arm(method, path, body=None, api_version=None, params=None, headers=None) -> requests.Response
                                                   # `call` with a bearer token (and ?api-version= when given)

The CA bundle is passed on every request (``verify=``), so an outer ``REQUESTS_CA_BUNDLE`` never wins.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

import requests

REPO = Path(__file__).resolve().parent.parent
CLI_TIMEOUT = 60
# Seeding answers once each cluster's control plane is up and its situations are written: on a busy machine
# (several control planes starting) that takes well over the 30 s an ordinary call gets.
SEED_TIMEOUT = 300
WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")
ARM_RESOURCE = "https://management.azure.com/"
PathLike = Union[str, "os.PathLike[str]"]


def read_env_file(path: PathLike) -> dict[str, str]:
    """The ``export K=V`` lines of a sandbox env file (DIR/env), values shell-unquoted; comments ignored."""
    env: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("export "):
            continue
        key, _eq, value = line[len("export "):].partition("=")
        words = shlex.split(value) if value else []
        env[key.strip()] = words[0] if words else ""
    return env


class SandboxError(RuntimeError):
    """A control-API call the sandbox answered with a status >= 400."""

    def __init__(self, verb: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{verb} /_sandbox/{path}: {status} {str(body)[:500]}")
        self.verb, self.path, self.status, self.body = verb, path, status, body


def run_cli(*args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``python -m sandbox ARGS`` from the repository root, with this interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _parse(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


class SandboxClient:
    """A running sandbox, addressed through its env file (see the module docstring for the whole API)."""

    name_prefix = "it-"
    default_resource_group = "rg-it"

    def __init__(self, state_dir: Optional[PathLike] = None, *, env: Optional[Mapping[str, str]] = None) -> None:
        self.state_dir: Optional[Path] = Path(state_dir).resolve() if state_dir is not None else None
        if env is None:
            if self.state_dir is None:
                raise ValueError("SandboxClient needs a state_dir or an env")
            env = read_env_file(self.state_dir / "env")
        self.env: dict[str, str] = dict(env)
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy for 127.0.0.1, no outer CA bundle

    # ---- construction and life cycle -----------------------------------------------------------------

    @classmethod
    def from_state_dir(cls, path: PathLike) -> "SandboxClient":
        return cls(path)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "SandboxClient":
        return cls(None, env=env)

    @classmethod
    def start(cls, state_dir: PathLike, port: int = 0) -> "SandboxClient":
        """Start (or find running) the sandbox in ``state_dir`` through its CLI; RuntimeError when it fails."""
        args = ["start", "--state-dir", str(state_dir)] + (["--port", str(port)] if port else [])
        done = run_cli(*args)
        if done.returncode != 0:
            raise RuntimeError(f"sandbox start failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
        return cls(state_dir)

    def stop(self) -> None:
        """Stop the sandbox through its CLI (a no-op when it is not running)."""
        if self.state_dir is None:
            raise RuntimeError("stop() needs the state dir")
        done = run_cli("stop", "--state-dir", str(self.state_dir))
        if done.returncode != 0:
            raise RuntimeError(f"sandbox stop failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")

    # ---- what the env file says ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.env["AML_SANDBOX_URL"].rstrip("/")

    @property
    def ca_bundle(self) -> str:
        return self.env["REQUESTS_CA_BUNDLE"]

    @property
    def subscription_id(self) -> str:
        return self.env["AZURE_SUBSCRIPTION_ID"]

    @property
    def tenant_id(self) -> str:
        return self.env["AML_SANDBOX_TENANT_ID"]

    @property
    def client_id(self) -> str:
        return self.env["AML_SANDBOX_CLIENT_ID"]

    @property
    def client_secret(self) -> str:
        return self.env["AML_SANDBOX_CLIENT_SECRET"]

    @property
    def metadata_url(self) -> str:
        return self.env["AZURE_CLOUD_ENVIRONMENT"]

    @property
    def pid(self) -> int:
        if self.state_dir is None:
            return int(self.health()["pid"])
        return int((self.state_dir / "pid").read_text().strip())

    # ---- plain HTTPS ---------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, data: Optional[bytes] = None,
             headers: Optional[Mapping[str, str]] = None, params: Optional[Mapping[str, Any]] = None,
             timeout: Optional[float] = None) -> requests.Response:
        """Any sandbox path (starting with '/'); ``body`` is sent as JSON, ``data`` as raw bytes. Never raises
        on an HTTP status. Without ``timeout``: 30 s, SEED_TIMEOUT for seeding clusters."""
        if timeout is None:
            timeout = SEED_TIMEOUT if method.upper() == "POST" and path.startswith("/_sandbox/clusters") else 30
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return self.session.request(method, self.url + path, json=body if data is None else None, data=data,
                                    headers=hdrs, params=params, timeout=timeout, verify=self.ca_bundle)

    def token(self, resource: str = ARM_RESOURCE) -> str:
        """An access token from the sandbox's managed-identity endpoint (App Service protocol)."""
        r = self.session.get(self.env["IDENTITY_ENDPOINT"], params={"api-version": "2019-08-01", "resource": resource},
                             headers={"X-IDENTITY-HEADER": self.env["IDENTITY_HEADER"]}, timeout=30,
                             verify=self.ca_bundle)
        r.raise_for_status()
        return str(r.json()["access_token"])

    def arm(self, method: str, path: str, body: Any = None, api_version: Optional[str] = None,
            params: Optional[Mapping[str, Any]] = None, headers: Optional[Mapping[str, str]] = None,
            data: Optional[bytes] = None) -> requests.Response:
        """An ARM request with a bearer token (``?api-version=`` added when given)."""
        q = dict(params or {})
        if api_version is not None:
            q["api-version"] = api_version
        return self.call(method, path, body, data=data, params=q,
                         headers={"Authorization": f"Bearer {self.token()}", **(headers or {})})

    # ---- control API ---------------------------------------------------------------------------------

    def control(self, verb: str, path: str, body: Any = None, **params: Any) -> Any:
        """``VERB /_sandbox/PATH`` with a JSON body and query parameters; the parsed answer.

        Query parameters whose value is None are left out. SandboxError on a status >= 400.
        """
        path = path.lstrip("/")
        query = {k: v for k, v in params.items() if v is not None}
        response = self.call(verb, f"/_sandbox/{path}", body, params=query)
        parsed = _parse(response)
        if response.status_code >= 400:
            raise SandboxError(verb, path, response.status_code, parsed)
        return parsed

    def health(self) -> dict[str, Any]:
        return self.control("GET", "health")

    def reset(self) -> None:
        """The default world; clears the request log, faults, settings and rate limits (secrets kept)."""
        self.control("POST", "reset")

    def state(self) -> dict[str, Any]:
        return self.control("GET", "state")

    def extensions(self) -> list[dict[str, Any]]:
        return self.control("GET", "extensions")["value"]

    def settings(self, **values: Any) -> dict[str, Any]:
        """GET the settings, or merge ``values`` into them (POST); returns the settings after the call."""
        if values:
            return self.control("POST", "settings", values)
        return self.control("GET", "settings")

    def add_failure_rule(self, **rule: Any) -> list[dict[str, Any]]:
        """Append one failure rule (``code`` required); returns every rule now in force."""
        return self.control("POST", "failure_rules", rule)["value"]

    # clusters
    def seed_cluster(self, cluster_type: str = "managedClusters", **fields: Any) -> dict[str, Any]:
        """Seed one cluster; returns the spec sent. Defaults: a unique ``it-…`` name, resource group ``rg-it``,
        eastus, 3 nodes, this sandbox's default subscription. Any seed field (see sandbox/README.md) can be given."""
        spec = self._spec(cluster_type, fields)
        self.control("POST", "clusters", spec)
        return spec

    def seed_clusters(self, specs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Seed several clusters in one batch (all or nothing); each spec gets the same defaults."""
        full = [self._spec(str(s.get("cluster_type", "managedClusters")), dict(s)) for s in specs]
        self.control("POST", "clusters", {"clusters": full})
        return full

    def _spec(self, cluster_type: str, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        fields.pop("cluster_type", None)
        spec: dict[str, Any] = {"name": fields.pop("name", None) or f"{self.name_prefix}{uuid.uuid4().hex[:10]}",
                                "cluster_type": cluster_type, "resource_group": self.default_resource_group,
                                "location": "eastus", "subscription_id": self.subscription_id}
        if "nodes" not in fields:  # node pools carry their own counts
            spec["node_count"] = 3
        spec.update(fields)
        return spec

    def clusters(self) -> list[dict[str, Any]]:
        """Seeded clusters as ARM bodies, each with ``_sandbox`` {cluster_type, subscription, resource_group, ...}."""
        return self.control("GET", "clusters")["value"]

    def delete_cluster(self, cluster_type: str, name: str, subscription_id: Optional[str] = None,
                       resource_group: Optional[str] = None) -> None:
        """Remove a seeded cluster with its extensions."""
        self.control("DELETE", f"clusters/{cluster_type}/{name}", subscription_id=subscription_id or self.subscription_id,
                     resource_group=resource_group or self.default_resource_group)

    # subscriptions
    def seed_subscription(self, *unregistered: str, subscription_id: Optional[str] = None,
                          **fields: Any) -> str:
        """A subscription (new unique id unless given) where the named providers are NotRegistered; its id.

        ``fields`` go into the body as they are (``display_name``, ``resource_groups``, ``providers``)."""
        sid = subscription_id or str(uuid.uuid4())
        providers = dict(fields.pop("providers", None) or {})
        providers.update({ns: "NotRegistered" for ns in unregistered})
        self.control("POST", "subscriptions", {"subscription_id": sid, "providers": providers, **fields})
        return sid

    def subscriptions(self) -> list[dict[str, Any]]:
        return self.control("GET", "subscriptions")["value"]

    # request log
    def requests(self, path_contains: Optional[str] = None, method: Optional[str] = None,
                 kind: Optional[str] = None, since: Optional[int] = None) -> list[dict[str, Any]]:
        """Logged requests (oldest first), filtered by the sandbox: path substring (case-insensitive), method,
        kind (``arm`` | ``auth``), and ``since`` (keeps entries with a greater seq)."""
        return self.control("GET", "requests", path_contains=path_contains, method=method, kind=kind,
                            since=since)["value"]

    def writes(self, path_contains: Optional[str] = None, since: Optional[int] = None,
               kind: Optional[str] = "arm") -> list[dict[str, Any]]:
        """Logged writes (PUT, PATCH, POST, DELETE), by default ARM ones only."""
        return [e for e in self.requests(path_contains, kind=kind, since=since) if e["method"] in WRITE_METHODS]

    def requests_for(self, path_fragment: str, *, writes_only: bool = False) -> list[dict[str, Any]]:
        """The logged requests whose path holds the fragment (a cluster name, a subscription id)."""
        entries = self.requests(path_contains=path_fragment)
        return [e for e in entries if e["method"] in WRITE_METHODS] if writes_only else entries

    def last_seq(self) -> int:
        """The sequence number of the newest log entry (pass it as ``since=`` later)."""
        return int(self.control("GET", "requests", since=2 ** 62)["last_seq"])

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    # faults
    def add_fault(self, **spec: Any) -> dict[str, Any]:
        """Arm one fault: ``path_pattern`` (regex), ``method``, ``count``, ``status``, ``code``, ``message``,
        ``retry_after``, ``drop_connection``."""
        return self.control("POST", "faults", spec)["value"][0]

    def add_faults(self, specs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return self.control("POST", "faults", [dict(s) for s in specs])["value"]

    def faults(self) -> list[dict[str, Any]]:
        """The faults still armed."""
        return self.control("GET", "faults")["value"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")
