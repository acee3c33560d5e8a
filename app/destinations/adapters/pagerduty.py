"""PAGERDUTY: the exported shifts as overrides on a PagerDuty schedule (REST API v2).

A replace of [range_start, range_end):

1. every contact is mapped to a PagerDuty user: ``config.userMap`` (by email, then by contact
   name), else ``GET /users?query=<email>`` with an exact email match (cached per export);
   unmapped contacts fail the export before anything is written;
2. ``GET /schedules/{id}/overrides?since&until`` reads what is there now;
3. a previous override (``previous_items``) still there with the same user and times as a
   segment is kept untouched (no gap in coverage, nothing reported); an unrecorded override
   with exactly a segment's user and times is adopted (an export that crashed after writing it);
4. every other previous override is deleted (404: already gone; one that has already ended is
   left alone, the past cannot change), then one override is created per remaining segment.

External ids are PagerDuty override ids. Messages never contain the API token.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from app import clock, outbound
from app.destinations.adapters.base import (
    ExportFailed,
    ExportRequest,
    ExportResult,
    Person,
    PreviousItem,
    Segment,
)

DEFAULT_BASE_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
KEY_HEADER = "Idempotency-Key"
_USER_PAGES = 5

Signature = tuple[str, datetime, datetime]  # (user id, start, end)


def pd_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _positive(value: Any, *, maximum: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= maximum


def _describe(person: Person | None, contact_id: int) -> str:
    if person is None:
        return f"contact #{contact_id}"
    return f"{person.name} ({person.email})" if person.email else f"{person.name} (no email)"


class _Api:
    """The calls of one export: base URL, headers, retry policy and timeout."""

    def __init__(self, request: ExportRequest, session: aiohttp.ClientSession) -> None:
        config = request.config
        self.session = session
        self.base = str(config.get("baseUrl") or DEFAULT_BASE_URL).rstrip("/")
        self.schedule_id = str(config["scheduleId"])
        self.schedule_path = f"/schedules/{quote(self.schedule_id, safe='')}"
        initial = float(config.get("retryInitialSeconds", 0.5))
        self.policy = outbound.RetryPolicy(
            attempts=int(config.get("maxAttempts", 5)), initial=initial, jitter=initial
        )
        self.timeout = float(config.get("timeoutSeconds", 10))
        self.headers = {
            "Authorization": f"Token token={request.secrets.get('apiToken', '')}",
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }
        if config.get("fromEmail"):
            self.headers["From"] = str(config["fromEmail"])

    async def call(
        self,
        method: str,
        path: str,
        *,
        ok: Iterable[int],
        params: Mapping[str, str] | None = None,
        body: Any = None,
        key: str | None = None,
    ) -> outbound.Reply:
        headers = dict(self.headers)
        if key is not None:
            headers[KEY_HEADER] = key
        reply = await outbound.request(
            self.session,
            method,
            self.base + path,
            retry=self.policy,
            timeout=self.timeout,
            ok=frozenset(ok) | {401, 403},
            params=params,
            data=json.dumps(body).encode() if body is not None else None,
            headers=headers,
        )
        if reply.status == 401:
            raise ExportFailed("PagerDuty refused the API token (HTTP 401): check secrets.apiToken")
        if reply.status == 403:
            raise ExportFailed(
                f"PagerDuty denied {method} {path} (HTTP 403): the API key needs read-write access"
            )
        return reply

    def schedule_missing(self) -> ExportFailed:
        return ExportFailed(
            f"PagerDuty schedule {self.schedule_id} was not found (HTTP 404): "
            "check config.scheduleId"
        )

    def json(self, reply: outbound.Reply, what: str) -> Any:
        try:
            return reply.json()
        except ValueError:
            raise ExportFailed(
                f"PagerDuty answered {what} with something that is not JSON"
            ) from None


class PagerDutyAdapter:
    """config: scheduleId, baseUrl? (default https://api.pagerduty.com), userMap? ({email or
    contact name: PagerDuty user id}), fromEmail?, timeoutSeconds?, maxAttempts?;
    secrets: apiToken (a REST API key)."""

    kind = "PAGERDUTY"
    address_field = "baseUrl"
    default_address: str | None = DEFAULT_BASE_URL
    bound_secrets: tuple[str, ...] = ("apiToken",)
    credential_config: tuple[str, ...] = ()
    keeps_items = True

    def check_config(
        self, config: Mapping[str, Any], secrets: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        problems = []
        base = config.get("baseUrl", DEFAULT_BASE_URL)
        parts = urlsplit(base) if isinstance(base, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(("config.baseUrl", "must be an http or https URL"))
        elif parts.username is not None or parts.password is not None:
            problems.append(("config.baseUrl", "must not contain credentials"))
        schedule = config.get("scheduleId")
        if not isinstance(schedule, str) or not schedule.strip() or "/" in schedule:
            problems.append(
                ("config.scheduleId", "the id of the PagerDuty schedule (like PABC123) is required")
            )
        user_map = config.get("userMap", {})
        if not isinstance(user_map, Mapping) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
            for k, v in user_map.items()
        ):
            problems.append(
                ("config.userMap", "must map emails or contact names to PagerDuty user ids")
            )
        if "fromEmail" in config and (
            not isinstance(config["fromEmail"], str) or "@" not in config["fromEmail"]
        ):
            problems.append(("config.fromEmail", "must be an email address"))
        if "timeoutSeconds" in config and not _positive(config["timeoutSeconds"], maximum=120):
            problems.append(
                ("config.timeoutSeconds", "must be a number of seconds between 0 and 120")
            )
        attempts = config.get("maxAttempts", 5)
        if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 10:
            problems.append(("config.maxAttempts", "must be a whole number from 1 to 10"))
        token = secrets.get("apiToken")
        if not isinstance(token, str) or not token.strip():
            problems.append(("secrets.apiToken", "a PagerDuty REST API key is required"))
        return problems

    async def export(self, request: ExportRequest, session: aiohttp.ClientSession) -> ExportResult:
        token = str(request.secrets.get("apiToken") or "")
        try:
            return await self._replace(request, _Api(request, session))
        except outbound.OutboundError as exc:
            message = str(exc)
            if token:
                message = message.replace(token, "***")
            if not message.startswith("PagerDuty"):
                message = f"PagerDuty: {message}"
            raise ExportFailed(message, status=exc.status) from None

    # ------------------------------------------------------------------------ steps

    async def _replace(self, request: ExportRequest, api: _Api) -> ExportResult:
        users = await self._users(request, api)
        existing = await self._overrides(request, api)
        now = clock.now()

        result = ExportResult()
        previous = list(dict.fromkeys(p.external_id for p in request.previous_items))
        claimed: set[str] = set()
        to_create: list[tuple[Segment, str]] = []
        for segment in request.segments:
            signature = (users[segment.contact_id], segment.start, segment.end)
            kept = next(
                (i for i in previous if i not in claimed and existing.get(i) == signature), None
            )
            if kept is not None:
                claimed.add(kept)
                continue
            adopted = next(
                (
                    i
                    for i, s in existing.items()
                    if i not in claimed and i not in previous and s == signature
                ),
                None,
            )
            if adopted is not None:
                claimed.add(adopted)
                result.created.append(PreviousItem(adopted, segment.start, segment.end))
                continue
            to_create.append((segment, signature[0]))

        ended = {p.external_id for p in request.previous_items if p.end <= now}
        for override_id in previous:
            if override_id in claimed:
                continue
            if override_id not in ended:
                # 404: already gone. (200 is PagerDuty truncating one that is running now.)
                await api.call(
                    "DELETE",
                    f"{api.schedule_path}/overrides/{quote(override_id, safe='')}",
                    ok={200, 204, 404},
                )
            result.removed.append(override_id)

        for segment, user_id in to_create:
            reply = await api.call(
                "POST",
                f"{api.schedule_path}/overrides",
                ok={200, 201, 404},
                body={
                    "override": {
                        "start": pd_time(segment.start),
                        "end": pd_time(segment.end),
                        "user": {"id": user_id, "type": "user_reference"},
                        "time_zone": "UTC",
                    }
                },
                key=f"{request.idempotency_key}:{pd_time(segment.start)}",
            )
            if reply.status == 404:
                raise api.schedule_missing()
            data = api.json(reply, "a new override")
            override = data.get("override") if isinstance(data, dict) else None
            new_id = override.get("id") if isinstance(override, dict) else None
            if not isinstance(new_id, str) or not new_id:
                raise ExportFailed("PagerDuty answered a new override without its id")
            result.created.append(PreviousItem(new_id, segment.start, segment.end))
        return result

    async def _users(self, request: ExportRequest, api: _Api) -> dict[int, str]:
        """PagerDuty user id per contact of the segments; ExportFailed naming every contact
        that has none."""
        user_map: dict[str, str] = {
            str(k).strip().lower(): str(v).strip()
            for k, v in (request.config.get("userMap") or {}).items()
        }
        lookups: dict[str, str | None] = {}
        found: dict[int, str] = {}
        missing: list[str] = []
        for contact_id in dict.fromkeys(s.contact_id for s in request.segments):
            person = request.people.get(contact_id)
            email = person.email.strip().lower() if person and person.email else None
            name = person.name.strip().lower() if person else None
            user_id: str | None = (user_map.get(email) if email else None) or (
                user_map.get(name) if name else None
            )
            if user_id is None and email:
                if email not in lookups:
                    lookups[email] = await self._lookup(api, email)
                user_id = lookups[email]
            if user_id is None:
                missing.append(_describe(person, contact_id))
            else:
                found[contact_id] = user_id
        if missing:
            raise ExportFailed(
                f"PagerDuty has no user for {', '.join(missing)}: give each contact the email "
                "address of their PagerDuty user, or map them in config.userMap "
                '({"<email or contact name>": "<PagerDuty user id>"})'
            )
        return found

    async def _lookup(self, api: _Api, email: str) -> str | None:
        offset = 0
        for _ in range(_USER_PAGES):
            reply = await api.call(
                "GET",
                "/users",
                ok={200},
                params={"query": email, "limit": "100", "offset": str(offset)},
            )
            data = api.json(reply, "the user lookup")
            users = data.get("users") if isinstance(data, dict) else None
            for user in users if isinstance(users, list) else []:
                if (
                    isinstance(user, dict)
                    and str(user.get("email", "")).strip().lower() == email
                    and isinstance(user.get("id"), str)
                ):
                    return str(user["id"])
            if not (isinstance(data, dict) and data.get("more")) or not users:
                return None
            offset += len(users)
        return None

    async def _overrides(self, request: ExportRequest, api: _Api) -> dict[str, Signature]:
        """The overrides on the schedule overlapping the range, by id."""
        reply = await api.call(
            "GET",
            f"{api.schedule_path}/overrides",
            ok={200, 404},
            params={"since": pd_time(request.range_start), "until": pd_time(request.range_end)},
        )
        if reply.status == 404:
            raise api.schedule_missing()
        data = api.json(reply, "the list of overrides")
        overrides = data.get("overrides") if isinstance(data, dict) else None
        out: dict[str, Signature] = {}
        for o in overrides if isinstance(overrides, list) else []:
            if not isinstance(o, dict) or not isinstance(o.get("id"), str):
                continue
            user = o.get("user")
            start, end = _parse_time(o.get("start")), _parse_time(o.get("end"))
            if isinstance(user, dict) and isinstance(user.get("id"), str) and start and end:
                out[o["id"]] = (user["id"], start, end)
        return out
