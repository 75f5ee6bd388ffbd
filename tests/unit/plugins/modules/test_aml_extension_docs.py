"""The module documentation tells the truth: it reads the settings table, and RETURN lists what is returned."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

from ansible_collections.azureml.kubernetes.plugins.doc_fragments.cluster import ModuleDocFragment as ClusterDoc
from ansible_collections.azureml.kubernetes.plugins.doc_fragments.wait import ModuleDocFragment as WaitDoc
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import settings_table as table
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import extension_view
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.client import COLLECTION_VERSION
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.waiter import DEFAULT_WAIT_TIMEOUT
from ansible_collections.azureml.kubernetes.plugins.modules import aml_extension, aml_extension_info

USER_ORIGINS = {table.DOCUMENTED, table.ADVANCED}
ROOT = Path(__file__).resolve().parents[4]


def options():
    return yaml.safe_load(aml_extension.DOCUMENTATION)["options"]


def option_text(name: str) -> str:
    return " ".join(options()[name]["description"])


def documented_keys(text: str) -> set[str]:
    """Every C(key) in a description, without a label placeholder (nodeSelector.<label>) or a value (=true)."""
    return {re.sub(r"[<=].*$", "", key) for key in re.findall(r"C\(([^)\s]+)\)", text)}


def test_every_user_setting_is_documented_where_it_is_given():
    config_doc, protected_doc = option_text("config"), option_text("config_protected")
    missing = []
    for setting in table.SETTINGS:
        if setting.origin not in USER_ORIGINS:
            continue
        key = setting.key.rstrip(".")
        text = protected_doc if setting.where == table.IN_PROTECTED else config_doc + protected_doc
        # The key as a whole word: cluster_name must not pass because cluster_name_friendly is there.
        if not re.search(rf"C\({re.escape(key)}[).<]", text):
            missing.append(setting.key)
    assert missing == []


def test_every_key_the_docs_name_is_in_the_table_and_given_where_the_table_allows():
    """The other direction: no documented key is unknown, internal, or placed in the wrong option."""
    config_keys = documented_keys(option_text("config"))
    protected_keys = documented_keys(option_text("config_protected"))
    # C(...) also quotes values and CLI commands; these are not settings.
    not_keys = {"--config", "--config-protected", table.NODE_SELECTOR_MAP}  # the last: the mapping form
    problems = []
    for option, keys in (("config", config_keys), ("config_protected", protected_keys)):
        for key in sorted(keys - not_keys):
            setting = table.describe(key) or table.describe(key + "x")  # C(nodeSelector.) names the prefix
            if setting is None:
                problems.append(f"{option}: {key} is not in the settings table")
            elif setting.origin == table.INTERNAL and key not in ("scoringFe.sslCert", "scoringFe.sslKey"):
                problems.append(f"{option}: {key} is computed, not given")
            elif option == "config" and setting.where == table.IN_PROTECTED:
                problems.append(f"config documents {key}, which belongs in config_protected")
            elif option == "config_protected" and setting.where == table.IN_SETTINGS:
                problems.append(f"config_protected documents {key}, which is a public setting")
    assert problems == []


def test_documented_choices_and_defaults_follow_the_table():
    text = option_text("config")
    for choice in table.describe("inferenceRouterServiceType").choices:
        assert f"V({choice})" in text
    assert "V(azure)" in text and table.describe("internalLoadBalancerProvider").choices == ("azure",)
    doc = yaml.safe_load(aml_extension.DOCUMENTATION)
    assert set(options()["update_protected"]["choices"]) == set(aml_extension.ARGUMENT_SPEC["update_protected"]["choices"])
    assert "E40001" in " ".join(doc["notes"])


def test_the_module_documents_its_options_and_examples_parse():
    # wait and wait_timeout come from the doc fragment, checked by ansible-test's validate-modules; the options that
    # name the cluster from fragment azureml.kubernetes.cluster, which the module must extend.
    documented = yaml.safe_load(aml_extension.DOCUMENTATION)
    assert "azureml.kubernetes.cluster" in documented["extends_documentation_fragment"]
    cluster_options = yaml.safe_load(ClusterDoc.DOCUMENTATION)["options"]
    expected = {"cluster_type", "cluster_name", "resource_group", "name", "state", "config", "config_protected",
                "update_protected", "force", "delete_relay"}
    assert set(options()) | set(cluster_options) >= expected
    examples = yaml.safe_load(aml_extension.EXAMPLES)
    assert len(examples) >= 4
    assert all("azureml.kubernetes.aml_extension" in task for task in examples)


def return_keys(module, top: str) -> set[str]:
    returned = yaml.safe_load(module.RETURN)
    return set(returned[top]["contains"])


def test_return_docs_list_exactly_the_extension_keys_returned():
    sample = {"id": "x", "name": "azureml", "type": "t", "properties": {"extensionType": "Microsoft.AzureML.Kubernetes"}}
    keys = set(extension_view(sample))
    assert return_keys(aml_extension, "extension") == keys
    assert return_keys(aml_extension_info, "extensions") == keys


def test_return_docs_list_exactly_the_cluster_keys_and_the_top_level_results():
    facts = ClusterFacts("managedClusters", "/subscriptions/s/resourceGroups/g/providers/p/t/n", "n", "eastus")
    documented = return_keys(aml_extension, "cluster")
    assert documented == set(facts.view())
    top = set(yaml.safe_load(aml_extension.RETURN))
    # What ExtensionRunner.finish() returns besides `changed` and `diff`, which Ansible documents itself.
    assert top == {"extension", "cluster", "changed_settings", "actions"}
    assert set(yaml.safe_load(aml_extension_info.RETURN)) == {"extensions"}


# Modules whose wait_timeout is another fact than the wait for Azure, with their own default and the reason.
OTHER_WAIT_DEFAULTS = {
    # Waits for the cluster's nodes to advertise nvidia.com/gpu after the device plugin, not for Azure.
    "aml_gpu_info": 300,
}


def documented_options(module) -> dict:
    """A module's documented options, with those of the collection's own doc fragments it extends."""
    doc = yaml.safe_load(module.DOCUMENTATION)
    merged = {}
    for ref in doc.get("extends_documentation_fragment") or []:
        parts = ref.split(".")
        if parts[:2] != ["azureml", "kubernetes"]:
            continue  # another collection's fragment (kubernetes.core.k8s_auth_options): no wait options
        fragment = importlib.import_module(f"ansible_collections.azureml.kubernetes.plugins.doc_fragments.{parts[2]}")
        text = getattr(fragment.ModuleDocFragment, parts[3] if len(parts) > 3 else "DOCUMENTATION")
        merged.update((yaml.safe_load(text) or {}).get("options") or {})
    merged.update(doc.get("options") or {})
    return merged


def test_one_version_and_one_wait_default():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert COLLECTION_VERSION == galaxy["version"]
    fragment = yaml.safe_load(WaitDoc.DOCUMENTATION)
    assert fragment["options"]["wait_timeout"]["default"] == DEFAULT_WAIT_TIMEOUT
    # Every module, found on disk so that a new one cannot slip by: the wait_timeout of its argument spec and of
    # its documentation (own or through a fragment) are both DEFAULT_WAIT_TIMEOUT, or both its listed other default.
    found, wrong = set(), []
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        name = path.stem
        module = importlib.import_module(f"ansible_collections.azureml.kubernetes.plugins.modules.{name}")
        spec = getattr(module, "ARGUMENT_SPEC", {}).get("wait_timeout")
        doc = documented_options(module).get("wait_timeout")
        if spec is None and doc is None:
            continue
        found.add(name)
        expected = OTHER_WAIT_DEFAULTS.get(name, DEFAULT_WAIT_TIMEOUT)
        actual = (spec and spec.get("default"), doc and doc.get("default"))
        if actual != (expected, expected):
            wrong.append(f"{name}: spec {actual[0]}, docs {actual[1]}, expected {expected}")
    assert not wrong, wrong
    assert {"aml_extension", "aml_components_info", "aml_resource_provider", "aml_authorized_ip_ranges"} <= found
    assert set(OTHER_WAIT_DEFAULTS) <= found
    assert DEFAULT_WAIT_TIMEOUT not in OTHER_WAIT_DEFAULTS.values()


def test_the_extension_name_rule_is_documented():
    assert "253" in " ".join(options()["name"]["description"])
