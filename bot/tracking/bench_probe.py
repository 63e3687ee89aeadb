"""Where a Rasa server's time goes, for the benchmark only: NLU, policies, action calls, tracker store.

Off unless the environment names `BOT_BENCH_PROBE_DIR` (`make bench` does, for the servers it
starts). Then the tracker stores of bot/tracking/stores.py install it when Rasa creates them: it
wraps Rasa's message processor (the whole turn, the NLU parse, the policy prediction), the remote
action call and the tracker store's retrieve and save, and a background thread writes the running
totals to `<dir>/probe-<pid>.json` twice a second. The benchmark reads the totals before and after
a load level; their difference is that level's cost split. Timings only: no text, no ids.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

ENV_DIR = "BOT_BENCH_PROBE_DIR"
WRITE_EVERY_S = 0.5
# What is timed: `turn` encloses the others; `turn` minus their sum is the rest (locks, session
# handling, channel, event loop waits).
PARTS = ("turn", "nlu", "policies", "action", "store_retrieve", "store_save")

_totals: Dict[str, Dict[str, float]] = {part: {"count": 0, "seconds": 0.0} for part in PARTS}
_installed = False
_lock = threading.Lock()


def _add(part: str, seconds: float) -> None:
    entry = _totals[part]
    entry["count"] += 1
    entry["seconds"] += seconds


def _timed_async(part: str, function: Callable) -> Callable:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            _add(part, time.perf_counter() - started)

    wrapper.__bench_probe__ = True  # type: ignore[attr-defined]
    return wrapper


def _timed_sync(part: str, function: Callable) -> Callable:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _add(part, time.perf_counter() - started)

    wrapper.__bench_probe__ = True  # type: ignore[attr-defined]
    return wrapper


def _wrap(owner: Any, name: str, part: str, is_async: bool = True) -> None:
    current = getattr(owner, name)
    if getattr(current, "__bench_probe__", False):
        return
    setattr(owner, name, (_timed_async if is_async else _timed_sync)(part, current))


def snapshot() -> Dict[str, Any]:
    return {"pid": os.getpid(), "at": time.time(),
            "totals": {part: dict(entry) for part, entry in _totals.items()}}


def _writer(directory: Path) -> None:
    target = directory / f"probe-{os.getpid()}.json"
    scratch = directory / f".probe-{os.getpid()}.tmp"
    while True:
        scratch.write_text(json.dumps(snapshot()))
        os.replace(scratch, target)
        time.sleep(WRITE_EVERY_S)


def install_if_enabled(store: Any) -> bool:
    """Installs the probe (once per process) and times `store`'s retrieve and save, if enabled."""
    directory: Optional[str] = os.environ.get(ENV_DIR)
    if not directory:
        return False
    global _installed
    with _lock:
        if not _installed:
            from rasa.core.actions.action import RemoteAction
            from rasa.core.processor import MessageProcessor

            _wrap(MessageProcessor, "handle_message", "turn")
            _wrap(MessageProcessor, "parse_message", "nlu")
            _wrap(MessageProcessor, "_predict_next_with_tracker", "policies", is_async=False)
            _wrap(RemoteAction, "run", "action")
            Path(directory).mkdir(parents=True, exist_ok=True)
            threading.Thread(target=_writer, args=(Path(directory),), name="bench-probe", daemon=True).start()
            _installed = True
    _wrap(store, "retrieve", "store_retrieve")
    _wrap(store, "save", "store_save")
    return True
