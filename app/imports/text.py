"""The import report as plain text (the command line prints it)."""

from __future__ import annotations

from app.imports.service import Report

ORDER = ("CREATE", "UPDATE", "DELETE", "MATCH", "KEEP", "UNCHANGED", "CANNOT_MAP")


def render(report: Report, *, verbose: bool = False) -> str:
    """The plan (every item except UNCHANGED ones unless ``verbose``), the counts, and the
    equivalence table with each disagreement."""
    head = "Dry run: nothing written." if report.dry_run else "Applied."
    lines = [
        f"{head} Source: {report.vendor}. Window: {report.since.isoformat()} to "
        f"{report.until.isoformat()}.",
        "",
        "Plan:",
    ]
    for action in ORDER:
        for item in report.items:
            if item.action != action or (action == "UNCHANGED" and not verbose):
                continue
            why = f" ({item.reason})" if item.reason else ""
            lines.append(f"  {action:<10} {item.kind:<8} {item.name} [{item.source_id}]{why}")
    counts = report.counts()
    lines.append("  " + ", ".join(f"{a} {counts[a]}" for a in ORDER if a in counts))
    lines += ["", "Equivalence (next 28 days, our final shifts against the source's):"]
    if not report.equivalence:
        lines.append("  nothing to compare: the source rendered no final schedule")
    width = max((len(e.schedule) for e in report.equivalence), default=8)
    for e in report.equivalence:
        lines.append(
            f"  {e.schedule:<{width}}  tier {e.tier_number}  from {e.source_schedule_name} "
            f"[{e.source_schedule_id}]: {e.agreement * 100:.2f} % agree, "
            f"{len(e.disagreements)} disagreement(s)"
        )
        for d in e.disagreements:
            lines.append(
                f"    {d.start.isoformat()} - {d.end.isoformat()}: source "
                f"{', '.join(d.source) or 'nobody'}; here {', '.join(d.ours) or 'nobody'}: "
                f"{d.reason}"
            )
    return "\n".join(lines)
