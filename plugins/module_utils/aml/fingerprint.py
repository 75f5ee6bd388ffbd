# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Know whether protected settings changed, although Azure never returns them (pure).

When the module sends protected settings it also stores, in the public setting FINGERPRINT_KEY, a salted
PBKDF2-SHA256 fingerprint of them. The next run recomputes it with the stored salt: equal means the
certificate, key or secret is unchanged, so nothing is sent; different (a rotated certificate) means the
complete protected set is sent again. The slow salted hash keeps the fingerprint from revealing the
values, which are high-entropy here (keys, certificates, connection strings).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Mapping

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.settings_table import FINGERPRINT_KEY
ALGORITHM = "pbkdf2-sha256"
ITERATIONS = 200_000
POLICIES = ("when_changed", "on_create", "always")


def _digest(protected: Mapping[str, str], salt: bytes, iterations: int) -> bytes:
    canonical = json.dumps(dict(protected), sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", canonical, salt, iterations)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(protected: Mapping[str, str], salt: bytes | None = None) -> str:
    """`pbkdf2-sha256$<iterations>$<salt>$<digest>` of the protected map."""
    salt = salt if salt is not None else os.urandom(16)
    return f"{ALGORITHM}${ITERATIONS}${_b64(salt)}${_b64(_digest(protected, salt, ITERATIONS))}"


def matches(protected: Mapping[str, str], stored: str | None) -> bool:
    """Whether `stored` is a fingerprint of exactly this protected map."""
    try:
        algorithm, iterations, salt, digest = (stored or "").split("$")
        expected = _digest(protected, _unb64(salt), int(iterations))
        return algorithm == ALGORITHM and hmac.compare_digest(expected, _unb64(digest))
    except (ValueError, TypeError):
        return False


def should_send(policy: str, protected: Mapping[str, str], current_settings: Mapping[str, str] | None) -> bool:
    """Whether an existing extension gets the protected settings again under `policy`."""
    if not protected:
        return False
    if policy == "always":
        return True
    if policy == "when_changed":
        return not matches(protected, (current_settings or {}).get(FINGERPRINT_KEY))
    return False  # on_create
