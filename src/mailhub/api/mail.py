"""``/api/v1/messages``: the synced mail of every account — list (filters, search), read, mark, delete.

Listing reads the store only; reading a body, marking and deleting go to the account's IMAP server (through
``mailhub.sync``), so a mailbox that cannot be reached answers 502 ``mailbox_unreachable``, not a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from mailhub.api.errors import ApiError
from mailhub.api.pagination import MAX_ID, Page, PageRequest, offset_page, page_request
from mailhub.api.schemas import ErrorOut
from mailhub.sync.bodies import message_body, read_message
from mailhub.sync.imap_session import ImapCommandFailed
from mailhub.sync.mail_queries import get_message, list_messages
from mailhub.sync.write_back import MessageNotFound, delete_message, mark
from mailhub.transport.errors import TransportFailure

router = APIRouter(prefix="/messages", tags=["messages"])

MessageId = Annotated[int, Path(ge=1, le=MAX_ID, description="The message's id in the hub.")]
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such message."}}
UNREACHABLE = {502: {"model": ErrorOut, "description": "The mailbox's server could not be reached or refused."}}
T = TypeVar("T")


class MessageOut(BaseModel):
    """One line of the unified inbox."""

    id: int
    account: str
    folder: str
    uid: int
    date: str | None
    from_name: str
    from_email: str
    subject: str
    snippet: str
    seen: bool
    flags: str
    has_attachments: bool
    attachment_names: list[str]
    size: int | None
    message_id: str | None
    to: list[list[str]]
    cc: list[list[str]]
    problems: list[str]


class AttachmentOut(BaseModel):
    number: int
    filename: str
    content_type: str
    size: int


class BodyOut(BaseModel):
    text: str
    html: str  # sanitized: no scripts, styles, event handlers or javascript: links
    attachments: list[AttachmentOut]
    problems: list[str]


class MessageDetailOut(BaseModel):
    message: MessageOut
    body: BodyOut | None


def _not_found(message_id: int) -> ApiError:
    return ApiError(404, "message_not_found", f"No message {message_id}.", f"没有编号为 {message_id} 的邮件。")


async def _at_server(work: Awaitable[T], message_id: int) -> T:
    """Run one server round trip; unknown ids are 404, an unreachable or refusing server 502."""
    try:
        return await work
    except MessageNotFound:
        raise _not_found(message_id) from None
    except (TransportFailure, ImapCommandFailed, OSError, TimeoutError, LookupError) as error:
        raise ApiError(
            502,
            "mailbox_unreachable",
            f"The mailbox's server could not be reached or refused ({type(error).__name__}).",
            f"无法连接该邮箱的服务器，或服务器拒绝了请求（{type(error).__name__}）。",
        ) from None


@router.get("", response_model=Page[MessageOut], summary="The unified inbox, newest first")
async def list_all(
    request: Request,
    paging: PageRequest = Depends(page_request),
    account: Annotated[str | None, Query(max_length=320, description="An account id or address.")] = None,
    folder: Annotated[str | None, Query(max_length=200, description="INBOX, Sent, 已发送, ...")] = None,
    search: Annotated[str | None, Query(max_length=200, description="In subject, sender and snippet.")] = None,
    unread: bool = False,
) -> dict[str, Any]:
    store = request.app.state.store
    if account is not None and account.strip().isdigit() and int(account.strip()) > MAX_ID:
        return {"items": [], "next_cursor": None, "limit": paging.limit, "page": paging.page}

    def fetch(limit: int, offset: int) -> list[dict[str, Any]]:
        found = list_messages(
            store, account=account, folder=folder, search=search, unread=unread, limit=limit, offset=offset
        )
        return [item.to_dict() for item in found]

    return offset_page(fetch, paging)


@router.get(
    "/{message_id}",
    response_model=MessageDetailOut,
    summary="One message; with its text, sanitized HTML and attachments unless body=false",
    responses={**NOT_FOUND, **UNREACHABLE},
)
async def show(request: Request, message_id: MessageId, body: bool = True) -> dict[str, Any]:
    store = request.app.state.store
    item = get_message(store, message_id)
    if item is None:
        raise _not_found(message_id)
    if not body:
        return {"message": item.to_dict(), "body": None}
    raw = await _at_server(message_body(store, request.app.state.service.vault, message_id), message_id)
    view = read_message(raw)
    attachments = [
        {"number": a.number, "filename": a.filename, "content_type": a.content_type, "size": a.size}
        for a in view.attachments
    ]
    content = {"text": view.text, "html": view.html, "attachments": attachments, "problems": view.problems}
    return {"message": item.to_dict(), "body": content}


async def _mark(request: Request, message_id: int, read: bool) -> dict[str, Any]:
    store = request.app.state.store
    await _at_server(mark(store, request.app.state.service.vault, message_id, read=read), message_id)
    item = get_message(store, message_id)
    if item is None:  # deleted by a sync meanwhile
        raise _not_found(message_id)
    return item.to_dict()


@router.post(
    "/{message_id}/read",
    response_model=MessageOut,
    summary="Mark read (on the server too)",
    responses={**NOT_FOUND, **UNREACHABLE},
)
async def mark_read(request: Request, message_id: MessageId) -> dict[str, Any]:
    return await _mark(request, message_id, True)


@router.post(
    "/{message_id}/unread",
    response_model=MessageOut,
    summary="Mark unread (on the server too)",
    responses={**NOT_FOUND, **UNREACHABLE},
)
async def mark_unread(request: Request, message_id: MessageId) -> dict[str, Any]:
    return await _mark(request, message_id, False)


@router.delete(
    "/{message_id}",
    status_code=204,
    summary="Delete on the server, then in the hub",
    responses={**NOT_FOUND, **UNREACHABLE},
)
async def delete(request: Request, message_id: MessageId) -> Response:
    store = request.app.state.store
    await _at_server(delete_message(store, request.app.state.service.vault, message_id), message_id)
    return Response(status_code=204)
