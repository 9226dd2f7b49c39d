"""Command line for staff and operators: ``python -m bot --help``.

- ``db upgrade``: apply the Alembic migrations to ``DATABASE_URL``.
- ``requests list [--json]`` / ``requests export --csv FILE``: treatment requests for coordinators.
- ``erase SENDER_ID``: delete one person's request(s) and conversation (erasure requests).
- ``retention run [--dry-run]``: apply the retention periods now, print the counts.
- ``staff add EMAIL``: create a staff-console account (password asked twice, or ``STAFF_PASSWORD``).
- ``serve-rasa``: start the Rasa server with the ports, CORS and limits from the environment.
- ``serve-actions``: start the action server (rasa_sdk) that only answers the Rasa server.
- ``serve-web``: start the web app (demo page, staff console) with uvicorn.
- ``rasa ...``: Rasa's own command line (``train``, ``test``), with telemetry off and the
  Rasa patches applied (bot/rasa_patches).
- ``wait-ready``: wait until all servers answer, then print the URLs (used by ``make run``).
- ``nginx-config``: write an nginx config that balances several Rasa servers (docs/deploy.md).
- ``run``: all three servers under supervisord in the foreground, restarted when one dies
  (``make run``; docs/processes.md). ``ctl ...``: supervisorctl for it (``ctl status``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import List, Optional

from bot import log_privacy, offline, rasa_patches, serving, settings

offline.apply()  # on import: every `python -m bot` command, before anything imports Rasa


def main(argv: Optional[List[str]] = None) -> int:
    offline.apply()  # again, in case the environment changed since the import
    log_privacy.install()
    from bot.db.engine import private_files

    private_files()  # var/*.db (and -wal, -shm), keys, logs we write: 0600
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rasa"]:  # everything after "rasa" is Rasa's, --help included
        return cmd_rasa(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    return int(args.handler(args) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers()

    db = commands.add_parser("db", help="database migrations").add_subparsers()
    upgrade = db.add_parser("upgrade", help="apply migrations up to the newest")
    upgrade.set_defaults(handler=cmd_db_upgrade)

    requests = commands.add_parser("requests", help="treatment requests").add_subparsers()
    listing = requests.add_parser("list", help="list requests, newest first")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.add_argument("--limit", type=int, default=None)
    listing.set_defaults(handler=cmd_requests_list)
    export = requests.add_parser("export", help="export requests as CSV")
    export.add_argument("--csv", required=True, metavar="FILE", help="file to write ('-' = stdout)")
    export.set_defaults(handler=cmd_requests_export)

    staff = commands.add_parser("staff", help="staff-console accounts").add_subparsers()
    staff_add = staff.add_parser("add", help="create an account (password from a prompt)")
    staff_add.add_argument("email")
    staff_add.add_argument(
        "--reset-password", action="store_true", help="set a new password for an existing account"
    )
    staff_add.set_defaults(handler=cmd_staff_add)

    erase = commands.add_parser("erase", help="delete one person's request and conversation")
    erase.add_argument("sender_id")
    erase.set_defaults(handler=cmd_erase)

    retention = commands.add_parser(
        "retention", help="empty closed requests, delete idle conversations (docs/privacy.md)"
    ).add_subparsers()
    retention_run = retention.add_parser("run", help="apply the retention periods now")
    retention_run.add_argument(
        "--dry-run", action="store_true", help="count what would go, change nothing"
    )
    retention_run.set_defaults(handler=cmd_retention_run)

    serve = commands.add_parser("serve-rasa", help="start the Rasa server (REST + socket.io)")
    serve.add_argument("--model", default="models/mibg.tar.gz")
    serve.set_defaults(handler=cmd_serve_rasa)

    actions = commands.add_parser("serve-actions", help="start the action server (token required)")
    actions.add_argument("--actions", default="actions", help="package with the actions")
    actions.add_argument("--port", type=int, default=None, help="default: ACTION_PORT")
    actions.set_defaults(handler=cmd_serve_actions)

    web = commands.add_parser("serve-web", help="start the web app (demo page, staff console)")
    web.add_argument("--port", type=int, default=None, help="default: WEB_PORT")
    web.add_argument("--access-log", action="store_true", help="log every request's path")
    web.set_defaults(handler=cmd_serve_web)

    commands.add_parser("rasa", help="Rasa's command line (train, test), patched, telemetry off")

    ready = commands.add_parser("wait-ready", help="wait for the servers, print the URLs")
    ready.add_argument("--timeout", type=float, default=300.0)
    ready.add_argument("--exit", action="store_true", help="exit once ready (default: stay)")
    ready.set_defaults(handler=cmd_wait_ready)

    nginx = commands.add_parser(
        "nginx-config", help="write an nginx config for several Rasa servers (docs/deploy.md)"
    )
    nginx.add_argument("--listen", default="127.0.0.1:8080", help="host:port nginx listens on")
    nginx.add_argument(
        "--rasa", action="append", required=True, metavar="HOST:PORT", help="a Rasa server (repeat)"
    )
    nginx.add_argument("--dir", default=None, help="pid, logs, temp files (default: var/nginx)")
    nginx.add_argument("--sticky-key", default="$remote_addr", help="socket.io stickiness key")
    nginx.set_defaults(handler=cmd_nginx_config)

    run = commands.add_parser(
        "run", help="start all servers under supervisord (foreground, restarts what dies)"
    )
    run.set_defaults(handler=cmd_run)
    ctl = commands.add_parser("ctl", help="supervisorctl for `run`: status, restart NAME, pid NAME")
    ctl.add_argument("ctl_args", nargs=argparse.REMAINDER, metavar="ARGS")
    ctl.set_defaults(handler=cmd_ctl)
    return parser


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    from bot.db import migrate

    migrate.upgrade()
    print("database is at the newest migration")
    return 0


def cmd_requests_list(args: argparse.Namespace) -> int:
    from bot.db.engine import session_factory
    from bot.db.requests import as_dict, list_requests

    records = [as_dict(r) for r in list_requests(session_factory(), limit=args.limit)]
    if args.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not records:
        print("no treatment requests")
        return 0
    for r in records:
        print(
            f"{r['reference']}  {r['created_at'][:19]}  {r['status']:<9}  {r['full_name'] or '-'}"
            f"  {r['email'] or '-'}  {r['phone'] or '-'}  {r['country'] or '-'}"
            f"  {r['diagnosis'] or '-'}"
        )
    return 0


def cmd_requests_export(args: argparse.Namespace) -> int:
    from bot.db.engine import session_factory
    from bot.db.requests import list_requests, write_csv

    records = list_requests(session_factory())
    if args.csv == "-":
        count = write_csv(records, sys.stdout)
    else:
        with open(args.csv, "w", newline="", encoding="utf-8") as stream:
            count = write_csv(records, stream)
    print(f"exported {count} request(s)", file=sys.stderr)
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    from getpass import getpass

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.db.engine import session_factory
    from bot.staff_accounts import AccountError, check_new_password, create_user

    password = settings.load().staff_password
    try:
        if password is None:
            password = getpass("Password: ")
            check_new_password(password)
            if getpass("Password again: ") != password:
                raise AccountError("the passwords do not match")
        sessions = session_factory(settings.load().database_url)
        outcome = create_user(sessions, args.email, password, reset=args.reset_password)
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError):
        print("error: no staff tables yet: run `python -m bot db upgrade`", file=sys.stderr)
        return 1
    print(f"staff account {outcome}: {args.email.strip().lower()}")
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from bot.privacy.erasure import erase_person

    result = erase_person(args.sender_id)
    print(f"erased {result.requests} request(s) and {result.events} conversation event(s)")
    return 0


def cmd_retention_run(args: argparse.Namespace) -> int:
    from bot.privacy import retention

    print(retention.run(dry_run=args.dry_run).describe())
    return 0


def cmd_serve_rasa(args: argparse.Namespace) -> int:
    config = settings.load()
    env = dict(os.environ)
    env.setdefault("TRACKER_DATABASE_URL", config.tracker_database_url)
    env.setdefault("ACTION_PORT", str(config.action_port))
    # Sanic's default body limit is 100 MB; a chat message never needs more than this.
    env.setdefault("SANIC_REQUEST_MAX_SIZE", "65536")
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    # endpoints.yml sends it to the action server (Authorization: Bearer ${ACTION_SERVER_TOKEN}).
    env["ACTION_SERVER_TOKEN"] = settings.action_server_token()
    os.environ.update(env)
    try:
        endpoints, _workers = serving.configure(Path("endpoints.yml"), settings.VAR_DIR)
    except serving.ServingError as error:
        print(f"serve-rasa: {error}", file=sys.stderr)
        return 2
    argv = [
        "rasa",
        "run",
        "--model",
        args.model,
        "--port",
        str(config.rasa_port),
        "--interface",
        config.rasa_host,
        "--credentials",
        "credentials.yml",
        "--endpoints",
        str(endpoints),
        "--cors",
        *config.cors_origins,
    ]
    # Rasa runs in this process, patched first (bot/rasa_patches: before Rasa is imported).
    try:
        _say_patched(rasa_patches.apply(config, model=Path(args.model)))
    except rasa_patches.PatchError as error:
        print(f"serve-rasa: {error}", file=sys.stderr)
        return 2
    # Once, before the workers fork: they would race to create it (UniqueViolation on PostgreSQL).
    serving.create_tracker_tables(env["TRACKER_DATABASE_URL"])
    from rasa.__main__ import main as rasa_main

    sys.argv = argv
    rasa_main()
    return 0


def cmd_serve_actions(args: argparse.Namespace) -> int:
    from bot import action_server

    config = settings.load()
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    action_server.serve(args.port or config.action_port, config.action_host, args.actions)
    return 0


def cmd_serve_web(args: argparse.Namespace) -> int:
    import uvicorn

    config = settings.load()
    uvicorn.run(
        "bot.web.app:app",
        host=config.web_host,
        port=args.port or config.web_port,
        ws="none",
        access_log=args.access_log,
        # X-Forwarded-For / -Proto only from the proxies named in TRUSTED_PROXIES (none: off).
        proxy_headers=bool(config.trusted_proxies),
        forwarded_allow_ips=",".join(config.trusted_proxies) or "",
    )
    return 0


#: Rasa commands that load a model and run it, with the patches ``serve-rasa`` applies.
RASA_RUNS_A_MODEL = ("test", "run", "shell", "interactive")


def _option(args: List[str], *names: str) -> Optional[str]:
    """The value given to the option ``names`` (``--model x`` or ``--model=x``), if any."""
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _model_of(rasa_args: List[str]) -> Optional[Path]:
    """The packed model a Rasa command will load: ``--model``, or the newest in its folder."""
    given = Path(_option(rasa_args, "--model", "-m") or "models")
    if given.is_file():
        return given
    packed = (
        sorted(given.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime) if given.is_dir() else []
    )
    return packed[-1] if packed else None


def _say_patched(names: List[str]) -> None:
    """One line on stderr naming the patches applied (Rasa sets up its logging only later)."""
    if names:
        print(f"Rasa patches applied: {', '.join(names)}", file=sys.stderr, flush=True)


def patch_rasa_for(rasa_args: List[str]) -> List[str]:
    """Apply the Rasa patches a Rasa command runs with; returns their names.

    ``train`` gets the patches marked for training (with the config it trains from), the
    commands that run a model get what ``serve-rasa`` applies, anything else none.
    """
    command = rasa_args[0] if rasa_args else ""
    config = settings.load()
    if command == "train":
        training_config = Path(_option(rasa_args, "--config", "-c") or "config.yml")
        return rasa_patches.apply(config, training_config=training_config)
    if command in RASA_RUNS_A_MODEL:
        return rasa_patches.apply(config, model=_model_of(rasa_args))
    return []


def cmd_rasa(rasa_args: List[str]) -> int:
    """Rasa's own command line in this process (telemetry and Sentry off, logs redacted),
    patched as ``serve-rasa`` is (``train``: the patches marked for training)."""
    try:
        _say_patched(patch_rasa_for(rasa_args))
    except rasa_patches.PatchError as error:
        print(f"rasa: {error}", file=sys.stderr)
        return 2
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_args]
    try:
        rasa_main()
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def cmd_nginx_config(args: argparse.Namespace) -> int:
    runtime_dir = Path(args.dir) if args.dir else settings.VAR_DIR / "nginx"
    try:
        config = serving.nginx_config(args.listen, args.rasa, runtime_dir, args.sticky_key)
    except serving.ServingError as error:
        print(f"nginx-config: {error}", file=sys.stderr)
        return 2
    path = serving.write_nginx_config(config, runtime_dir)
    root = runtime_dir.resolve()
    print(
        f"wrote {path}; start it with:\n  nginx -p {root} -e {root}/error.log -c {path.resolve()}"
    )
    return 0


def _local(host: str) -> str:
    """The address to reach a server that listens on ``host`` from this machine."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def cmd_wait_ready(args: argparse.Namespace) -> int:
    config = settings.load()
    checks = {
        "Rasa server": f"http://{_local(config.rasa_host)}:{config.rasa_port}/webhooks/rest/",
        "action server": f"http://{_local(config.action_host)}:{config.action_port}/health",
        "web": f"http://{_local(config.web_host)}:{config.web_port}/healthz",
    }
    started = time.monotonic()
    pending = dict(checks)
    while pending and time.monotonic() - started < args.timeout:
        for name, url in list(pending.items()):
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        print(f"ready: {name} ({time.monotonic() - started:.0f} s)", flush=True)
                        del pending[name]
            except OSError:
                pass
        time.sleep(0.5)
    if pending:
        print(f"not ready after {args.timeout:.0f} s: {', '.join(pending)}", flush=True)
        return 1
    print(
        "\n".join(
            [
                "",
                "The MIBG assistant is running:",
                f"  demo page with chat widget  http://localhost:{config.web_port}/",
                f"  staff console               http://localhost:{config.web_port}/staff",
                f"  REST API                    POST http://localhost:{config.rasa_port}/webhooks/rest/webhook",
                f"  socket.io                   http://localhost:{config.rasa_port}/socket.io",
                f"  action server               http://localhost:{config.action_port}/health",
                "Press Ctrl-C to stop everything.",
                "",
            ]
        ),
        flush=True,
    )
    if args.exit:
        return 0
    while True:  # without --exit: stay up, for a process manager that stops all when one exits
        time.sleep(3600)


def cmd_run(_: argparse.Namespace) -> int:
    from bot.supervision import supervisord

    try:
        supervisord.run(settings.VAR_DIR)  # does not return: this process becomes supervisord
    except (OSError, RuntimeError, ValueError) as error:
        print(f"run: {error}", file=sys.stderr)
    return 1


def cmd_ctl(args: argparse.Namespace) -> int:
    from bot.supervision import supervisord

    return supervisord.ctl(settings.VAR_DIR, args.ctl_args or ["status"])
