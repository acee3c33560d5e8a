"""WEBHOOK: POST the range and its shifts as JSON, signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from app import outbound
from app.destinations.adapters.base import ExportRequest, ExportResult

SIGNATURE_HEADER = "X-Rotagraph-Signature"
KEY_HEADER = "Idempotency-Key"


def body_of(request: ExportRequest) -> bytes:
    payload = {
        "destinationId": request.destination_id,
        "schedule": request.schedule_name,
        "range": {"start": request.range_start.isoformat(), "end": request.range_end.isoformat()},
        "shifts": [
            {
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "contact": {
                    "id": s.contact_id,
                    "name": request.people[s.contact_id].name
                    if s.contact_id in request.people
                    else None,
                    "email": request.people[s.contact_id].email
                    if s.contact_id in request.people
                    else None,
                },
            }
            for s in request.segments
        ],
        "idempotencyKey": request.idempotency_key,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookAdapter:
    """config: url (http/https), timeoutSeconds, maxAttempts; secrets: signingSecret."""

    kind = "WEBHOOK"
    address_field = "url"
    default_address: str | None = None
    # The signing secret never travels (only signatures do), so it may stay on a new URL.
    bound_secrets: tuple[str, ...] = ()
    credential_config: tuple[str, ...] = ("url",)
    keeps_items = False

    def check_config(
        self, config: Mapping[str, Any], secrets: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        problems = []
        url = config.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(("config.url", "an http or https URL is required"))
        if not isinstance(secrets.get("signingSecret"), str) or len(secrets["signingSecret"]) < 16:
            problems.append(
                ("secrets.signingSecret", "a signing secret of at least 16 characters is required")
            )
        return problems

    async def export(self, request: ExportRequest, session: aiohttp.ClientSession) -> ExportResult:
        body = body_of(request)
        headers = {
            "Content-Type": "application/json",
            KEY_HEADER: request.idempotency_key,
            SIGNATURE_HEADER: sign(str(request.secrets.get("signingSecret", "")), body),
        }
        policy = outbound.RetryPolicy(
            attempts=int(request.config.get("maxAttempts", 5)),
            initial=float(request.config.get("retryInitialSeconds", 0.5)),
        )
        await outbound.request(
            session,
            "POST",
            str(request.config["url"]),
            retry=policy,
            timeout=float(request.config.get("timeoutSeconds", 10)),
            data=body,
            headers=headers,
        )
        return ExportResult()
