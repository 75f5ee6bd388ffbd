# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the user's ``config`` and ``config_protected`` against the settings table (pure).

``normalise`` fixes key case (with a warning), renders values as strings in their canonical spelling, and
refuses unknown, misplaced, duplicated or ill-typed keys, all problems at once (``AmlSettingsError``).
Values must be scalars; the one mapping read is ``nodeSelector: {<label>: <value>}``, flattened into
``nodeSelector.<label>`` keys exactly as the flat form would be (one level).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import (
    BOOL,
    BY_KEY,
    BY_LOWER_KEY,
    INTERNAL,
    IN_EITHER,
    IN_PROTECTED,
    IN_SETTINGS,
    LABEL_HINT,
    LEGACY,
    NODE_SELECTOR,
    NODE_SELECTOR_MAP,
    PEM_KEYS,
    PREFIXES,
    SETTINGS,
    STRING,
    WORKLOAD_FLAGS,
    AmlSettingsError,
    Setting,
    as_bool,
    as_choice,
    as_text,
    describe,
)


@dataclass(frozen=True)
class Normalised:
    settings: dict[str, str]
    protected: dict[str, str] = field(repr=False)
    warnings: tuple[str, ...] = ()


def normalise(config: Mapping[str, Any] | None, config_protected: Mapping[str, Any] | None, *,
              allow_unknown: bool = False) -> Normalised:
    """Read both maps against the table; raise ``AmlSettingsError`` listing every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    settings = _normalise_map(config or {}, False, allow_unknown, problems, warnings)
    protected = _normalise_map(config_protected or {}, True, allow_unknown, problems, warnings)
    for key in sorted(settings.keys() & protected.keys()):
        problems.append(
            "%s is given in both config and config_protected: keep it in one of them (config_protected if "
            "it is a secret)" % key
        )
    if problems:
        raise AmlSettingsError(problems)
    return Normalised(settings, protected, tuple(warnings))


def _map_name(protected: bool) -> str:
    return "config_protected" if protected else "config"


def _normalise_map(raw: Mapping[str, Any], protected: bool, allow_unknown: bool,
                   problems: list[str], warnings: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    in_mapping: dict[str, bool] = {}  # key -> whether it came from a nodeSelector mapping
    where = _map_name(protected)
    for given, raw_value, from_mapping in _entries(raw, where, problems, warnings):
        if from_mapping:
            key, setting = given, NODE_SELECTOR
        else:
            key, setting = _resolve_key(given)
        if setting is not None and setting.prefix and key == setting.key:
            problems.append("%s key %r has %s label: %s" % (
                where, NODE_SELECTOR_MAP if from_mapping else key, "an empty" if from_mapping else "no", LABEL_HINT))
            continue
        if setting is None and not allow_unknown:
            problems.append(_unknown_key_message(given, where))
            continue
        if setting is None:
            warnings.append("%s key %r is not a known AzureML setting; it is passed through unchecked" % (where, given))
        elif key != given:
            warnings.append("%s key %r was read as %r" % (where, given, key))
        if key in out:
            problems.append("%s: %s is given twice (%s): keep one" % (where, key, _twice(key, in_mapping[key], from_mapping)))
            continue
        if setting is not None and not _placement_ok(setting, key, protected, problems, warnings):
            continue
        value = _coerce(setting, key, raw_value, protected, problems, from_mapping)
        if value is not None:
            out[key] = value
            in_mapping[key] = from_mapping
    return out


def _entries(raw: Mapping[str, Any], where: str, problems: list[str], warnings: list[str]) -> Iterator[tuple[str, Any, bool]]:
    """(key as given, value, from a nodeSelector mapping) for each entry, the mapping flattened in place.

    A generator, so that its problems and warnings keep their place among those of the other entries.
    """
    for raw_key, raw_value in raw.items():
        given = str(raw_key)
        if given.lower() != NODE_SELECTOR_MAP.lower():
            yield given, raw_value, False
            continue
        if given != NODE_SELECTOR_MAP:
            warnings.append("%s key %r was read as %r" % (where, given, NODE_SELECTOR_MAP))
        if not isinstance(raw_value, Mapping):
            problems.append("%s in %s must be a mapping of node labels to values: write %s: {<label>: <value>} or "
                            "%s<label>: <value>" % (NODE_SELECTOR_MAP, where, NODE_SELECTOR_MAP, NODE_SELECTOR.key))
            continue
        # The labels keep their case: Kubernetes label keys are case-sensitive.
        for label, value in raw_value.items():
            yield NODE_SELECTOR.key + str(label), value, True


def _twice(key: str, first_in_mapping: bool, again_in_mapping: bool) -> str:
    if first_in_mapping and again_in_mapping:
        return "in two %s mappings" % NODE_SELECTOR_MAP
    if first_in_mapping or again_in_mapping:
        return "as %s and in the %s mapping" % (key, NODE_SELECTOR_MAP)
    return "differing only in case"


def _resolve_key(given: str) -> tuple[str, Setting | None]:
    if given in BY_KEY:
        return given, BY_KEY[given]
    setting = BY_LOWER_KEY.get(given.lower())
    if setting is not None:
        return setting.key, setting
    for prefix in PREFIXES:
        if given.lower().startswith(prefix.key.lower()):
            # Only the prefix is ours to fix: the label after it is case-sensitive in Kubernetes.
            return prefix.key + given[len(prefix.key):], prefix
    return given, None


def _unknown_key_message(given: str, where: str) -> str:
    candidates = [s.key for s in SETTINGS if s.origin != INTERNAL]
    close = difflib.get_close_matches(given, candidates, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(given.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
        close = [BY_LOWER_KEY[c].key if c in BY_LOWER_KEY else NODE_SELECTOR.key for c in close]
    hint = ""
    if close:
        # The suggestion says what the key does, from the table's description, so it can be checked at a glance.
        what = re.split(r"[.;:(]", (BY_KEY[close[0]] if close[0] in BY_KEY else NODE_SELECTOR).description)[0].strip()
        shown = NODE_SELECTOR.key + "<label>" if close[0] == NODE_SELECTOR.key else close[0]
        hint = "did you mean %s (%s)? " % (shown, what)
    return "%s key %r is not an AzureML extension setting: %sfix or remove it" % (where, given, hint)


def _placement_ok(setting: Setting, key: str, protected: bool, problems: list[str], warnings: list[str]) -> bool:
    if setting.origin == INTERNAL:
        problems.append("%s is computed by this collection, not set directly: set %s instead" % (key, setting.instead))
        return False
    if setting.where == IN_PROTECTED and not protected:
        problems.append("%s holds a secret or a local path and belongs in config_protected: move %s to "
                        "config_protected" % (key, key))
        return False
    if setting.where == IN_SETTINGS and protected:
        problems.append("%s is a public setting: move %s to config" % (key, key))
        return False
    if setting.origin == LEGACY:
        warnings.append("%s is a legacy setting that current extension versions may ignore: use %s"
                        % (key, setting.instead))
    return True


def _coerce(setting: Setting | None, key: str, value: Any, protected: bool, problems: list[str],
            from_mapping: bool = False) -> str | None:
    where = _map_name(protected)
    if value is None:
        problems.append("%s in %s has no value: give a value or remove the key" % (key, where))
        return None
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        hint = ": %s takes one level of <label>: <value>" % NODE_SELECTOR_MAP if from_mapping else ""
        problems.append("%s in %s must be a scalar (a string, number or boolean), not a list or mapping%s"
                        % (key, where, hint))
        return None
    if setting is None or setting.kind == STRING:
        return _coerce_string(setting, key, value, where, problems)
    if setting.kind == BOOL:
        return _coerce_bool(setting, key, value, protected, problems)
    return _coerce_enum(setting, key, value, protected, problems)


def _coerce_string(setting: Setting | None, key: str, value: Any, where: str, problems: list[str]) -> str | None:
    # A YAML boolean as a Kubernetes label value means the label text nodes carry: 'true', not 'True'.
    text = str(value).lower() if isinstance(value, bool) and setting is not None and setting.prefix else as_text(value)
    # An empty label value is valid in a nodeSelector; elsewhere an empty value is a mistake.
    if text == "" and setting is not None and not setting.prefix:
        problems.append("%s in %s is empty: give a value or remove the key" % (key, where))
        return None
    return text


def _shown(value: Any, protected: bool) -> str:
    # Values of protected settings are never repeated back.
    return "a hidden value" if protected else repr(value)


def _coerce_bool(setting: Setting, key: str, value: Any, protected: bool, problems: list[str]) -> str | None:
    flag = as_bool(value)
    if flag is None:
        problems.append("%s must be true or false (any case), got %s: set %s: true or %s: false"
                        % (key, _shown(value, protected), key, key))
        return None
    return setting.spelling[0] if flag else setting.spelling[1]


def _coerce_enum(setting: Setting, key: str, value: Any, protected: bool, problems: list[str]) -> str | None:
    choice = as_choice(setting, value)
    if choice is None:
        problems.append("%s must be %s (any case), got %s" % (key, _or_list(setting.choices), _shown(value, protected)))
    return choice


def _or_list(choices: tuple[str, ...]) -> str:
    return choices[0] if len(choices) == 1 else "%s or %s" % (", ".join(choices[:-1]), choices[-1])


def needs_cryptography(normalised: Normalised) -> bool:
    """PEM files are given, so ``validate``/``compute`` will read them with ``cryptography``."""
    return any(key in normalised.protected for key in PEM_KEYS)


def non_secret_protected_keys(normalised: Normalised) -> list[str]:
    """Keys the user put in config_protected that the table does not hold secret, in the order given.

    These are the keys that may be given in either map (``where == IN_EITHER``: booleans, enum choices,
    ordinary strings such as ``sslCname``); every value sent as protected is masked in the output, so a
    ``true`` there hides every ``true``. Not listed: secrets and PEM paths (``IN_PROTECTED``), unknown keys
    (they may be secrets), and ``enableTraining``/``enableInference``, which ``compute`` moves to the
    public settings.
    """
    listed = []
    for key in normalised.protected:
        setting = describe(key)
        if setting is not None and setting.where == IN_EITHER and key not in WORKLOAD_FLAGS:
            listed.append(key)
    return listed
