# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one call that turns the task's options into the extension to send: ``desired()`` (pure).

normalise (normalise.py) -> rules (rules.py) -> compute (compute.py), over the settings table
(settings_table.py); every problem raises ``AmlSettingsError`` here, before any write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import ClusterFacts
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.compute import compute
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import DesiredExtension
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.normalise import (
    non_secret_protected_keys,
    normalise,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.rules import validate


def desired(cluster: ClusterFacts, current_settings: Mapping[str, Any] | None, *, config: Mapping[str, Any] | None,
            config_protected: Mapping[str, Any] | None, allow_unknown: bool = False, release_train: str | None = None,
            version: str | None = None,
            auto_upgrade_minor_version: bool | None = None) -> tuple[DesiredExtension, list[str]]:
    """(the extension to send, the warnings for the user). ``current_settings`` None means a create.

    Raises ``AmlSettingsError`` listing every problem, or ``tls.MissingCryptographyError``.
    """
    operation = "update" if current_settings is not None else "create"
    normalised = normalise(config, config_protected, allow_unknown=allow_unknown)
    warnings = list(normalised.warnings)
    warnings += [f"{key} is not a secret: give it in config. In config_protected its value is masked wherever it "
                 "appears in the task output." for key in non_secret_protected_keys(normalised)]
    warnings += validate(normalised, cluster, operation=operation, current_settings=current_settings)
    settings, protected, notes = compute(normalised, cluster, operation=operation, current_settings=current_settings)
    warnings += notes
    # A pinned version cannot auto-upgrade: unset means false then.
    auto_upgrade = False if version and auto_upgrade_minor_version is None else auto_upgrade_minor_version
    return DesiredExtension(cluster_type=cluster.cluster_type, settings=settings, protected=protected,
                            release_train=release_train, version=version,
                            auto_upgrade_minor_version=auto_upgrade), warnings
