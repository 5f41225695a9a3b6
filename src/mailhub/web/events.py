"""``/events/stream``: server-sent events that keep open pages current (account status, new mail).

The source is the supervisor's event log when the app runs one (``app.state.runtime.events``, live
subscription). Without a supervisor in this process, the accounts table is read every
``app.state.web_poll_seconds`` (default 1 s) and each status change is sent as ``account.status``; events
other processes wrote to the event log (new mail, outbox) are read from it by id on the same tick.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from mailhub.web import auth

router = APIRouter(dependencies=[Depends(auth.require_admin)])

HEARTBEAT_SECONDS = 15.0


def sse(kind: str, account_id: int | None, data: dict[str, Any]) -> str:
    """One event in the text/event-stream format (``event:`` is the kind, ``data:`` one JSON line)."""
    body = json.dumps({"kind": kind, "account_id": account_id, **data}, ensure_ascii=False, default=str)
    return f"event: {kind}\ndata: {body}\n\n"


class _LoggedEvents:
    """Events other processes recorded in the event log, after the newest one there when the page opened
    (``account.status`` is left out: the accounts table is the source for it here)."""

    def __init__(self, store: Any) -> None:
        self._log = None
        self._after = 0
        try:
            from mailhub.runtime.events import EventLog

            self._log = EventLog(store)
            latest = self._log.latest(1)
            self._after = latest[-1].id if latest else 0
        except Exception:  # no event log table (an API-only or older database): status polling only
            self._log = None

    def new(self) -> list[Any]:
        if self._log is None:
            return []
        events = self._log.since(self._after)
        if events:
            self._after = events[-1].id
        return [event for event in events if event.kind not in ("account.status", "account.deleted")]


def _snapshot(request: Request) -> dict[int, tuple[str, str | None]]:
    return {a.id: (a.status.value, a.diagnosis_code) for a in request.app.state.service.list()}


async def _polled(request: Request) -> AsyncIterator[str]:
    """Status changes found by reading the accounts table (no supervisor in this process)."""
    interval = float(getattr(request.app.state, "web_poll_seconds", 1.0))
    before = await asyncio.to_thread(_snapshot, request)
    logged = _LoggedEvents(auth.store_of(request))
    quiet = 0.0
    while not await request.is_disconnected():
        await asyncio.sleep(interval)
        now = await asyncio.to_thread(_snapshot, request)
        changed = False
        for account_id, (status, code) in now.items():
            old = before.get(account_id)
            if old != (status, code):
                changed = True
                data = {"from": old[0] if old else None, "to": status, "diagnosis_code": code}
                yield sse("account.status", account_id, data)
        for account_id in before.keys() - now.keys():
            changed = True
            yield sse("account.deleted", account_id, {})
        for event in await asyncio.to_thread(logged.new):
            changed = True
            yield sse(event.kind, event.account_id, event.data)
        before = now
        quiet = 0.0 if changed else quiet + interval
        if quiet >= HEARTBEAT_SECONDS:  # keeps proxies from closing an idle stream
            quiet = 0.0
            yield ": keep-alive\n\n"


async def _subscribed(request: Request, event_log: Any) -> AsyncIterator[str]:
    """Live events from the supervisor's event log (this process)."""
    with event_log.subscribe() as subscription:
        while not await request.is_disconnected():
            try:
                event = await asyncio.wait_for(subscription.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield sse(event.kind, event.account_id, event.data)


@router.get("/events/stream")
async def event_stream(request: Request) -> StreamingResponse:
    event_log = getattr(getattr(request.app.state, "runtime", None), "events", None)
    events = _subscribed(request, event_log) if event_log is not None else _polled(request)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        async for event in events:
            yield event

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
