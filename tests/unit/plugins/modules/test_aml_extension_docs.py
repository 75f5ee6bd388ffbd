"""The module documentation reads the settings table: every key a user may set is documented."""

from __future__ import annotations

import re

import yaml

from ansible_collections.azureml.kubernetes.plugins.module_utils import aml_settings
from ansible_collections.azureml.kubernetes.plugins.modules import aml_extension

USER_ORIGINS = {aml_settings.DOCUMENTED, aml_settings.ADVANCED}


def option_text(name: str) -> str:
    doc = yaml.safe_load(aml_extension.DOCUMENTATION)
    return " ".join(doc["options"][name]["description"])


def test_every_user_setting_is_documented_where_it_is_given():
    config_doc, protected_doc = option_text("config"), option_text("config_protected")
    missing = []
    for setting in aml_settings.SETTINGS:
        if setting.origin not in USER_ORIGINS:
            continue
        key = setting.key.rstrip(".")
        text = protected_doc if setting.where == aml_settings.IN_PROTECTED else config_doc + protected_doc
        # The key as a whole word: cluster_name must not pass because cluster_name_friendly is there.
        if not re.search(rf"C\({re.escape(key)}[).<]", text):
            missing.append(setting.key)
    assert missing == []


def test_the_module_documents_its_options_and_examples_parse():
    doc = yaml.safe_load(aml_extension.DOCUMENTATION)
    # wait and wait_timeout come from the doc fragment, checked by ansible-test's validate-modules.
    assert set(doc["options"]) >= {"cluster_type", "cluster_name", "resource_group", "name", "state", "config",
                                   "config_protected", "update_protected", "force", "delete_relay"}
    examples = yaml.safe_load(aml_extension.EXAMPLES)
    assert len(examples) >= 4
    assert all("azureml.kubernetes.aml_extension" in task for task in examples)
