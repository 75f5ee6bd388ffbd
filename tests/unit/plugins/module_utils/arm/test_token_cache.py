"""The controller's token and metadata cache: keys, expiry, permissions, and that no secret is written."""

import os
import stat
from collections import namedtuple

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import auth, token_cache
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.token_cache import CachedCredential, TokenCache

Token = namedtuple("Token", "token expires_on")
SCOPE = "https://management.core.windows.net//.default"
CLOUD = auth.Cloud("sandbox", "https://127.0.0.1:1", "https://127.0.0.1:1", "https://management.core.windows.net/")
SECRET = "s3cret~" + "x" * 30


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


class Provider:
    """The identity provider behind the cache: counts the tokens it issues."""

    def __init__(self, lifetime=3600, clock=None):
        self.issued = []
        self.lifetime = lifetime
        self.clock = clock or Clock()

    def get_token(self, *scopes, **kwargs):
        token = Token(f"token-{len(self.issued)}", int(self.clock()) + self.lifetime)
        self.issued.append((scopes, kwargs))
        return token


def sp(secret=SECRET):
    return auth.AuthChoice("service_principal", "parameters", "client-1", secret, "tenant-1")


def credential(directory, provider, choice=None, clock=None, environ=None):
    cache = TokenCache(str(directory), clock=clock or provider.clock)
    identity = auth.cache_identity(choice or sp(), CLOUD, environ or {}, cache.secret_hash)
    return CachedCredential(lambda: provider, identity, cache)


def test_a_token_is_fetched_once_for_every_process_of_a_run(tmp_path):
    provider = Provider()
    first = credential(tmp_path, provider).get_token(SCOPE)
    # a second task is another process: a new cache object and credential over the same directory
    second = credential(tmp_path, provider).get_token(SCOPE)
    assert len(provider.issued) == 1
    assert second.token == first.token and second.expires_on == first.expires_on


def test_the_real_credential_is_not_even_built_when_the_cache_answers(tmp_path):
    provider = Provider()
    credential(tmp_path, provider).get_token(SCOPE)
    built = []
    cache = TokenCache(str(tmp_path), clock=provider.clock)
    cached = CachedCredential(lambda: built.append(1) or provider, auth.cache_identity(sp(), CLOUD, {}, cache.secret_hash),
                              cache)
    assert cached.get_token(SCOPE).token == "token-0"
    assert built == []


def test_a_changed_secret_never_reuses_the_token(tmp_path):
    provider = Provider()
    credential(tmp_path, provider).get_token(SCOPE)
    credential(tmp_path, provider, sp("another-secret")).get_token(SCOPE)
    assert len(provider.issued) == 2


@pytest.mark.parametrize("change", [
    dict(tenant="tenant-2"), dict(client_id="client-2"),
])
def test_another_tenant_or_client_gets_its_own_token(tmp_path, change):
    provider = Provider()
    credential(tmp_path, provider).get_token(SCOPE)
    choice = auth.AuthChoice("service_principal", "parameters", change.get("client_id", "client-1"), SECRET,
                             change.get("tenant", "tenant-1"))
    credential(tmp_path, provider, choice).get_token(SCOPE)
    assert len(provider.issued) == 2


def test_another_scope_gets_its_own_token(tmp_path):
    provider = Provider()
    cached = credential(tmp_path, provider)
    cached.get_token(SCOPE)
    cached.get_token("https://management.azure.com//.default")
    assert len(provider.issued) == 2


def test_a_token_is_reused_only_until_shortly_before_it_expires(tmp_path):
    clock = Clock()
    provider = Provider(lifetime=3600, clock=clock)
    credential(tmp_path, provider, clock=clock).get_token(SCOPE)
    clock.now += 3600 - token_cache.REFRESH_MARGIN - 1
    assert credential(tmp_path, provider, clock=clock).get_token(SCOPE).token == "token-0"
    clock.now += 2  # now within the margin
    assert credential(tmp_path, provider, clock=clock).get_token(SCOPE).token == "token-1"
    assert len(provider.issued) == 2


def test_files_are_private_and_hold_no_secret(tmp_path):
    directory = tmp_path / "cache"
    provider = Provider()
    credential(directory, provider).get_token(SCOPE)
    TokenCache(str(directory)).metadata("https://example.test/metadata", lambda: {"name": "x"})
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    files = [p for p in directory.iterdir() if not p.name.endswith(".lock")]
    assert {p.name.split("-")[0] for p in files} == {"token", "metadata", "salt"}
    for path in directory.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        assert SECRET.encode() not in path.read_bytes() and SECRET not in path.name


def test_a_directory_others_can_reach_is_not_used_and_left_as_it_is(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    assert not TokenCache(str(directory)).usable()
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o755


def test_a_token_file_others_could_write_is_not_read(tmp_path):
    cache = TokenCache(str(tmp_path / "cache"))
    assert cache.usable()
    path = os.path.join(cache.directory, "token-planted.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"token": "planted", "expires_on": 9999999999}')
    os.chmod(path, 0o666)
    assert cache._read(path) is None  # pylint: disable=protected-access
    os.chmod(path, 0o600)
    assert cache._read(path) == {"token": "planted", "expires_on": 9999999999}  # pylint: disable=protected-access


def test_an_unusable_directory_means_no_cache_not_a_failure(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = TokenCache(str(blocker / "cache"))
    assert not cache.usable()
    provider = Provider()
    built = token_cache.credential(sp(), CLOUD, True, cache, {}, "hint")
    assert not isinstance(built, CachedCredential)  # the plain azure-identity credential


def test_a_symlinked_directory_is_not_used(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    assert not TokenCache(str(link)).usable()


def test_claims_challenges_go_to_the_real_credential(tmp_path):
    provider = Provider()
    cached = credential(tmp_path, provider)
    cached.get_token(SCOPE)
    cached.get_token(SCOPE, claims='{"access_token": {}}')
    assert len(provider.issued) == 2 and provider.issued[1][1]["claims"]


def test_forget_drops_a_cached_token_so_a_refused_one_is_fetched_again(tmp_path):
    provider = Provider()
    credential(tmp_path, provider).get_token(SCOPE)
    second = credential(tmp_path, provider)
    assert second.get_token(SCOPE).token == "token-0"
    assert second.forget() is True
    assert second.forget() is False  # nothing more from the cache: no second retry
    assert second.get_token(SCOPE).token == "token-1"
    assert second.forget() is False  # a fresh token is not retried


def test_metadata_is_cached_by_url_for_a_bounded_time(tmp_path):
    clock = Clock()
    cache = TokenCache(str(tmp_path), clock=clock)
    fetched = []

    def fetch(url):
        return lambda: fetched.append(url) or {"name": url}

    assert cache.metadata("https://a.test/m", fetch("a")) == {"name": "a"}
    assert TokenCache(str(tmp_path), clock=clock).metadata("https://a.test/m", fetch("a")) == {"name": "a"}
    cache.metadata("https://b.test/m", fetch("b"))
    assert fetched == ["a", "b"]
    clock.now += token_cache.METADATA_TTL
    cache.metadata("https://a.test/m", fetch("a"))
    assert fetched == ["a", "b", "a"]


def test_resolve_cloud_reads_the_metadata_through_the_cache(tmp_path, monkeypatch):
    document = {"name": "Stack", "resourceManager": "https://rm.test",
                "authentication": {"loginEndpoint": "https://login.test", "audiences": ["https://rm.test/"]}}
    fetched = []
    monkeypatch.setattr(auth, "fetch_metadata", lambda url, verify: fetched.append(url) or document)
    for _round in range(2):
        cloud = auth.resolve_cloud("https://rm.test", True, TokenCache(str(tmp_path)))
        assert cloud.resource_manager == "https://rm.test" and cloud.authority == "https://login.test"
    assert fetched == ["https://rm.test" + auth.METADATA_PATH]
    auth.resolve_cloud("https://rm.test", True, None)
    assert len(fetched) == 2  # without the cache, every call fetches


def test_managed_identity_key_follows_its_endpoint_and_header(tmp_path):
    cache = TokenCache(str(tmp_path))
    msi = auth.AuthChoice("msi", "msi")
    base = {"IDENTITY_ENDPOINT": "https://127.0.0.1:1/msi/token", "IDENTITY_HEADER": "header-1"}
    key = auth.cache_identity(msi, CLOUD, base, cache.secret_hash)
    assert "header-1" not in repr(key)
    assert auth.cache_identity(msi, CLOUD, dict(base, IDENTITY_HEADER="header-2"), cache.secret_hash) != key
    assert auth.cache_identity(msi, CLOUD, dict(base, IDENTITY_ENDPOINT="http://127.0.0.1:9/token"),
                               cache.secret_hash) != key
    assert auth.cache_identity(auth.AuthChoice("msi", "msi", client_id="user-assigned"), CLOUD, base,
                               cache.secret_hash) != key


def test_the_cli_is_cached_per_login_and_not_at_all_without_one(tmp_path):
    cache = TokenCache(str(tmp_path / "cache"))
    config = tmp_path / "azure"
    config.mkdir()
    cli = auth.AuthChoice("cli", "cli")
    assert auth.cache_identity(cli, CLOUD, {"AZURE_CONFIG_DIR": str(config)}, cache.secret_hash) is None
    (config / "azureProfile.json").write_text('{"subscriptions": [{"user": {"name": "a@example.com"}}]}')
    first = auth.cache_identity(cli, CLOUD, {"AZURE_CONFIG_DIR": str(config)}, cache.secret_hash)
    (config / "azureProfile.json").write_text('{"subscriptions": [{"user": {"name": "b@example.com"}}]}')
    assert first and auth.cache_identity(cli, CLOUD, {"AZURE_CONFIG_DIR": str(config)}, cache.secret_hash) != first


def test_the_salt_makes_secret_hashes_differ_between_caches(tmp_path):
    one, two = TokenCache(str(tmp_path / "one")), TokenCache(str(tmp_path / "two"))
    assert one.usable() and two.usable()
    assert one.secret_hash(SECRET) == TokenCache(str(tmp_path / "one")).secret_hash(SECRET)
    assert one.secret_hash(SECRET) != two.secret_hash(SECRET)


def test_the_default_directory_follows_the_environment(tmp_path):
    assert token_cache.default_dir({token_cache.CACHE_DIR_ENV: str(tmp_path)}) == str(tmp_path)
    assert token_cache.default_dir({"XDG_CACHE_HOME": "/x"}) == "/x/azureml.kubernetes"
    assert token_cache.default_dir({}).endswith("/.cache/azureml.kubernetes")
