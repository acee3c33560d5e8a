"""The two attack documents of the hardening sweep, timed (a script, not a test):

    python scripts/bench_attacks.py [--only shifts|fragments] [--timeout SECONDS]

* ``shifts``: a VIEWER's query with 29 aliases of ``schedule { tiers { shifts } }`` over
  366 days on a schedule of 20 tiers, each with an hourly layer (every alias computes 20
  tiers x 8,784 hourly shifts and serializes them).
* ``fragments``: a 1 kB document of 21 fragments, each spreading the next one twice
  (2^21 paths through one small document).

Each is sent once through the whole app (ASGI, SQLite in a temporary folder) and the script
prints the wall time, the HTTP status, the response size, the first error's code and message
and the process's peak RSS. A small baseline query is timed first, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ALIASES = 29
TIERS = 20
FRAGMENTS = 21


def shifts_document(schedule_id: str, aliases: int = ALIASES) -> str:
    fields = " ".join(
        f'a{i}: schedule(id: "{schedule_id}") {{ tiers {{ shifts(from: "2026-03-01T00:00:00Z", '
        f'to: "2027-03-02T00:00:00Z") {{ start end assignees {{ name }} }} }} }}'
        for i in range(aliases)
    )
    return "query Attack { " + fields + " }"


def fragments_document() -> str:
    parts = ["query Attack { ...F0 }"]
    for i in range(FRAGMENTS - 1):
        parts.append(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}")
    parts.append(f"fragment F{FRAGMENTS - 1} on Query {{ __typename }}")
    return "\n".join(parts)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def send(api: Any, document: str, token: str, seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        response = await asyncio.wait_for(
            api.client.post(
                "/graphql",
                json={"query": document},
                headers={"Authorization": f"Bearer {token}"},
                timeout=seconds,
            ),
            seconds,
        )
    except TimeoutError:
        return {"seconds": time.perf_counter() - started, "status": "timeout"}
    seconds = time.perf_counter() - started
    body = response.content
    error = ""
    if b'"errors"' in body[:200_000] or len(body) < 200_000:
        try:
            first = (response.json().get("errors") or [{}])[0]
            code = first.get("extensions", {}).get("code", "")
            error = f"{code}: {first.get('message', '')[:120]}" if first else ""
        except ValueError:
            error = "(not JSON)"
    return {"seconds": seconds, "status": response.status_code, "bytes": len(body), "error": error}


async def main(args: argparse.Namespace) -> None:
    from tests.support import prepare_database, running_app
    from tests.timelines.factories import contacts, schedule, set_layers, weekly

    folder = Path(tempfile.mkdtemp(prefix="rg-attacks-"))
    url = await prepare_database("sqlite", folder)
    async with running_app(url, "sqlite") as api:
        people = await contacts(api, *[f"Person {i}" for i in range(6)])
        s = await schedule(api, "Attacked", tiers=TIERS)
        for tier in s["tiers"]:
            await set_layers(
                api, tier["id"], [weekly("Hourly", "2026-01-01T00:00", people, unit="HOUR")]
            )
        viewer = api.tokens["VIEWER"]
        rows = []
        baseline = (
            f'{{ schedule(id: "{s["id"]}") {{ tiers {{ shifts(from: "2026-03-01T00:00:00Z", '
            'to: "2026-03-02T00:00:00Z") { start } } } }'
        )
        rows.append(("baseline (1 day, 20 tiers)", await send(api, baseline, viewer, args.timeout)))
        if args.only in (None, "fragments"):
            doc = fragments_document()
            rows.append(
                (f"fragments ({len(doc)} bytes)", await send(api, doc, viewer, args.timeout))
            )
        if args.only in (None, "shifts"):
            doc = shifts_document(s["id"], args.aliases)
            rows.append(
                (f"shifts ({args.aliases} aliases)", await send(api, doc, viewer, args.timeout))
            )
    print(f"{'document':32} {'seconds':>9} {'status':>7} {'bytes':>11}  first error")
    for name, row in rows:
        print(
            f"{name:32} {row['seconds']:9.3f} {row['status']!s:>7} {row.get('bytes', 0):11d}  "
            f"{row.get('error', '')}",
            flush=True,
        )
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["shifts", "fragments"], default=None)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--aliases", type=int, default=ALIASES, help="aliases of the shifts document (29)"
    )
    asyncio.run(main(parser.parse_args()))
