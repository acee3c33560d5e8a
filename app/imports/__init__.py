"""Imports from PagerDuty, Opsgenie and Grafana OnCall (SPEC §10): a workflow-level package.

Public API
----------
``service.run_import(org_id, spec, since, dry_run, overwrite=False, days=28) -> Report``
    Read the source described by ``SourceSpec(vendor, api_key, base_url | directory)``, map
    it, plan, apply unless ``dry_run``, and compare our final shifts with the source's own
    rendered final schedule over [since, since + days).
``service.read_source(spec, since, until) -> source.Bundle``
    Only the read (used by the benchmark).
``Report``: ``items`` (plan items: kind, source id, name, action, reason, local id),
``equivalence`` (one row per tier built from a source schedule: agreement share and each
disagreement with its time range, both sides' people and a reason), ``counts()``.

Flow and modules (each one concept)
-----------------------------------
``transport`` (HTTP GET with retries, or saved JSON files) -> ``pagerduty`` / ``opsgenie`` /
``grafana`` (vendor JSON -> ``source`` values) -> ``mapping`` + ``rotations`` (source values
-> ``desired`` values and notes; pure) -> ``state`` (what earlier imports left, one read) ->
``plan`` (actions) -> ``apply`` (through the domain services) -> ``equivalence`` (pure).
``models.ImportLink`` remembers (source, kind, source id) -> local id and a fingerprint of
the object as the import wrote it.

Rules
-----
- Reading finishes before anything is written: a refused key (``apiKey``), an unreachable
  vendor or an HTTP error (``baseUrl``), malformed JSON (``baseUrl`` / ``path``) or data of an
  unexpected shape (``source``) raise one ``SourceError`` (BAD_USER_INPUT naming that field)
  and nothing is written. Only GET requests are sent, so a read-only key is enough; the key
  is sent in the vendor's auth header and appears in no message, log line or report. 429
  waits for ``Retry-After`` (at most 60 s) and 5xx are retried (5 tries in all), a connection
  that cannot be made 3 times.
- Each escalation policy becomes a schedule and each rule a tier (a rule with one schedule
  gets that schedule's layers and overrides; a rule notifying people gets one layer with all
  of them on call; anything else is noted); a schedule used by no expressible rule becomes a
  one-tier schedule. Users become contacts matched by email (case-insensitive), created when
  missing. Overrides that end after ``since`` become on-demand shifts.
- Every imported object keeps its source id (``ImportLink``): a re-run updates in place and
  never makes a second copy. An object edited or deleted here since the last import is KEEP (left as
  it is, reported) unless ``overwrite``. Layers and on-demand shifts gone from the source are
  deleted when untouched here; schedules and tiers gone from the source are kept and reported.
- Imported layers keep the SPEC §9 defaults except ``advance``: ACTIVE_TURNS where the source
  moves a rotation on its event days only (Grafana OnCall daily rotations on chosen weekdays).
  Updating an imported layer mirrors the source's rotation (no roster continuation); a roster
  change made here is a local edit.
- Writes go through the domain services: contacts in one transaction, then one transaction
  per schedule; a schedule that cannot be written leaves the ones before it in place.
- What cannot be expressed is a CANNOT_MAP item with its reason, never dropped in silence; the
  equivalence report explains each disagreement by the note it comes from ("unexplained" is
  a bug to report).

Edge cases
----------
- A source layer whose coverage starts mid-turn in the future starts at that turn's start here
  (noted). Layers that ended before ``since`` are not imported (noted).
- Turn lengths that are not whole hours are rounded to whole hours (noted); windows longer
  than a day (daily) or a week (weekly) are shortened (noted).
- Opsgenie notifies every rotation at once; a tier shows one layer at a time, so overlaps
  differ and are listed as such in the report.
"""
