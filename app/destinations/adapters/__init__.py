"""Destination adapters, one per kind, behind the interface in ``base``."""

from __future__ import annotations

from app.destinations.adapters.base import Adapter


def adapter_for(kind: str) -> Adapter:
    if kind == "WEBHOOK":
        from app.destinations.adapters.webhook import WebhookAdapter

        return WebhookAdapter()
    if kind == "PAGERDUTY":
        from app.destinations.adapters.pagerduty import PagerDutyAdapter

        return PagerDutyAdapter()
    if kind == "CALDAV":
        from app.destinations.adapters.caldav import CalDavAdapter

        return CalDavAdapter()
    raise ValueError(f"unknown destination kind {kind!r}")
