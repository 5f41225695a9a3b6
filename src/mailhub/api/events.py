"""``/api/v1/events`` (the event log, read with a cursor) and ``/api/v1/webhooks`` (signed deliveries of it).

Events are rows first (``mailhub.runtime.events``), so a program polling here sees what the supervisor's
workers reported in any process; the cursor is the last event id seen.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from mailhub.api.pagination import MAX_ID, Page, PageRequest, page_request, paginate
from mailhub.api.schemas import ErrorOut
from mailhub.runtime.events import EventLog, kind_matches
from mailhub.runtime.webhooks import Webhooks

router = APIRouter(tags=["events"])

WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="The webhook endpoint's id.")]
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such webhook endpoint."}}


class EventOut(BaseModel):
    """``account.status``, ``mail.new``, ``sync.progress``, ``outbox.sent``, ... with its data."""

    id: int
    at: str
    kind: str
    account_id: int | None
    data: dict[str, Any]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, examples=["https://crm.example.cn/mailhub-events"])
    events: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default=[], max_length=50, description="Kinds or patterns (account.*); empty means every kind."
    )
    secret: SecretStr | None = Field(
        default=None, min_length=16, max_length=200, description="Write-only; generated (and shown once) when null."
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    last_event_id: int
    created_at: str


class WebhookCreatedOut(BaseModel):
    endpoint: WebhookOut
    secret: str | None = Field(description="A generated signing secret, shown only in this answer (null if given).")


def _event_log(request: Request) -> EventLog:
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.events if runtime is not None else EventLog(request.app.state.store)


def _webhooks(request: Request) -> Webhooks:
    runtime = getattr(request.app.state, "runtime", None)
    return (
        runtime.webhooks if runtime is not None else Webhooks(request.app.state.store, request.app.state.service.vault)
    )


@router.get("/events", response_model=Page[EventOut], summary="The event log, oldest first from the cursor")
async def list_events(
    request: Request,
    paging: PageRequest = Depends(page_request),
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[list[str], Query(max_length=20, description="Kinds or patterns, e.g. account.*")] = [],  # noqa: B006
) -> dict[str, Any]:
    log = _event_log(request)
    if paging.page is not None:  # pages count from the first event; the cursor is cheaper
        offset = (paging.page - 1) * paging.limit
        raw = log.since(0, account_id=account_id, limit=offset + paging.limit + 1)[offset:]
    else:
        raw = log.since(paging.after_id or 0, account_id=account_id, limit=paging.limit + 1)
    more = len(raw) > paging.limit
    raw = raw[: paging.limit]
    # The kind filter applies within the page, so a page may hold fewer items; the cursor still moves on.
    items = [event.to_dict() for event in raw if kind_matches(kind, event.kind)]
    next_cursor = str(raw[-1].id) if more and raw else None
    return {"items": items, "next_cursor": next_cursor, "limit": paging.limit, "page": paging.page}


@router.get("/webhooks", response_model=Page[WebhookOut], summary="Webhook endpoints (never their secrets)")
async def list_webhooks(request: Request, paging: PageRequest = Depends(page_request)) -> dict[str, Any]:
    page = paginate(_webhooks(request).list(), paging, key=lambda endpoint: endpoint.id)
    page["items"] = [endpoint.to_dict() for endpoint in page["items"]]
    return page


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookCreatedOut,
    summary="Add an endpoint; its signing secret is in this answer only",
)
async def add_webhook(body: WebhookIn, request: Request) -> dict[str, Any]:
    given = body.secret.get_secret_value() if body.secret is not None else None
    endpoint, secret = _webhooks(request).add(body.url, tuple(body.events), given)
    return {"endpoint": endpoint.to_dict(), "secret": None if given else secret.reveal()}


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, summary="One endpoint", responses=NOT_FOUND)
async def show_webhook(request: Request, webhook_id: WebhookId) -> dict[str, Any]:
    return _webhooks(request).get(webhook_id).to_dict()


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove an endpoint", responses=NOT_FOUND)
async def delete_webhook(request: Request, webhook_id: WebhookId) -> Response:
    _webhooks(request).delete(webhook_id)
    return Response(status_code=204)
