"""The pub/sub channels destinations and schedules publish on (subscriptions listen)."""

from __future__ import annotations


def destination_channel(schedule_id: int) -> str:
    return f"schedule:{schedule_id}:destinations"


def schedule_channel(schedule_id: int) -> str:
    return f"schedule:{schedule_id}:status"
