"""Cover requests: a person on call asks for cover, candidates offer, one offer is accepted and
becomes a substitution (SPEC §11). A workflow above substitutions, schedules and timelines.

Public API
- ``service.request_cover(actor, schedule_id, requester_id, start, end, note, now, max_days)``:
  an OPEN request over [start, end). Refused with BAD_USER_INPUT naming ``from`` / ``to`` /
  ``note`` (window in the past, empty, too long); CONFLICT when the window is not wholly
  within the requester's on-call time on the schedule (``extensions.onCall`` lists their
  on-call stretches within 7 days around it); FORBIDDEN for a PERSON naming another contact.
- ``service.offer_cover`` / ``withdraw_offer`` / ``accept_offer`` / ``cancel_request``;
  ``expiry.expire_started`` (the leased job).
- ``eligibility.assess``: one read of the schedule's tiers and one engine call per tier give
  every contact's on-call time around the window, the layers' participants and their
  unavailability; ``Assessment.candidate_ids(requester)`` and ``why_not_candidate``.
- ``eligibility.rank_candidates``: the order candidates are shown in, least loaded first over
  the 90 days before the window (``app.ledger.ranking``, SPEC §14);
  ``eligibility.suggest_cover`` lists the eligible people of any window ranked the same way.
- ``query.list_requests(org_id, criteria)``; ``service.channel(schedule_id)`` is the pub/sub
  channel of ``coverRequestChanged``.

Rules and guarantees
- Candidates: participants of the schedule's layers (groups expanded), other than the
  requester, with no unavailability (unavailability substitutions reaching the schedule,
  imported busy time) within the window and on call in no tier of the schedule during it.
- Status: OPEN -> OFFERED (an offer stands) -> ACCEPTED; OFFERED -> OPEN when the last offer
  is withdrawn; OPEN / OFFERED / ACCEPTED -> CANCELLED before the window starts; OPEN /
  OFFERED -> EXPIRED once it starts. Each move is a compare-and-set on the previous status:
  of two concurrent accepts exactly one wins (both backends), the other is CONFLICT and its
  transaction writes nothing.
- Accepting creates the REPLACEMENT substitution (requester -> volunteer, scoped to the
  schedule, ``between`` the window) in the same transaction, so shifts, confirmed
  assignments, exports and feeds change exactly as for that substitution; cancelling an
  accepted request deletes it, restoring them.
- Every change publishes ``{"coverRequestId"}`` on the schedule's channel after commit.
"""
