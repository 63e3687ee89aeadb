"""The supervisor's dashboard figures as JSON and CSV (supervisors only; definitions in
docs/metrics.md)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from bot import runtime
from bot.services import dashboard
from bot.web.panel import STORE, _reply, supervisors_only

PERIODS = (1, 7, 30)


def _period(request: web.Request):  # type: ignore[no-untyped-def]
    try:
        days = int(request.query.get("days", "7"))
    except ValueError:
        days = 0
    if days not in PERIODS:
        raise web.HTTPBadRequest(text='{"error": "days must be 1, 7 or 30"}', content_type="application/json")
    return dashboard.last_days(days)


@supervisors_only
async def figures(request: web.Request) -> web.Response:
    since, until = _period(request)
    return _reply(await asyncio.to_thread(dashboard.figures, request.app[STORE](), runtime.kb(), since, until))


@supervisors_only
async def figures_csv(request: web.Request) -> web.Response:
    since, until = _period(request)
    board = await asyncio.to_thread(dashboard.figures, request.app[STORE](), runtime.kb(), since, until)
    name = f"dashboard-{since.date().isoformat()}-{until.date().isoformat()}.csv"
    return web.Response(text=dashboard.as_csv(board), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def install(app: web.Application) -> None:
    app.router.add_get("/api/dashboard", figures)
    app.router.add_get("/api/dashboard.csv", figures_csv)



