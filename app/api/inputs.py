"""Helpers for input objects: omitted fields stay unchanged, explicit null clears."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry


def changes_of(patch: object) -> dict[str, Any]:
    """The fields a client actually sent in a patch input (UNSET ones are left out)."""
    return {
        f.name: getattr(patch, f.name)
        for f in dataclasses.fields(patch)  # type: ignore[arg-type]
        if getattr(patch, f.name) is not strawberry.UNSET
    }
