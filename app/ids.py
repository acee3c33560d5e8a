"""Global ids: opaque strings naming a type and a primary key (Relay's object identification)."""

from __future__ import annotations

import base64


def encode_id(type_name: str, pk: int) -> str:
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
