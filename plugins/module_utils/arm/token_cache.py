# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's cache of access tokens and cloud metadata: one fetch per run and credential, not per task.

Every task of a play is a process of its own, so azure-identity's in-memory cache dies with it. This cache
lives on disk, where the Azure CLI keeps its own (`~/.azure/msal_token_cache.json`, mode 0600):

- the directory is `$AZUREML_TOKEN_CACHE_DIR`, else `$XDG_CACHE_HOME/azureml.kubernetes`, else
  `~/.cache/azureml.kubernetes`; it is created 0700 and used only while it belongs to this user and nobody
  else can read it (it is made 0700 again when it does not); every file in it is written 0600, atomically;
- a token file is named by a hash of what the token is for (the authority or identity endpoint, tenant,
  client, scope) and of a salted hash of the secret (the service principal's secret, the managed identity
  header): a changed secret never finds the old token. The salt is a random file of the same directory.
  The secret itself is never written; the file holds the access token and its expiry;
- a token is reused until REFRESH_MARGIN seconds before it expires (azure-core's own refresh margin), then
  fetched anew; a token Azure refuses (401) is dropped and fetched anew once (CachedCredential.forget);
- cloud metadata documents are kept by URL for METADATA_TTL seconds;
- the first of concurrent tasks (forks) that misses fetches under a lock; the others wait and read its result.

`token_cache: false` (or AZUREML_TOKEN_CACHE=false) turns it off; any failure to read or write the cache
(a read-only home, a full disk) falls back to fetching, never fails a task.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import stat
import tempfile
import time
from typing import Any, Callable, Iterator, Sequence

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import auth
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AuthError

CACHE_DIR_ENV = "AZUREML_TOKEN_CACHE_DIR"
ENABLE_ENV = "AZUREML_TOKEN_CACHE"
DIR_NAME = "azureml.kubernetes"
REFRESH_MARGIN = 300  # seconds before expiry a cached token is no longer handed out
METADATA_TTL = 3600  # seconds a cloud metadata document is reused
_SALT_FILE = "salt"


def default_dir(environ: Any = None) -> str:
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_DIR_ENV):
        return os.path.expanduser(environ[CACHE_DIR_ENV])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, DIR_NAME)


def _digest(parts: Sequence[Any]) -> str:
    return hashlib.sha256(json.dumps(list(parts), separators=(",", ":")).encode()).hexdigest()


class TokenCache:
    """Files under one private directory; every method degrades to a miss on an OSError."""

    def __init__(self, directory: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory or default_dir()
        self.clock = clock
        self._usable: bool | None = None

    # --- the directory
    def usable(self) -> bool:
        if self._usable is None:
            self._usable = self._prepare()
        return self._usable

    def _prepare(self) -> bool:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            info = os.lstat(self.directory)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                return False  # a symlink or someone else's directory: not a place for tokens
            # Group or others could have planted files in it: not trusted, and not silently changed either.
            return stat.S_IMODE(info.st_mode) & 0o077 == 0
        except OSError:
            return False

    def _path(self, kind: str, key: str) -> str:
        return os.path.join(self.directory, f"{kind}-{key}.json")

    def _read(self, path: str) -> dict[str, Any] | None:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, encoding="utf-8") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
                    return None  # not a file this user wrote for itself
                document = json.load(handle)
        except (OSError, ValueError):
            return None
        return document if isinstance(document, dict) else None

    def _write(self, path: str, document: dict[str, Any]) -> None:
        self._replace(path, json.dumps(document).encode("utf-8"))

    def _replace(self, path: str, data: bytes) -> None:
        """Write `data` to `path` atomically, through a 0600 temporary file; an OSError leaves no file behind."""
        try:
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")  # created 0600
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)

    @contextlib.contextmanager
    def _locked(self, path: str) -> Iterator[None]:
        """An exclusive lock beside `path`, so concurrent tasks fetch once (no lock, no harm, on an OSError)."""
        try:
            fd = os.open(path + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    # --- the salt: secrets are hashed with a value that never leaves this directory
    def secret_hash(self, secret: str | None) -> str:
        if not secret:
            return ""
        if not self.usable():
            return hashlib.sha256(os.urandom(32) + secret.encode()).hexdigest()  # nothing is cached anyway
        return hmac.new(self._salt(), secret.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _read_salt(path: str) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                salt = handle.read()
        except OSError:
            return None
        return salt if len(salt) >= 32 else None

    def _salt(self) -> bytes:
        path = os.path.join(self.directory, _SALT_FILE)
        salt = self._read_salt(path)
        if salt is not None:
            return salt
        with self._locked(path):  # read again under the lock: another task may have just written it
            salt = self._read_salt(path)
            if salt is None:
                salt = os.urandom(32)
                self._replace(path, salt)
            return salt

    # --- tokens
    def token(self, identity: Sequence[Any], scopes: Sequence[str], fetch: Callable[[], Any]) -> tuple[str, int, bool]:
        """(token, expires_on, from_cache) for an identity and scopes; `fetch()` returns an AccessToken on a miss."""
        path = self._path("token", _digest([*identity, *scopes]))
        cached = self._valid_token(path)
        if cached:
            return cached[0], cached[1], True
        with self._locked(path):
            cached = self._valid_token(path)  # a concurrent task may have fetched it meanwhile
            if cached:
                return cached[0], cached[1], True
            fresh = fetch()
            self._write(path, {"access_token": fresh.token, "expires_on": int(fresh.expires_on)})
            return fresh.token, int(fresh.expires_on), False

    def _valid_token(self, path: str) -> tuple[str, int] | None:
        document = self._read(path)
        if not document:
            return None
        token, expires_on = document.get("access_token"), document.get("expires_on")
        if not isinstance(token, str) or not isinstance(expires_on, int):
            return None
        if expires_on - REFRESH_MARGIN <= self.clock():
            return None
        return token, expires_on

    def forget_token(self, identity: Sequence[Any], scopes: Sequence[str]) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._path("token", _digest([*identity, *scopes])))

    # --- cloud metadata
    def metadata(self, url: str, fetch: Callable[[], Any], verified: bool = True) -> Any:
        """The metadata document of `url`, fetched by `fetch()` at most once per METADATA_TTL.

        One fetched without certificate validation (`verified` false) never answers a run that validates.
        """
        path = self._path("metadata", _digest(["metadata", url, "verified" if verified else "unverified"]))
        cached = self._fresh_metadata(path)
        if cached is not None:
            return cached
        with self._locked(path):
            cached = self._fresh_metadata(path)
            if cached is not None:
                return cached
            document = fetch()
            self._write(path, {"url": url, "fetched_at": int(self.clock()), "document": document})
            return document

    def _fresh_metadata(self, path: str) -> Any:
        entry = self._read(path)
        if not entry or not isinstance(entry.get("fetched_at"), int):
            return None
        if not 0 <= self.clock() - entry["fetched_at"] < METADATA_TTL:
            return None
        return entry.get("document")


class CachedCredential:
    """A TokenCredential that asks `TokenCache` first and builds the real azure-identity credential only on a miss.

    `identity` names what the token is for without the secret in clear (see auth.cache_identity). Claims
    (continuous access evaluation challenges) and other tenants always go to the real credential.
    """

    def __init__(self, build: Callable[[], Any], identity: Sequence[Any], cache: TokenCache) -> None:
        self._build = build
        self._inner: Any = None
        self.identity = tuple(identity)
        self.cache = cache
        self._served: set[tuple[str, ...]] = set()
        self.fetched = 0  # tokens fetched from the identity provider by this process (for tests and benches)

    @property
    def inner(self) -> Any:
        if self._inner is None:
            self._inner = self._build()
        return self._inner

    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        if claims or tenant_id or not self.cache.usable():
            return self.inner.get_token(*scopes, claims=claims, tenant_id=tenant_id, **kwargs)

        def fetch() -> Any:
            self.fetched += 1
            return self.inner.get_token(*scopes, **kwargs)

        token, expires_on, from_cache = self.cache.token(self.identity, scopes, fetch)
        if from_cache:
            self._served.add(tuple(scopes))
        return AccessToken(token, expires_on)

    def forget(self) -> bool:
        """Drop the tokens this process took from the cache; True when there were any (worth one retry)."""
        served, self._served = self._served, set()
        for scopes in served:
            self.cache.forget_token(self.identity, scopes)
        return bool(served)

    def close(self) -> None:
        if self._inner is not None and hasattr(self._inner, "close"):
            self._inner.close()


def credential(choice: auth.AuthChoice, cloud: auth.Cloud, verify: bool, cache: TokenCache | None,
               environ: Any, hint: str) -> Any:
    """The credential of `choice`, behind the token cache when there is one (built at once when there is not)."""
    def build() -> Any:
        try:
            return auth.build_credential(choice, cloud, verify)
        except ValueError as exc:  # azure-identity refuses a malformed tenant or authority
            raise AuthError(f"The credentials are not usable: {exc}. {hint}") from exc

    identity = auth.cache_identity(choice, cloud, environ, cache.secret_hash) if cache and cache.usable() else None
    if identity is None:
        return build()
    return CachedCredential(build, identity, cache)
