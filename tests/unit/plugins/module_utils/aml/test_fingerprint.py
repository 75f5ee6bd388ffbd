"""The fingerprint that tells whether protected settings changed, without storing them."""

from __future__ import annotations

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.fingerprint import (
    FINGERPRINT_KEY,
    fingerprint,
    matches,
    should_send,
)

PROTECTED = {"scoringFe.sslCert": "Y2VydA==", "scoringFe.sslKey": "a2V5"}


def test_a_fingerprint_matches_the_same_map_in_any_order_only():
    stamp = fingerprint(PROTECTED)
    assert matches(dict(reversed(list(PROTECTED.items()))), stamp)
    assert not matches({**PROTECTED, "scoringFe.sslKey": "b3RoZXI="}, stamp)
    assert not matches({"scoringFe.sslCert": "Y2VydA=="}, stamp)


def test_salts_differ_and_values_do_not_show():
    first, second = fingerprint(PROTECTED), fingerprint(PROTECTED)
    assert first != second
    assert first.startswith("pbkdf2-sha256$")
    for value in PROTECTED.values():
        assert value not in first


def test_garbage_or_missing_fingerprints_never_match():
    for stored in (None, "", "md5$1$x$y", "pbkdf2-sha256$x$y$z", "pbkdf2-sha256$10$!!$??"):
        assert not matches(PROTECTED, stored)


def test_policies():
    current = {FINGERPRINT_KEY: fingerprint(PROTECTED)}
    assert should_send("when_changed", PROTECTED, current) is False
    assert should_send("when_changed", {**PROTECTED, "scoringFe.sslKey": "bmV3"}, current) is True
    assert should_send("when_changed", PROTECTED, {}) is True  # installed by another tool: send once
    assert should_send("on_create", {**PROTECTED, "scoringFe.sslKey": "bmV3"}, current) is False
    assert should_send("always", PROTECTED, current) is True
    assert should_send("always", {}, current) is False
