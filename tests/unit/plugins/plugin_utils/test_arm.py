# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.auth import Cloud
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AuthError
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.arm import ArmSession

CLOUD = Cloud("Test", "https://arm.example", "https://login.example", "https://management.core.windows.net/")


def session(options=None, environ=None, run_command=None):
    s = ArmSession(options or {}, environ or {}, run_command)
    s.__dict__["cloud"] = CLOUD
    return s


def test_reads_go_through_the_modules_reader():
    s = session()
    assert s.reader.base_url == "https://arm.example"
    assert s.reader.pool_size == 10  # one connection per inventory reader thread


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
