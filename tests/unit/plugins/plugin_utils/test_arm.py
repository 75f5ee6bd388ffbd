# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.auth import Cloud
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AuthError
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.arm import ArmSession

CLOUD = Cloud("Test", "https://arm.example", "https://login.example", "https://management.core.windows.net/")


def session(options=None, environ=None, run_command=None):
    s = ArmSession(options or {}, environ or {}, run_command)
    s.__dict__["cloud"] = CLOUD
    return s


def test_url_sets_the_api_version_on_paths_and_next_links():
    s = session()
    assert s.url("/subscriptions/x/providers/A/b", "2026-08-01") == \
        "https://arm.example/subscriptions/x/providers/A/b?api-version=2026-08-01"
    link = s.url("https://arm.example/subscriptions/x/p?api-Version=2020-01-01&$skipToken=100", "2026-05-01")
    query = parse_qs(urlsplit(link).query)
    assert query == {"$skipToken": ["100"], "api-version": ["2026-05-01"]}
    assert "$skipToken=100" in link


def test_default_subscription_from_option_env_or_cli():
    assert session({"subscription_id": "opt", "auth_source": "msi"}).default_subscription() == "opt"
    env = {"AZURE_CLIENT_ID": "c", "AZURE_SECRET": "s", "AZURE_TENANT": "t", "AZURE_SUBSCRIPTION_ID": "env-sub"}
    assert session({"auth_source": "env"}, env).default_subscription() == "env-sub"
    cli = session({"auth_source": "cli"}, {}, lambda args: (0, '{"id": "cli-sub"}', ""))
    assert cli.default_subscription() == "cli-sub"
    assert session({"auth_source": "cli"}, {}, lambda args: (1, "", "not logged in")).default_subscription() is None


def test_auth_errors_name_the_option():
    with pytest.raises(AuthError, match="AZURE_CLIENT_ID, AZURE_SECRET and AZURE_TENANT"):
        session({"auth_source": "env"}, {}).default_subscription()
