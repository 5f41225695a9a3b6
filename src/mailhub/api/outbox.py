"""``/api/v1/send`` and ``/api/v1/outbox``: queue a message (persisted first, sent by the account's worker),
then follow, retry or cancel it. The answer to ``send`` is 202: queued, not yet sent.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from mailhub.accounts.service import AccountService
from mailhub.api.deps import Lang, account_service, request_lang
from mailhub.api.errors import ApiError
from mailhub.api.pagination import MAX_ID, Page, PageRequest, page_request, paginate
from mailhub.api.schemas import ErrorOut
from mailhub.outbox import Attachment, Draft, cancel, compose, enqueue, get_entry, list_entries, retry
from mailhub.outbox.entries import no_publish

router = APIRouter(tags=["outbox"])

OutboxId = Annotated[int, Path(ge=1, le=MAX_ID, description="The outbox message's id.")]
States = Literal["queued", "sending", "sent", "failed", "held", "cancelled"]
MAX_LISTED = 10_000  # the outbox list reads at most this many of the newest rows
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
Address = Annotated[str, Field(min_length=3, max_length=320)]


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$")
    data_base64: str = Field(description="The file's bytes, base64.")


class SendIn(BaseModel):
    """A message to send from one bound account."""

    model_config = ConfigDict(extra="forbid")

    account_id: int = Field(ge=1, le=MAX_ID)
    to: list[Address] = Field(default=[], max_length=500)
    cc: list[Address] = Field(default=[], max_length=500)
    bcc: list[Address] = Field(default=[], max_length=500)
    subject: str = Field(default="", max_length=998)
    text: str | None = Field(default=None, max_length=5_000_000)
    html: str | None = Field(default=None, max_length=5_000_000)
    attachments: list[AttachmentIn] = Field(default=[], max_length=50)
    send_at: datetime | None = Field(default=None, description="Schedule (with a time zone); now when null.")


class OutboxOut(BaseModel):
    """``OutboxEntry.to_dict(lang)``: one queued message and what became of it."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    account_id: int | None
    from_: str = Field(alias="from")
    message_id: str
    recipients: list[str]
    subject: str
    size: int
    state: States
    state_label: str
    not_before: str | None
    attempts: int
    sent_at: str | None
    sent_copy: str | None
    last_reply: str | None
    diagnosis_code: str | None
    diagnosis: dict[str, Any] | None
    batch_id: str | None
    created_at: str
    history: list[dict[str, Any]]


def _publish(request: Request) -> Any:
    """The supervisor's ``publish`` when one runs in this process; else events go nowhere (workers report)."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.publish if runtime is not None else no_publish


def _attachment(item: AttachmentIn) -> Attachment:
    try:
        data = base64.b64decode(item.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            422,
            "attachment_invalid",
            f"{item.filename}: data_base64 is not base64.",
            f"{item.filename}：附件内容不是 base64。",
        ) from None
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ApiError(422, "attachment_too_large", f"{item.filename} is over 25 MB.", f"{item.filename} 超过 25 MB。")
    return Attachment(item.filename, data, item.content_type)


@router.post(
    "/send",
    status_code=202,
    response_model=OutboxOut,
    summary="Queue a message; the account's worker sends it within its limits",
    responses={404: {"model": ErrorOut, "description": "No such account."}},
)
async def send(
    body: SendIn,
    request: Request,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> dict[str, Any]:
    account = service.get(body.account_id)
    if body.send_at is not None and body.send_at.tzinfo is None:
        raise ApiError(422, "send_at_needs_zone", "send_at needs a time zone.", "send_at 需要带时区。")
    draft = Draft(
        from_address=account.email,
        to=body.to,
        cc=body.cc,
        bcc=body.bcc,
        subject=body.subject,
        text=body.text,
        html=body.html,
        attachments=[_attachment(item) for item in body.attachments],
        from_name=account.name,
    )
    entry = enqueue(request.app.state.store, account.id, compose(draft), at=body.send_at, publish=_publish(request))
    return entry.to_dict(lang)


@router.get("/outbox", response_model=Page[OutboxOut], summary="Queued, sending, sent and failed mail, newest first")
async def list_outbox(
    request: Request,
    paging: PageRequest = Depends(page_request),
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    state: States | None = None,
    lang: Lang = Depends(request_lang),
) -> dict[str, Any]:
    entries = list_entries(request.app.state.store, account_id=account_id, state=state, limit=MAX_LISTED)
    page = paginate(entries, paging, key=lambda entry: entry.id, newest_first=True)
    page["items"] = [entry.to_dict(lang) for entry in page["items"]]
    return page


OUTBOX_ERRORS = {
    404: {"model": ErrorOut, "description": "No such outbox message."},
    409: {"model": ErrorOut, "description": "Not possible in the message's state."},
}


@router.get(
    "/outbox/{outbox_id}", response_model=OutboxOut, summary="One message with every attempt", responses=OUTBOX_ERRORS
)
async def show_outbox(request: Request, outbox_id: OutboxId, lang: Lang = Depends(request_lang)) -> dict[str, Any]:
    return get_entry(request.app.state.store, outbox_id).to_dict(lang)


@router.post(
    "/outbox/{outbox_id}/retry",
    response_model=OutboxOut,
    summary="Queue a failed or cancelled message again",
    responses=OUTBOX_ERRORS,
)
async def retry_outbox(request: Request, outbox_id: OutboxId, lang: Lang = Depends(request_lang)) -> dict[str, Any]:
    return retry(request.app.state.store, outbox_id, _publish(request)).to_dict(lang)


@router.post(
    "/outbox/{outbox_id}/cancel",
    response_model=OutboxOut,
    summary="Cancel a message not yet sending",
    responses=OUTBOX_ERRORS,
)
async def cancel_outbox(request: Request, outbox_id: OutboxId, lang: Lang = Depends(request_lang)) -> dict[str, Any]:
    return cancel(request.app.state.store, outbox_id).to_dict(lang)
