"""Cover-request notices (SPEC §11, §12): candidates hear of a request, the requester of an
offer, both of an acceptance; each event once, by email through a real SMTP server."""

from __future__ import annotations

import pytest

from tests.cover_requests.factories import ACCEPT, offer, request, rota
from tests.notifications.helpers import deliver, email_channel, notices, settings_for
from tests.notifications.smtp import parts, smtp_server
from tests.support import Api


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_requester_candidates_and_volunteer_are_told(api: Api) -> None:
    r = await rota(api)
    with smtp_server() as box:
        for name in ("Ann", "Bob", "Cid"):
            await email_channel(api, box, r.ids[name], f"{name.lower()}@example.org")
        codes = len(box.mails)
        asked = await request(api, r, "Ann", "2026-03-02T13:00:00Z", "2026-03-02T15:00:00Z")
        made = await offer(api, r, "Bob", asked["id"])
        await api.ok(ACCEPT, {"o": made["id"]}, token=r.tokens["Ann"])
        await deliver(api, settings_for(box))
        mails = (await box.wait_for(codes + 5))[codes:]
        got = sorted((str(m["To"]), parts(m)["text"].splitlines()[0]) for m in mails)
        assert got == [
            ("ann@example.org", "Bob covers Ann."),
            ("ann@example.org", "Bob offers to cover you."),
            ("bob@example.org", "Ann asks for cover."),
            ("bob@example.org", "Bob covers Ann."),
            ("cid@example.org", "Ann asks for cover."),
        ]
        assert "Mon 2 Mar 13:00 to 15:00 (UTC) on Ops" in parts(mails[0])["text"]
        sent = await notices(api, kind=["COVER_REQUEST"], status=["SENT"])
        assert len(sent) == 5 and {n["data"]["event"] for n in sent} == {
            "REQUESTED",
            "OFFERED",
            "ACCEPTED",
        }
