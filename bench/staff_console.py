"""Benchmark the staff console with 10,000 realistic conversations (a script, not a timed test).

    python -m bench.staff_console                       # temp SQLite databases
    python -m bench.staff_console --conversations 2000 --repeat 50
    python -m bench.staff_console --tracker-url postgresql://postgres@127.0.0.1/bench_tracker \\
        --database-url postgresql://postgres@127.0.0.1/bench_requests

Fills a tracker store with conversations made by Rasa's own event classes (as
``SQLTrackerStore.save`` writes them), migrates the project database, then times requests through
the ASGI app with an authenticated client: the first request (which builds the conversation
summaries), the list page, a full-text search, filters, a deep page, the overview, a transcript,
and the list right after new messages arrived (the incremental refresh). Reports median and p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Dict, List

from sqlalchemy import func, select

DEFAULT_QUERIES = {
    "list (page 1)": "/staff/conversations",
    "search 'neuroblastoma'": "/staff/conversations?q=neuroblastoma",
    "search two words": "/staff/conversations?q=side+effects",
    "search, no match": "/staff/conversations?q=zzzyyyxxx",
    "filter request=yes": "/staff/conversations?request=yes",
    "filter fallback+handoff": "/staff/conversations?fallback=yes&handoff=yes",
    "list page 150": "/staff/conversations?page=150",
    "list JSON": "/staff/api/conversations",
    "overview 90 days": "/staff/?days=90",
    "requests list": "/staff/requests",
}


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def timed(call: Callable[[], object], repeat: int) -> Dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "max_ms": round(max(samples), 1),
    }


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per measurement")
    parser.add_argument("--tracker-url", help="default: a temporary SQLite file")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from bot.db import migrate
    from bot.db.engine import get_engine, session_factory
    from bot.db.tracker_events import events
    from bot.staff_accounts import create_user
    from bot.web.staff import create_staff_app
    from bot.web.staff.config import StaffConfig, fallback_threshold
    from tests.support import sample_data

    workdir = Path(tempfile.mkdtemp(prefix="staff-bench-"))
    tracker_url = args.tracker_url or f"sqlite:///{workdir / 'tracker.db'}"
    database_url = args.database_url or f"sqlite:///{workdir / 'requests.db'}"
    tracker = get_engine(tracker_url)
    sample_data.create_events_table(tracker)
    with tracker.connect() as connection:
        if connection.execute(select(func.count()).select_from(events)).scalar_one():
            print(
                "error: the tracker already holds events; give an empty database", file=sys.stderr
            )
            return 2
    migrate.upgrade(database_url)
    sessions = session_factory(database_url)
    email, password = "bench@example.org", "benchmark password 123"
    create_user(sessions, email, password, reset=True)
    now = datetime.now(timezone.utc)

    print(f"filling {args.conversations:,} conversations ({tracker.dialect.name}) ...", flush=True)
    started = time.perf_counter()
    event_count, request_count = sample_data.store(
        tracker,
        sessions,
        sample_data.generate(args.conversations, seed=args.seed, days=90, now=now),
    )
    fill_seconds = time.perf_counter() - started
    print(f"  {event_count:,} events, {request_count:,} requests in {fill_seconds:.1f} s")

    config = StaffConfig(
        database_url=database_url,
        tracker_url=tracker_url,
        secret_key="bench-" + "k" * 40,
        fallback_threshold=fallback_threshold(),
    )
    app = Starlette(routes=[Mount("/staff", create_staff_app(config))])
    client = TestClient(app, follow_redirects=False)
    login = client.get("/staff/login")
    token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})

    def get(path: str) -> None:
        reply = client.get(path)
        assert reply.status_code == 200, (path, reply.status_code)

    results: Dict[str, Dict[str, float]] = {}
    started = time.perf_counter()
    get("/staff/conversations")
    results["first request (builds summaries)"] = {
        "median_ms": round((time.perf_counter() - started) * 1000, 1)
    }
    for name, path in DEFAULT_QUERIES.items():
        get(path)  # warm
        results[name] = timed(lambda path=path: get(path), args.repeat)
    sender = client.get("/staff/api/conversations?request=yes").json()["conversations"][0]
    transcript = f"/staff/conversations/{sender['sender_id']}"
    results["transcript (form conversation)"] = timed(lambda: get(transcript), args.repeat)

    newcomers = iter(
        list(sample_data.generate(args.repeat, seed=args.seed + 1, days=1, now=now + timedelta(1)))
    )

    samples = []
    for _ in range(args.repeat):  # only the request is timed, not writing the events
        sample_data.store(tracker, None, [next(newcomers)])
        samples.append(timed(lambda: get("/staff/conversations"), 1)["median_ms"])
    results["list after 1 new conversation"] = {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "max_ms": round(max(samples), 1),
    }

    # For comparison: the same list and search straight from the events table, no summaries.
    per_sender = (
        select(
            events.c.sender_id,
            func.min(events.c.timestamp).label("started"),
            func.count(events.c.intent_name).label("user_messages"),
        )
        .group_by(events.c.sender_id)
        .order_by(func.min(events.c.timestamp).desc())
        .limit(config.page_size)
    )
    search = (
        select(events.c.sender_id)
        .where(events.c.type_name == "user", events.c.data.like("%neuroblastoma%"))
        .distinct()
    )

    def run(query) -> None:
        with tracker.connect() as connection:
            connection.execute(query).all()

    compare = max(3, args.repeat // 5)
    results["(no summaries) SQL aggregate list"] = timed(lambda: run(per_sender), compare)
    results["(no summaries) LIKE over event JSON"] = timed(lambda: run(search), compare)

    width = max(len(name) for name in results)
    print(f"\n{'request':<{width}}  median ms   p95 ms   max ms   (n={args.repeat})")
    for name, figures in results.items():
        p95 = figures.get("p95_ms", "")
        top = figures.get("max_ms", "")
        print(f"{name:<{width}}  {figures['median_ms']:>9}  {p95:>7}  {top:>7}")
    if args.json:
        payload = {
            "conversations": args.conversations,
            "events": event_count,
            "requests": request_count,
            "backend": tracker.dialect.name,
            "fill_seconds": round(fill_seconds, 1),
            "repeat": args.repeat,
            "results": results,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
