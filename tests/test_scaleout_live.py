"""Two Rasa servers behind nginx on one PostgreSQL database and one Redis lock store keep
serving when one of them is killed (docs/deploy.md).

Forty REST conversations run at once through nginx, each asking a question and completing the
treatment-request form. Halfway through, server A (two workers) is killed with SIGKILL. A client
whose message got no answer sends it once more with the same ``message_id``, as a real client
would; every conversation must finish, and every request must be stored exactly once.
Both servers start together on a fresh database: no ``UniqueViolation`` may be logged.
Skipped only when nginx is missing and ``scripts/ensure-nginx.sh`` cannot install it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import sqlalchemy

from bench.stack import redis_answers
from bot import serving
from bot.supervision import commands
from tests.support.chat import ChatClient, joined
from tests.support.ports import free_ports as free_ports_in
from tests.support.postgres import throwaway_database
from tests.support.stack import MODEL, ROOT, start_process, wait_for
from tests.test_workers_live import SCRIPT

pytestmark = pytest.mark.rasa_server

NGINX = Path("/usr/sbin/nginx")
REDIS_URL = "redis://127.0.0.1:6379/1"
ORIGIN = "http://127.0.0.1:8000"
CONVERSATIONS = 40
#: Ports are taken from SCALEOUT_TEST_PORTS (default 7300-7399), the first free ones.
PORT_RANGE = os.environ.get("SCALEOUT_TEST_PORTS", "7300-7399")
#: How long a dead server's conversation locks block a retry (Rasa's default is 60 s).
LOCK_LIFETIME = "10"
#: Workers of server A (the one killed). Keep 1 for the socket.io test: long-polling cannot
#: follow a session across the workers of one server.
WORKERS_A = os.environ.get("SCALEOUT_WORKERS_A", "1")


def free_ports(count: int) -> List[int]:
    low, high = (int(p) for p in PORT_RANGE.split("-"))
    return free_ports_in(count, range(low, high + 1))


@dataclass
class Cluster:
    nginx_url: str
    env: Dict[str, str]
    logs: Path
    servers: Dict[str, subprocess.Popen] = field(default_factory=dict)
    others: List[subprocess.Popen] = field(default_factory=list)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def lock_of(prefix: str, conversation: str) -> str:
    """The conversation's Redis lock as Rasa stores it, ticket expiries relative to now."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        raw = client.get(f"{prefix}:lock:{conversation}")
    finally:
        client.close()
    if raw is None:
        return "no lock"
    tickets = [json.loads(t) for t in json.loads(raw).get("tickets", [])]
    return ", ".join(f"#{t['number']} +{t['expires'] - time.time():.1f}s" for t in tickets)


def forget_locks(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    installed = subprocess.run(
        [str(ROOT / "scripts" / "ensure-nginx.sh")], capture_output=True, text=True
    )
    if installed.returncode != 0 or not NGINX.exists():
        pytest.skip(f"nginx is missing and cannot be installed here: {installed.stderr.strip()}")
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not redis_answers(REDIS_URL):
        pytest.fail(f"Redis does not answer at {REDIS_URL}")
    # A world-readable directory: nginx's workers run as an unprivileged user under root.
    workdir = Path(tempfile.mkdtemp(prefix="mibg-scaleout-"))
    workdir.chmod(0o755)
    nginx_port, rasa_a, rasa_b, actions_a, actions_b = free_ports(5)
    databases = contextlib.ExitStack()
    url = databases.enter_context(throwaway_database("mibg_scaleout"))
    prefix = f"scaleout{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=url,
        TRACKER_DATABASE_URL=url,
        VAR_DIR=str(workdir),  # one action-server token for both machines' servers
        CORS_ORIGINS=ORIGIN,
        LOCK_STORE_URL=REDIS_URL,
        LOCK_STORE_PREFIX=prefix,
        TICKET_LOCK_LIFETIME=LOCK_LIFETIME,
        SANIC_KEEP_ALIVE_TIMEOUT="120",
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    subprocess.run(
        commands.migrate(),
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    runtime = workdir / "nginx"
    config = serving.nginx_config(
        f"127.0.0.1:{nginx_port}", [f"127.0.0.1:{rasa_a}", f"127.0.0.1:{rasa_b}"], runtime
    )
    conf = serving.write_nginx_config(config, runtime)
    result = Cluster(f"http://127.0.0.1:{nginx_port}", env, workdir)
    # Each "machine": a Rasa server and its own action server. One worker each: socket.io
    # long-polling cannot follow a session across the workers of one server (docs/deploy.md).
    machines = {"a": (rasa_a, actions_a, WORKERS_A), "b": (rasa_b, actions_b, "1")}
    try:
        for machine, (rasa_port, action_port, workers) in machines.items():
            own = {**env, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port)}
            own["RASA_WORKERS"] = workers
            result.others.append(
                start_process(
                    commands.serve("actions"),
                    own,
                    workdir / f"actions-{machine}.log",
                )
            )
            result.servers[machine] = start_process(
                commands.serve("rasa"), own, workdir / f"rasa-{machine}.log"
            )
        nginx_cmd = [str(NGINX), "-p", str(runtime), "-e", str(runtime / "error.log")]
        result.others.append(
            start_process(
                [*nginx_cmd, "-c", str(conf), "-g", "daemon off;"], env, workdir / "nginx.log"
            )
        )
        for machine, (rasa_port, action_port, _) in machines.items():
            wait_for(f"http://127.0.0.1:{action_port}/health", 60)
            wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/rest/", 150, result.servers[machine])
        wait_for(f"{result.nginx_url}/webhooks/rest/", 10, result.others[-1])
        yield result
    finally:
        for process in [*result.servers.values(), *result.others]:
            stop(process)
        databases.close()
        forget_locks(prefix)
        if not os.environ.get("SCALEOUT_KEEP_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)


def rasa_logs(cluster: Cluster) -> str:
    return "\n".join(
        (cluster.logs / f"rasa-{m}.log").read_text(errors="ignore") for m in cluster.servers
    )


def test_both_servers_start_on_a_fresh_database_without_a_unique_violation(
    cluster: Cluster,
) -> None:
    log = rasa_logs(cluster)
    assert "UniqueViolation" not in log and "Could not create tables" not in log


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_socketio_through_nginx(cluster: Cluster, transport: str) -> None:
    """Long-polling needs every request of a session on one server (sticky by client address);
    the websocket needs nginx to pass the upgrade on."""
    client = ChatClient(cluster.nginx_url, ORIGIN)
    try:
        await client.open(transport=transport)
        await client.say("what are the side effects?")
        assert "nausea" in joined(await client.reply_texts())
        await client.say("hi")
        assert "MIBG therapy assistant" in joined(await client.reply_texts())
    finally:
        await client.close()


@dataclass
class Outcome:
    sender: str
    reference: Optional[str] = None
    retries: int = 0
    error: str = ""
    notes: List[str] = field(default_factory=list)


class Client:
    """Sends each conversation's messages through nginx; retries a message once on no answer."""

    def __init__(self, url: str, total: int, on_half: threading.Event, prefix: str = "") -> None:
        self.url = url + "/webhooks/rest/webhook"
        self.prefix = prefix
        self.answered = 0
        self.total = total
        self.on_half = on_half
        self.lock = threading.Lock()

    def post(self, sender: str, text: str, message_id: str) -> List[dict]:
        body = json.dumps({"sender": sender, "message": text, "message_id": message_id})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read())

    def converse(self, sender: str) -> Outcome:
        outcome = Outcome(sender)
        for turn, (text, expected) in enumerate(SCRIPT):
            message_id = f"{sender}-{turn}"
            try:
                messages = self.post(sender, text, message_id)
            except (urllib.error.URLError, OSError) as error:  # 502 from nginx, reset, timeout
                outcome.retries += 1
                outcome.notes.append(f"turn {turn} at {time.monotonic():.1f}: {error}")
                time.sleep(0.5)
                if self.prefix:  # for the failure message: who holds the conversation
                    outcome.notes.append(f"lock: {lock_of(self.prefix, f'rest:{sender}')}")
                try:
                    messages = self.post(sender, text, message_id)
                except (urllib.error.URLError, OSError) as error:
                    outcome.error = f"turn {turn}: no answer after a retry ({error})"
                    outcome.notes.append(f"retry failed at {time.monotonic():.1f}")
                    return outcome
                outcome.notes.append(f"retry answered at {time.monotonic():.1f}")
            reply = "\n".join(m.get("text", "") for m in messages)
            if expected not in reply:
                outcome.error = f"turn {turn}: expected {expected!r}, got {reply[:120]!r}"
                return outcome
            with self.lock:
                self.answered += 1
                if self.answered >= self.total // 2:
                    self.on_half.set()
        outcome.reference = reply.split("reference number is ")[1].split(".")[0]
        return outcome


def stored_requests(url: str) -> Dict[str, int]:
    engine = sqlalchemy.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.text(
                    "SELECT sender_id, count(*) FROM treatment_requests GROUP BY sender_id"
                )
            )
            return {sender: count for sender, count in rows}
    finally:
        engine.dispose()


def test_forty_conversations_survive_a_killed_server(cluster: Cluster) -> None:
    half = threading.Event()
    client = Client(
        cluster.nginx_url, CONVERSATIONS * len(SCRIPT), half, cluster.env["LOCK_STORE_PREFIX"]
    )
    senders = [f"scale-{uuid.uuid4().hex[:10]}" for _ in range(CONVERSATIONS)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        futures = [pool.submit(client.converse, sender) for sender in senders]
        assert half.wait(120), "the conversations did not get halfway"
        killed_at = time.monotonic() - started
        stop(cluster.servers["a"], signal.SIGKILL)
        outcomes = [future.result() for future in futures]
    elapsed = time.monotonic() - started
    stored = stored_requests(cluster.env["DATABASE_URL"])
    finished = [o for o in outcomes if o.reference]
    retries = sum(o.retries for o in outcomes)
    print(
        f"\nscale-out: {len(outcomes)} conversations started, {len(finished)} finished, "
        f"{sum(stored.values())} requests stored for {len(stored)} senders, "
        f"{retries} retries ({sum(1 for o in outcomes if o.retries)} conversations), "
        f"server A killed at {killed_at:.1f} s, all done in {elapsed:.1f} s"
    )
    assert [(o.error, o.notes) for o in outcomes if o.error] == []
    assert len(finished) == CONVERSATIONS
    assert stored == {f"rest:{sender}": 1 for sender in senders}
    assert len({o.reference for o in finished}) == CONVERSATIONS
    assert cluster.servers["b"].poll() is None
    assert "Traceback" not in (cluster.logs / "rasa-b.log").read_text(errors="ignore")


def user_messages(url: str, conversation: str) -> int:
    engine = sqlalchemy.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sqlalchemy.text(
                    "SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"
                ),
                {"s": conversation},
            ).scalar_one()
    finally:
        engine.dispose()


def test_a_message_sent_again_with_its_id_is_answered_from_the_stored_turn(
    cluster: Cluster,
) -> None:
    """What a client does when a reply was lost after the server had stored the turn."""
    client = Client(cluster.nginx_url, 1, threading.Event())
    sender = f"again-{uuid.uuid4().hex[:10]}"
    assert "Do you agree?" in joined(client.post(sender, "I want to apply for treatment", "m1"))
    first = client.post(sender, "yes", "m2")
    assert "full name" in joined(first)
    again = client.post(sender, "yes", "m2")  # the same message again: not a second "yes"
    assert [m.get("text") for m in again] == [m.get("text") for m in first]
    assert user_messages(cluster.env["TRACKER_DATABASE_URL"], f"rest:{sender}") == 2
    assert "email" in joined(client.post(sender, "Anna Example", "m3"))
