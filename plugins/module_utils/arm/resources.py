# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes through the SDK clients: their models as ARM JSON, exact bodies, one call (raises, never exits).

Reads are plain ARM GETs (arm/rest).
"""

from __future__ import annotations

import io
import json
from typing import Any, Callable

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError

try:
    from azure.core.exceptions import AzureError, DeserializationError
except ImportError:  # AzureModule reports the missing SDK
    AzureError = DeserializationError = LookupError  # never raised then


def to_rest(model: Any) -> dict[str, Any]:
    """An SDK model as its ARM JSON (REST key names), whichever generator made the SDK."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    serialize = getattr(model, "serialize", None)
    if callable(serialize):  # AutoRest (msrest) models
        return serialize(keep_readonly=True)
    return dict(model.as_dict())  # TypeSpec models keep REST names


def json_body(body: dict[str, Any]) -> io.BytesIO:
    """The body as JSON bytes, so the SDK sends exactly it (its models would add defaults)."""
    return io.BytesIO(json.dumps(body).encode("utf-8"))


def call(operation: Callable[[], Any], action: str) -> Any:
    """Run one SDK call; an Azure error (or an unreadable answer) raises AzureCallError naming `action`."""
    try:
        return operation()
    except (AzureError, DeserializationError) as exc:  # the latter is a ValueError: an unreadable answer
        raise AzureCallError(exc, action) from exc
