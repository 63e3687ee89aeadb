"""The production profile, started once per module as an operator starts it: `scripts/production.sh start`
with two Rasa servers and two action servers behind nginx, on fresh PostgreSQL databases (tickets and
Rasa's tracker store), the Redis lock store and the RabbitMQ event broker that run on every machine.

Outside demo mode, with its own secrets. Every Rasa event the servers publish is also copied to a
queue of this module's own, bound to the broker's fanout exchange: reading it disturbs neither
`bot_events` nor the panel that consumes it.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import aio_pika
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.devtools.inprocess import MODEL, free_run_of_ports
from bot.services.agent_desk import rasa_api_bearer

from ..store.conftest import pg_base_url, require_pg

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "BOT_IDENTITY_SECRET": "production-test-identity-secret-of-32-bytes",
    "RASA_TOKEN": "production-test-rasa-api-secret-of-32-bytes",
    "SMS_WEBHOOK_SECRET": "production-test-sms-webhook-secret-32-bytes",
    "ACTION_SERVER_TOKEN": "production-test-action-token-of-32-bytes!",
    "REST_TOKEN": "production-test-rest-token-of-at-least-32-bytes",
}
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_SERVER = "/usr/bin/redis-server"  # Debian's redis-server, on every machine of this project
BROKER_EXCHANGE = "rasa-exchange"  # Rasa's pika broker publishes to this fanout exchange
BROKER_QUEUE = "bot_events"        # endpoints.production.yml


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.model)
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.redis)


class Redis:
    """A Redis of this test run's own (the lock store), so that a test may stop and restart it without
    touching the machine's shared server."""

    def __init__(self, port: int, run_dir: Path) -> None:
        self.port, self.run_dir, self.proc = port, run_dir, None
        self.start()

    def start(self) -> None:
        log = open(self.run_dir / "redis.log", "ab")
        self.proc = subprocess.Popen([REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@dataclass
class Production:
    run_dir: Path
    store_url: str
    rasa_ports: Tuple[int, ...]
    lb_port: int
    events_queue: str
    redis: Redis
    _streamed: Dict[str, List[Dict]] = field(default_factory=dict, repr=False)

    def say(self, sender: str, text: str, *, port: Optional[int] = None) -> List[Dict]:
        """One REST turn, to one Rasa server's port or (by default) through nginx."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port or self.lb_port}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json", "X-Rest-Token": SECRETS["REST_TOKEN"]},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"[]")

    def tracker(self, sender: str, port: int) -> Dict:
        """The conversation as one Rasa server reads it from the shared tracker store (Rasa's HTTP API)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/conversations/{sender}/tracker",
            headers={"Authorization": rasa_api_bearer(SECRETS["RASA_TOKEN"])},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text())

    def kill_rasa(self, port: int) -> None:
        """The Rasa server on `port` crashes (SIGKILL: no shutdown of any kind); returns once it is gone.

        Gone means its port refuses connections: a turn sent while it is still dying would be a turn
        in flight, which nginx does not repeat (docs/deploy.md).
        """
        os.kill(self.pid(f"rasa-{self.rasa_ports.index(port) + 1}"), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the Rasa server on port {port} still answers after SIGKILL")

    def upstreams(self, at_least: int = 0) -> List[str]:
        """For every REST turn nginx passed on, oldest first: the servers it tried ("a:1, b:2" after a retry).

        nginx logs a request just after answering it: wait (briefly) until `at_least` turns are logged.
        """
        deadline = time.monotonic() + 5
        while True:
            lines = (self.run_dir / "nginx-access.log").read_text().splitlines()
            served = [line.split(" upstream=")[1].split(" upstream_status=")[0]
                      for line in lines if "POST /webhooks/rest/webhook" in line]
            if len(served) >= at_least or time.monotonic() > deadline:
                return served
            time.sleep(0.05)

    def streamed(self, sender: str) -> List[Dict]:
        """Every event Rasa has published so far for `sender`, oldest first (from this module's copy of the stream)."""
        for body in asyncio.run(_drain(self.events_queue)):
            self._streamed.setdefault(body.get("sender_id"), []).append(body)
        return sorted(self._streamed.get(sender, []), key=lambda event: event.get("timestamp") or 0)


async def _drain(queue_name: str) -> List[Dict]:
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name)
        bodies = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            bodies.append(json.loads(message.body))
        return bodies


def _fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def _copy_of_the_stream(queue_name: str) -> None:
    """A queue of our own on Rasa's fanout exchange: it receives what `bot_events` receives."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        # As Rasa's pika broker declares it; declaring first means nothing published is missed.
        exchange = await channel.declare_exchange(BROKER_EXCHANGE, aio_pika.ExchangeType.FANOUT)
        # Expires on its own if this run dies before deleting it.
        queue = await channel.declare_queue(queue_name, arguments={"x-expires": 15 * 60 * 1000})
        await queue.bind(exchange, "")


async def _delete_queue(queue_name: str) -> None:
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)


def _tail(path: Path, lines: int = 25) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    assert MODEL.exists(), f"no trained model at {MODEL}: run `make train` (make test does)"
    require_pg()
    run_id = uuid.uuid4().hex[:10]
    admin_url = pg_base_url()
    pg = make_url(admin_url)
    store_db, tracker_db = f"prod_store_{run_id}", f"prod_tracker_{run_id}"
    events_queue = f"bot_events_test_{run_id}"
    run_dir = tmp_path_factory.mktemp("production")
    script = str(ROOT / "scripts" / "production.sh")
    env = {name: value for name, value in os.environ.items() if name != "BOT_DEMO_MODE"}
    env["BOT_RUN_DIR"] = str(run_dir)  # `stop` in `finally` stops this run's processes, and no others
    redis = None
    try:
        redis = Redis(free_run_of_ports(1), run_dir)
        store_url = _fresh_database(admin_url, store_db)
        _fresh_database(admin_url, tracker_db)
        asyncio.run(_copy_of_the_stream(events_queue))
        rasa_base = free_run_of_ports(2)
        lb_port = free_run_of_ports(1)
        broker = urlsplit(RABBITMQ_URL)
        env.update(SECRETS)
        env.update({
            "RASA_SERVERS": "2", "ACTION_SERVERS": "2",
            "RASA_PORT_BASE": str(rasa_base), "ACTION_PORT_BASE": str(free_run_of_ports(2)),
            "BOT_LB_PORT": str(lb_port), "BOT_INTERNAL_PORT": str(free_run_of_ports(1)),
            "BOT_WEB_PORT": str(free_run_of_ports(1)),
            "DATABASE_URL": store_url,
            "TRACKER_DB_HOST": f"{pg.host}:{pg.port or 5432}", "TRACKER_DB_NAME": tracker_db,
            "TRACKER_DB_USER": pg.username or "postgres", "TRACKER_DB_PASSWORD": pg.password or "",
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis.port),
            "RABBITMQ_HOST": broker.hostname, "RABBITMQ_USER": broker.username,
            "RABBITMQ_PASSWORD": broker.password,
            "SMS_OUTBOX_WORKER": "0",  # no gateway here; the outbox has its own tests
            "BOT_STOP_TIMEOUT": "10",
        })
        started = subprocess.run([script, "start"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert started.returncode == 0, (started.stdout + started.stderr + "\n" + "\n".join(
            f"--- {log.name}\n{_tail(log)}" for log in sorted(run_dir.glob("*.log"))))
        yield Production(run_dir, store_url, (rasa_base, rasa_base + 1), lb_port, events_queue, redis)
    finally:
        subprocess.run([script, "stop"], cwd=ROOT, env=env, timeout=120)
        if redis is not None:
            redis.stop()
        asyncio.run(_delete_queue(events_queue))
        _drop_database(admin_url, store_db)
        _drop_database(admin_url, tracker_db)
