"""A whole bot on loopback, started the way `make run` starts it: action server + `rasa run` with its API.

The action server can be stopped and started again on its port (`stop_actions` / `start_actions`),
for the fault tests; a test that stops it starts it again before it ends.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest

from bot.devtools.inprocess import ACTION_TOKEN, ACTION_TOKEN_HEADER, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
TOKEN = "live-test-rasa-api-secret-of-32-bytes-long"
SECRET = "live-test-identity-secret-32-bytes-long"


@dataclass
class LiveBot:
    rasa_url: str
    store_url: str
    actions_port: int = 0
    _start_actions: Optional[Callable[[], subprocess.Popen]] = field(default=None, repr=False)
    _actions: Optional[subprocess.Popen] = field(default=None, repr=False)

    def stop_actions(self) -> None:
        """The action server goes away (SIGKILL: no goodbye to Rasa)."""
        assert self._actions is not None
        self._actions.kill()
        self._actions.wait(timeout=20)

    def start_actions(self) -> None:
        """The action server comes back on the same port, as a supervisor would restart it."""
        assert self._start_actions is not None
        self._actions = self._start_actions()
        wait_for(f"http://127.0.0.1:{self.actions_port}/health", 90, self._actions)

    def say(self, sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
        body = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"[]")


@pytest.fixture(scope="session")
def live_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test does)")
    work = tmp_path_factory.mktemp("live")
    store_url = f"sqlite:///{work / 'bot.db'}"
    actions_port, rasa_port = free_port(), free_port()
    endpoints = work / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
                         f'  headers:\n    {ACTION_TOKEN_HEADER}: "{ACTION_TOKEN}"\n')
    credentials = work / "credentials.yml"
    credentials.write_text("bot.channels.rest.TrustedRestInput:\n")  # as credentials.yml has it
    env = dict(os.environ, DATABASE_URL=store_url, BOT_IDENTITY_SECRET=SECRET, PYTHONPATH=str(ROOT),
               RASA_URL=f"http://127.0.0.1:{rasa_port}", RASA_TOKEN=TOKEN, TF_CPP_MIN_LOG_LEVEL="2",
               ACTION_SERVER_PORT=str(actions_port), ACTION_SERVER_TOKEN=ACTION_TOKEN)
    logs = open(work / "live.log", "wb")

    def start_actions() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "bot.cli.action_server"],
                                cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)

    bot = LiveBot(f"http://127.0.0.1:{rasa_port}", store_url, actions_port, start_actions, start_actions())
    procs = [
        subprocess.Popen([sys.executable, "-m", "rasa", "run", "--enable-api", "--jwt-secret", TOKEN, "--jwt-method", "HS256",
                          "--port", str(rasa_port), "--model", str(MODEL), "--credentials", str(credentials),
                          "--endpoints", str(endpoints)],
                         cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT),
    ]
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", 90, bot._actions)
        wait_for(f"http://127.0.0.1:{rasa_port}/", 240, procs[0])  # listens once the model is loaded
        yield bot
    finally:
        procs.append(bot._actions)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.model)
