"""`make bench`: reply latency and throughput of the running bot's REST channel, plus the fee engine.

Run through scripts/with_bot.sh (the Makefile does). Traffic goes to localhost only; loops are bounded.
"""
from __future__ import annotations

import concurrent.futures
import json
import statistics
import sys
import time
import timeit
import urllib.request
import uuid
from decimal import Decimal

URL = "http://localhost:5005/webhooks/rest/webhook"
QUESTIONS = [
    "印花税怎么收", "开户要带什么", "交易时间是几点", "科创板涨跌幅多少", "买入1000股每股10元手续费多少",
    "创业板开通条件", "你好", "一手是多少股", "佣金最低收多少", "三方存管是什么",
]


def ask(text: str, sender: str) -> float:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(URL, data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


def percentile(values: list, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def sequential(rounds: int = 10) -> None:
    for text in QUESTIONS[:3]:  # warm-up
        ask(text, "bench-warmup")
    latencies = [ask(text, f"bench-{uuid.uuid4().hex[:6]}") for _ in range(rounds) for text in QUESTIONS]
    print(f"reply latency, one client ({len(latencies)} turns): p50 {percentile(latencies, 0.5):.0f} ms, "
          f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies) * 1000:.0f} ms")


# The server caches sentence embeddings, so a repeated question skips the encoder; these lead-ins make
# every sentence new to it, as most customer messages are.
LEAD_INS = ["请问", "你好，", "想问下", "麻烦问一下", "咨询一下，"]


def sequential_unseen() -> None:
    texts = [f"{lead}{question}" for lead in LEAD_INS for question in QUESTIONS]
    latencies = [ask(text, f"bench-new-{uuid.uuid4().hex[:6]}") for text in texts]
    print(f"reply latency, one client, sentences new to the server ({len(latencies)} turns): "
          f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")


def parallel(clients: int = 8, per_client: int = 20) -> None:
    def client(n: int) -> list:
        sender = f"bench-c{n}-{uuid.uuid4().hex[:6]}"
        return [ask(QUESTIONS[i % len(QUESTIONS)], sender) for i in range(per_client)]

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        latencies = [x for chunk in pool.map(client, range(clients)) for x in chunk]
    elapsed = time.perf_counter() - started
    print(f"throughput, {clients} clients: {len(latencies) / elapsed:.1f} turns/s; "
          f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms")


def fee_engine() -> None:
    from bot.services import fees
    from bot.kb import load_kb

    schedule = load_kb().fee_schedule_on(__import__("datetime").date.today())
    order = fees.OrderRequest(side="sell", quantity=2000, price=Decimal("25"), amount=None)
    n = 20000
    seconds = timeit.timeit(lambda: fees.quote(order, schedule), number=n)
    print(f"fee engine: {n / seconds:,.0f} quotes/s ({seconds / n * 1e6:.1f} µs per quote)")


if __name__ == "__main__":
    fee_engine()
    sequential()
    sequential_unseen()
    parallel()
    sys.stdout.flush()
