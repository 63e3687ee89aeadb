"""The systems under test, started and stopped by the benchmark, and what their processes hold.

`embedded`: one Rasa server and one action server, the command lines of scripts/with_bot.sh (demo
mode, in-memory tracker store), on free loopback ports and a scratch SQLite store under the results
folder, so the benchmark neither collides with a running `make run` nor fills its database.
`production`: scripts/production.sh (RASA_SERVERS Rasa servers, action servers, nginx, PostgreSQL,
Redis, RabbitMQ), on free ports, scratch PostgreSQL databases and generated secrets.

Either way the servers get `BOT_BENCH_PROBE_DIR`, which turns on their timing probe
(bot/tracking/bench_probe.py), and the benchmark reads each process's memory from /proc.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.devtools.bench.load import Target
from bot.devtools.inprocess import free_port, free_run_of_ports, wait_for

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "models" / "assistant.tar.gz"
REST_PATH = "/webhooks/rest/webhook"
PARSE_PATH = "/model/parse"
START_TIMEOUT_S = 300


def rasa_bearer(secret: str) -> str:
    """A JWT for Rasa's HTTP API (`--jwt-secret`), valid for the whole run."""
    import jwt

    issued = int(time.time())
    claims = {"user": {"username": "bench", "role": "admin"}, "iat": issued, "exp": issued + 3600}
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


def _rss_mb(pid: int, field_name: str = "VmRSS") -> Optional[float]:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> List[int]:
    found: List[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def process_tree_rss_mb(pid: int) -> Optional[float]:
    """Resident memory of a process and its descendants (a server's worker processes count)."""
    own = _rss_mb(pid)
    if own is None:
        return None
    return own + sum(process_tree_rss_mb(child) or 0.0 for child in _children(pid))


def _cpu_seconds(pid: int) -> Optional[float]:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def process_tree_cpu_s(pid: int) -> Optional[float]:
    """CPU seconds used by a process and its descendants so far."""
    own = _cpu_seconds(pid)
    if own is None:
        return None
    return own + sum(process_tree_cpu_s(child) or 0.0 for child in _children(pid))


@dataclass
class System:
    """A running system: where customers send, and its processes by name."""
    profile: str
    target: Target
    processes: Dict[str, int]
    probe_dir: Path
    stop_hook: object = None
    notes: List[str] = field(default_factory=list)

    def rasa_processes(self) -> Dict[str, int]:
        return {name: pid for name, pid in self.processes.items() if name.startswith("rasa")}

    def rss_mb(self) -> Dict[str, float]:
        return {name: round(mb, 1) for name, pid in self.processes.items()
                if (mb := process_tree_rss_mb(pid)) is not None}

    def rss_high_water_mb(self) -> Dict[str, float]:
        """Each process's peak resident memory since it started (the kernel's VmHWM)."""
        return {name: round(mb, 1) for name, pid in self.processes.items()
                if (mb := _rss_mb(pid, "VmHWM")) is not None}

    def cpu_s(self) -> Dict[str, float]:
        return {name: cpu for name, pid in self.processes.items() if (cpu := process_tree_cpu_s(pid)) is not None}

    def stop(self) -> None:
        if callable(self.stop_hook):
            self.stop_hook()


def _terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_embedded(results: Path) -> System:
    """scripts/with_bot.sh's two processes, on free ports, with a scratch store and the probe on."""
    work = results / "embedded"
    shutil.rmtree(work, ignore_errors=True)
    (work / "probe").mkdir(parents=True)
    rasa_port, action_port = free_port(), free_port()
    token = "bench-rasa-api-token-at-least-32-bytes"  # the demo one is short enough for PyJWT to warn per call
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "BOT_DEMO_MODE": "1",
           "RASA_TOKEN": token, "ACTION_SERVER_TOKEN": "demo-action-server-token",
           "DATABASE_URL": f"sqlite:///{work / 'bot.db'}", "BOT_BENCH_PROBE_DIR": str(work / "probe"),
           "ACTION_SERVER_HOST": "127.0.0.1", "ACTION_SERVER_PORT": str(action_port)}
    env.pop("BOT_PROFILE", None)
    # endpoints.yml as it is, but for the action server's port and files under the results folder.
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    broker = endpoints.get("event_broker") or {}
    if broker.get("db") and broker.get("dialect", "sqlite") == "sqlite":
        broker["db"] = str(work / "events.db")
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints, allow_unicode=True))
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "bot.runtime"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    actions = subprocess.Popen([python, "-m", "bot.cli.action_server"], cwd=ROOT, env=env,
                               stdout=open(work / "actions.log", "w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rasa"), "run", "--enable-api", "--jwt-secret", token, "--jwt-method", "HS256",
         "--interface", "127.0.0.1", "--port", str(rasa_port), "--model", str(MODEL),
         "--credentials", "credentials.yml", "--endpoints", str(work / "endpoints.yml")],
        cwd=ROOT, env=env, stdout=open(work / "rasa.log", "w"), stderr=subprocess.STDOUT)

    def stop() -> None:
        _terminate(rasa)
        _terminate(actions)

    try:
        wait_for(f"http://127.0.0.1:{action_port}/health", START_TIMEOUT_S, actions)
        wait_for(f"http://127.0.0.1:{rasa_port}/", START_TIMEOUT_S, rasa)
    except BaseException:  # interrupted too: never leave the servers behind
        stop()
        raise
    base = f"http://127.0.0.1:{rasa_port}"
    target = Target(webhook_url=base + REST_PATH, parse_url=base + PARSE_PATH,
                    parse_headers={"Authorization": rasa_bearer(token)})
    return System("embedded", target, {"rasa-1": rasa.pid, "actions-1": actions.pid}, work / "probe", stop)


def _postgres_database(admin_url: str, name: str, drop: bool = False) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def start_production(results: Path, rasa_servers: int = 2, action_servers: int = 2) -> System:
    """scripts/production.sh start, on free ports and scratch databases; stop() runs its stop."""
    script = ROOT / "scripts" / "production.sh"
    if not script.exists():
        raise RuntimeError("scripts/production.sh does not exist")
    work = results / "production"
    shutil.rmtree(work, ignore_errors=True)
    (work / "probe").mkdir(parents=True)
    pg = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    from sqlalchemy.engine import make_url

    pg_url = make_url(pg)
    suffix = uuid.uuid4().hex[:8]
    store_db, tracker_db = f"bench_store_{suffix}", f"bench_tracker_{suffix}"
    for name in (store_db, tracker_db):
        _postgres_database(pg, name)
    rest_token = secrets.token_urlsafe(36)
    rasa_token = secrets.token_urlsafe(36)
    rasa_base, action_base = free_run_of_ports(rasa_servers), free_run_of_ports(action_servers)
    lb_port, internal_port, web_port = (free_run_of_ports(1) for _ in range(3))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_PROFILE": "production",
           "RASA_SERVERS": str(rasa_servers), "ACTION_SERVERS": str(action_servers),
           "RASA_PORT_BASE": str(rasa_base), "ACTION_PORT_BASE": str(action_base),
           "BOT_LB_PORT": str(lb_port), "BOT_INTERNAL_PORT": str(internal_port), "BOT_WEB_PORT": str(web_port),
           "BOT_RUN_DIR": str(work / "run"), "BOT_BENCH_PROBE_DIR": str(work / "probe"),
           "BOT_IDENTITY_SECRET": secrets.token_urlsafe(36), "RASA_TOKEN": rasa_token,
           "SMS_WEBHOOK_SECRET": secrets.token_urlsafe(36), "ACTION_SERVER_TOKEN": secrets.token_urlsafe(36),
           "REST_TOKEN": rest_token,
           "DATABASE_URL": pg_url.set(database=store_db).render_as_string(hide_password=False),
           "TRACKER_DB_HOST": pg_url.host or "127.0.0.1", "TRACKER_DB_NAME": tracker_db,
           "TRACKER_DB_USER": pg_url.username or "postgres", "TRACKER_DB_PASSWORD": pg_url.password or "",
           "REDIS_HOST": os.environ.get("REDIS_HOST", "127.0.0.1"), "REDIS_PORT": os.environ.get("REDIS_PORT", "6379"),
           "RABBITMQ_HOST": os.environ.get("RABBITMQ_HOST", "127.0.0.1"),
           "RABBITMQ_USER": os.environ.get("RABBITMQ_USER", "guest"),
           "RABBITMQ_PASSWORD": os.environ.get("RABBITMQ_PASSWORD", "guest")}
    env.pop("BOT_DEMO_MODE", None)

    def stop() -> None:
        subprocess.run([str(script), "stop"], cwd=ROOT, env=env, check=False)
        for name in (store_db, tracker_db):
            try:
                _postgres_database(pg, name, drop=True)
            except Exception:  # the results are written; a scratch database left behind is harmless
                pass

    try:
        started = subprocess.run([str(script), "start"], cwd=ROOT, env=env, capture_output=True, text=True)
    except BaseException:
        stop()
        raise
    if started.returncode != 0:
        stop()
        raise RuntimeError(f"production.sh start failed: {started.stderr[-2000:]}")
    pids = {path.stem: int(path.read_text().strip()) for path in sorted((work / "run").glob("*.pid"))}
    base = f"http://127.0.0.1:{lb_port}"
    target = Target(webhook_url=base + REST_PATH, parse_url=f"http://127.0.0.1:{rasa_base}{PARSE_PATH}",
                    webhook_headers={"X-Rest-Token": rest_token},
                    parse_headers={"Authorization": rasa_bearer(rasa_token)})
    return System("production", target, pids, work / "probe", stop)


def read_probes(directory: Path) -> Dict[int, dict]:
    """The latest totals each probed process wrote, by pid."""
    found = {}
    for path in directory.glob("probe-*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        found[int(data["pid"])] = data["totals"]
    return found

