"""Notices (SPEC §12) end to end through the API, a real SMTP server and a webhook receiver:
reminders lead minutes before a shift, one change notice per burst after the settle time
(with an .ics of the new shifts), nothing for an undone change or a moving horizon, quiet
hours, coverage alerts and their resolution, destination alerts.

The schedule: Ann and Bob take turns daily from 2026-03-01 (Ann on the 1st, 3rd, 5th; Bob
on the 2nd, 4th), confirmed to the horizon 2026-03-06T00:00; the clock starts at
2026-03-02T12:00Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.jobs import queue
from app.notifications import plan
from app.notifications.models import Notice
from tests.destinations.test_faults import (
    CREATE,
    EXPORT,
    daily_schedule,
    hook_receiver,
    statuses,
    webhook,
)
from tests.notifications.helpers import (
    CREATE_CHANNEL,
    SECRET,
    deliver,
    email_channel,
    notices,
    settings_for,
)
from tests.notifications.smtp import Mailbox, parts, smtp_server
from tests.support import Api
from tests.timelines.factories import set_layers, weekly

ON_DEMAND = """mutation($i: CreateOnDemandShiftInput!) { createOnDemandShift(input: $i) { id } }"""
DELETE_ON_DEMAND = "mutation($id: ID!) { deleteOnDemandShift(id: $id) { deletedId } }"
PREFS = """mutation($c: ID!, $i: NoticePreferenceInput!) {
  updateNoticePreference(contactId: $c, input: $i) { leadMinutes kinds quietStart quietEnd } }"""
CONTACTS = "{ contacts { edges { node { id name } } } }"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def people(api: Api) -> dict[str, str]:
    data = await api.ok(CONTACTS)
    return {e["node"]["name"]: e["node"]["id"] for e in data["contacts"]["edges"]}


async def setup(api: Api, box: Mailbox) -> tuple[dict[str, Any], dict[str, str]]:
    s = await daily_schedule(api)
    who = await people(api)
    await email_channel(api, box, who["Ann"], "ann@example.org")
    return s, who


async def on_demand(api: Api, tier_id: str, contact: str, start: str, end: str) -> str:
    data = await api.ok(
        ON_DEMAND,
        {
            "i": {
                "tierId": tier_id,
                "start": start,
                "end": end,
                "contactIds": [contact],
                "sure": True,
            }
        },
    )
    return str(data["createOnDemandShift"]["id"])


async def test_a_reminder_goes_out_lead_minutes_before_the_shift(api: Api) -> None:
    with smtp_server() as box:
        await setup(api, box)
        settings = settings_for(box)
        api.clock.set(at("2026-03-02T22:30"))  # Ann's shift starts at midnight
        await plan.plan_reminders(now=api.clock.now())
        assert await notices(api, kind=["REMINDER"]) == []  # not within the lookahead yet
        api.clock.set(at("2026-03-02T22:59"))
        await plan.plan_reminders(now=api.clock.now())
        await plan.plan_reminders(now=api.clock.now())  # planning again changes nothing
        (reminder,) = await notices(api, kind=["REMINDER"])
        assert reminder["dueAt"].startswith("2026-03-02T23:00") and reminder["status"] == "PENDING"
        await deliver(api, settings)
        assert len(box.mails) == 1  # the code only: not due yet
        api.clock.set(at("2026-03-02T23:00"))
        await deliver(api, settings)
        mail = (await box.wait_for(2))[-1]
        body = parts(mail)
        assert mail["Subject"] == "On call soon: Ops, tier 1"
        assert mail["Message-ID"] == f"<{reminder['uid']}@rotagraph>"
        assert "Tue 3 Mar 00:00 to Wed 4 Mar 00:00 (UTC)" in body["text"]
        assert "Tue 3 Mar 00:00" in body["html"] and body["attachments"] == {}
        (sent,) = await notices(api, kind=["REMINDER"], status=["SENT"])
        assert sent["attempts"] == 1 and sent["sentAt"].startswith("2026-03-02T23:00")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_shift_confirmed_within_its_lead_is_reminded_at_once(api: Api) -> None:
    with smtp_server() as box:
        s, who = await setup(api, box)
        await on_demand(
            api, s["tiers"][0]["id"], who["Ann"], "2026-03-02T12:30:00Z", "2026-03-02T14:00:00Z"
        )
        await plan.plan_reminders(now=api.clock.now())
        (reminder,) = await notices(api, kind=["REMINDER"])
        assert reminder["dueAt"].startswith("2026-03-02T12:00")
        assert reminder["data"]["start"].startswith("2026-03-02T12:30")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_quiet_hours_and_chosen_kinds(api: Api) -> None:
    with smtp_server() as box:
        _, who = await setup(api, box)
        await api.ok(
            PREFS,
            {
                "c": who["Ann"],
                "i": {"leadMinutes": 240, "quietStart": "18:00", "quietEnd": "23:30"},
            },
        )
        api.clock.set(at("2026-03-02T20:00"))
        await plan.plan_reminders(now=api.clock.now())
        (reminder,) = await notices(api, kind=["REMINDER"])
        assert reminder["dueAt"].startswith("2026-03-02T23:30")
        error = await api.error(
            PREFS, {"c": who["Ann"], "i": {"quietStart": "25:00", "leadMinutes": -1}}
        )
        assert set(error["extensions"]["fields"]) == {"input.quietStart", "input.leadMinutes"}


async def test_a_burst_of_changes_makes_one_notice_with_the_new_shifts(api: Api) -> None:
    with smtp_server() as box:
        s, who = await setup(api, box)
        tier = s["tiers"][0]["id"]
        await on_demand(api, tier, who["Ann"], "2026-03-04T10:00:00Z", "2026-03-04T12:00:00Z")
        api.clock.advance(timedelta(seconds=30))
        await on_demand(api, tier, who["Ann"], "2026-03-04T14:00:00Z", "2026-03-04T15:00:00Z")
        (pending,) = await notices(api, kind=["CHANGE"])
        assert pending["status"] == "PENDING"
        assert pending["dueAt"].startswith("2026-03-02T12:01:30")  # the settle time restarted
        api.clock.advance(timedelta(seconds=60))
        await deliver(api, settings_for(box))
        mail = (await box.wait_for(2))[-1]
        body = parts(mail)
        assert mail["Subject"] == "Your on-call shifts changed"
        assert body["text"] == (
            "Your confirmed shifts changed:\n"
            "+ added: Wed 4 Mar 10:00 to 12:00 (UTC) on Ops, tier 1\n"
            "+ added: Wed 4 Mar 14:00 to 15:00 (UTC) on Ops, tier 1\n"
        )
        assert "Wed 4 Mar 14:00 to 15:00" in body["html"]
        ics = body["attachments"]["shifts.ics"].decode()
        assert ics.count("BEGIN:VEVENT") == 2
        assert "DTSTART:20260304T100000Z" in ics and "DTEND:20260304T150000Z" in ics
        (sent,) = await notices(api, kind=["CHANGE"])
        assert sent["status"] == "SENT" and mail["Message-ID"] == f"<{sent['uid']}@rotagraph>"
        assert len(sent["data"]["changes"]) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_moved_shift_reads_as_moved(api: Api) -> None:
    with smtp_server() as box:
        s, who = await setup(api, box)
        await email_channel(api, box, who["Bob"], "bob@example.org")
        await on_demand(
            api, s["tiers"][0]["id"], who["Ann"], "2026-03-04T00:00:00Z", "2026-03-04T10:00:00Z"
        )
        api.clock.advance(timedelta(minutes=2))
        await deliver(api, settings_for(box))
        mails = await box.wait_for(4)
        by_to = {str(m["To"]): parts(m)["text"] for m in mails[2:]}
        assert by_to["bob@example.org"] == (
            "Your confirmed shifts changed:\n"
            "~ moved: Wed 4 Mar 00:00 to Thu 5 Mar 00:00 (UTC) -> Wed 4 Mar 10:00 to Thu 5 Mar 00:00 (UTC) on Ops, tier 1\n"
        )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_change_while_its_notice_is_being_sent_gets_a_notice_of_its_own(api: Api) -> None:
    with smtp_server() as box:
        s, who = await setup(api, box)
        tier = s["tiers"][0]["id"]
        await on_demand(api, tier, who["Ann"], "2026-03-04T10:00:00Z", "2026-03-04T12:00:00Z")
        (first,) = await notices(api, kind=["CHANGE"])
        # Another process has claimed it and is sending it now.
        pk = (await Notice.get(uid=first["uid"])).id
        await queue.enqueue("notice", str(pk))
        assert len(await queue.claim_keyed("notice", limit=5, lease=60, owner="other")) == 1
        await on_demand(api, tier, who["Ann"], "2026-03-04T14:00:00Z", "2026-03-04T15:00:00Z")
        assert len(await notices(api, kind=["CHANGE"], status=["PENDING"])) == 2


async def test_a_change_undone_before_it_was_due_sends_nothing(api: Api) -> None:
    with smtp_server() as box:
        s, who = await setup(api, box)
        shift = await on_demand(
            api, s["tiers"][0]["id"], who["Ann"], "2026-03-04T10:00:00Z", "2026-03-04T12:00:00Z"
        )
        await api.ok(DELETE_ON_DEMAND, {"id": shift})
        api.clock.advance(timedelta(minutes=5))
        await deliver(api, settings_for(box))
        (notice,) = await notices(api, kind=["CHANGE"])
        assert notice["status"] == "CANCELLED"
        assert notice["error"] == "the changes were undone before the notice was due"
        assert len(box.mails) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_horizon_moving_is_not_a_change(api: Api) -> None:
    with smtp_server() as box:
        s, _ = await setup(api, box)
        api.clock.advance(timedelta(days=1))
        data = await api.ok(
            "mutation($s: ID!) { confirmAssignments(scheduleId: $s) { newAssignment } }",
            {"s": s["id"]},
        )
        assert [c["newAssignment"] for c in data["confirmAssignments"]] == [True]
        assert await notices(api, kind=["CHANGE"]) == []


async def test_coverage_alert_and_resolution_reach_the_schedule_webhook(api: Api) -> None:
    s = await daily_schedule(api)
    who = await people(api)
    async with hook_receiver() as hook:
        await api.ok(
            CREATE_CHANNEL,
            {
                "i": {
                    "kind": "WEBHOOK",
                    "address": hook.url,
                    "scheduleId": s["id"],
                    "signingSecret": SECRET,
                }
            },
        )
        await api.ok(
            "mutation($i: [CreateSubstitutionInput!]!) { createSubstitutions(inputs: $i) { id } }",
            {
                "i": [
                    {
                        "contactId": who["Ann"],
                        "scheduleId": s["id"],
                        "recurrence": {"type": "REPEAT", "from": "2026-03-03", "to": "2026-03-03"},
                    }
                ]
            },
        )
        assert len(hook.deliveries) == 1  # Bob stands in for Ann: no gap, only the ping
        alone = weekly("Ann", "2026-03-01T00:00", [who["Ann"]], unit="DAY", skipUnavailable=False)
        await set_layers(api, s["tiers"][0]["id"], [alone])
        await deliver(api, settings_for())
        await hook.wait_for(2)
        alert = hook.deliveries[1]
        assert alert.body["kind"] == "COVERAGE" and alert.key == alert.body["id"]
        assert alert.body["data"]["tiers"] == [
            {
                "tier": 1,
                "gaps": [["2026-03-03T00:00:00+00:00", "2026-03-04T00:00:00+00:00"]],
                "understaffed": [],
            }
        ]
        assert "gap: Tue 3 Mar 00:00 to Wed 4 Mar 00:00 (UTC) on tier 1" in alert.body["text"]
        both = weekly("Daily", "2026-03-01T00:00", [who["Ann"], who["Bob"]], unit="DAY")
        await set_layers(api, s["tiers"][0]["id"], [both])
        await deliver(api, settings_for())
        await hook.wait_for(3)
        assert hook.deliveries[2].body["kind"] == "COVERAGE_RESOLVED"
        assert "Every gap of Ops (tier 1)" in hook.deliveries[2].body["text"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_destination_in_error_alerts_the_schedule_once(api: Api) -> None:
    s = await daily_schedule(api)
    async with hook_receiver() as alerts, hook_receiver(statuses(400, 400, 400)) as failing:
        await api.ok(
            CREATE_CHANNEL,
            {
                "i": {
                    "kind": "WEBHOOK",
                    "address": alerts.url,
                    "scheduleId": s["id"],
                    "signingSecret": SECRET,
                }
            },
        )
        dest = (await api.ok(CREATE, {"i": webhook(s["id"], failing.url)}))["createDestination"]
        done = (await api.ok(EXPORT, {"id": dest["id"]}))["exportDestination"]
        assert done["status"] == "ERROR"
        await plan.tick()
        await plan.tick()  # still ERROR: no second alert
        await deliver(api, settings_for())
        await alerts.wait_for(2)
        assert [d.body["kind"] for d in alerts.deliveries] == ["PING", "DESTINATION"]
        assert "hook (WEBHOOK) of Ops is in ERROR" in alerts.deliveries[1].body["text"]
