"""Notifications (SPEC §12): telling people what the schedule means for them.

**Channels** (``channels``): EMAIL (sent over SMTP, ``SMTP_URL``) or WEBHOOK (POSTed through
the shared outbound client, HMAC-SHA256 signed like webhook destinations), owned by a
contact or, for alerts, by a schedule. An EMAIL channel is verified by a 6-digit code mailed
to it (valid one hour, five tries); a WEBHOOK channel by a signed ``PING`` answered 2xx at
creation. Only verified, unpaused channels receive notices. A contact's preferences choose
the kinds (REMINDER, CHANGE, COVER_REQUEST), the reminder lead (default 60 minutes) and quiet
hours (local ``HH:MM`` in the contact's zone; reminders and change notices wait for their
end, alerts do not).

**Notices** (one row per message and address, ``models.Notice``):

- reminders (``plan``): a person's shift is a maximal run of touching confirmed rows of one
  tier that include them; each gets a reminder due ``lead`` before its start, planned by a
  periodic job shortly ahead; one confirmed within its lead is due at once;
- change notices (``changes``, a listener of shift confirmation): per person and tier, the
  shifts as last seen (``ShiftSnapshot``) are compared with the confirmed rows within the
  horizon as it was, so shifts that only enter as the horizon moves are no change, and the
  first confirmation of a tier is a baseline. A burst of changes gathers into one PENDING
  notice whose due time moves to ``now + NOTICE_SETTLE_SECONDS`` with each change; when due,
  the first view is compared with the shifts then (added, removed, moved), and a burst that
  was undone is CANCELLED, never sent;
- coverage alerts (``changes``): per schedule, gaps inside the layers' covered time and
  understaffed stretches within the horizon, when a new one appears, and a resolved notice
  when none is left; to the schedule's channels and its default email;
- destination alerts (``plan``): once each time a destination's status becomes ERROR;
- cover-request notices (``cover``, a listener of ``cover_requests.service``): candidates of
  a new request, the requester of each offer, both sides of an acceptance, volunteers of a
  cancellation, the requester of an expiry.

**Delivery** (``delivery``): at least once. Due notices are keyed work of kind "notice" in
the job table (``app.jobs.queue``), so two processes never send one notice at once and a
dead process's notice is taken over when its lease expires; the stable ``uid`` is the
email's Message-ID and the webhook's Idempotency-Key, so receivers drop repeats. Transient
failures retry with doubling backoff (5 s up to 15 min, NOTICE_MAX_ATTEMPTS tries), then
FAILED with the error; permanent ones fail at once. Nothing is sent for the past (a
reminder whose shift started or moved is CANCELLED with the reason). Every status change is
published to ``noticeChanged``.
"""
