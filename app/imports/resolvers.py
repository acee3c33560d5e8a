from __future__ import annotations

import strawberry

from app.api.context import Info, admin
from app.errors import BadUserInput
from app.imports import service
from app.imports.types import ImportReport, ImportSchedulesInput


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Import schedules, escalation policies, rotations, overrides and people "
        "from PagerDuty, Opsgenie or Grafana OnCall (ADMIN). Reads the vendor first (a refused "
        "key, an unreachable vendor or malformed JSON: BAD_USER_INPUT naming apiKey or "
        "baseUrl, nothing written); then, unless dryRun, writes contacts and one transaction "
        "per schedule. Re-runs update what earlier imports made; objects edited here since "
        "are kept and reported unless overwrite."
    )
    async def import_schedules(self, info: Info, input: ImportSchedulesInput) -> ImportReport:
        org_id = admin(info)
        since = input.since or info.context.clock.now().replace(second=0, microsecond=0)
        if since.tzinfo is None:
            raise BadUserInput("needs a UTC offset", field="input.since")
        report = await service.run_import(
            org_id=org_id,
            spec=service.SourceSpec(
                input.source.value, api_key=input.api_key, base_url=input.base_url
            ),
            since=since,
            dry_run=input.dry_run,
            overwrite=input.overwrite,
            settings=info.context.settings,
        )
        return ImportReport.from_report(report)
