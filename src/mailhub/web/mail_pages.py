"""电子邮件: one inbox across accounts (filter by account and folder, search, unread), the message view (the
sync module's sanitized HTML, shown in a sandboxed iframe under its own strict CSP), attachments, compose with
a from-account picker and attachments, and the outbox with each message's state."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from mailhub.outbox import Attachment, ComposeError, Draft, compose, enqueue, list_entries
from mailhub.outbox.entries import no_publish
from mailhub.sync.bodies import attachment_bytes, message_body, read_message
from mailhub.sync.mail_queries import get_message, list_messages
from mailhub.web import auth
from mailhub.web.i18n import request_lang
from mailhub.web.render import apply_headers, render

router = APIRouter(dependencies=[Depends(auth.require_admin)])
csrf = [Depends(auth.check_csrf)]

PAGE_SIZE = 50
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
# The message body frame: no scripts, no requests out (remote images would tell the sender it was read).
BODY_CSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'"


def _publish(request: Request) -> Any:
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.publish if runtime is not None else no_publish


@router.get("/mail")
async def inbox(
    request: Request, account: str = "", folder: str = "", q: str = "", unread: str = "", page: int = 1
) -> Response:
    page = max(page, 1)
    filters = {"account": account, "folder": folder, "q": q, "unread": unread}
    messages = list_messages(
        auth.store_of(request),
        account=account or None,
        folder=folder or None,
        search=q.strip() or None,
        unread=bool(unread),
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    query = "&".join(f"{key}={quote(value)}" for key, value in filters.items() if value)
    return render(
        request,
        "mail_inbox.html",
        messages=messages[:PAGE_SIZE],
        more=len(messages) > PAGE_SIZE,
        page=page,
        query=query,
        filters=filters,
        accounts=request.app.state.service.list(),
    )


@router.get("/mail/list")
async def inbox_list(request: Request, account: str = "", folder: str = "", q: str = "", unread: str = "") -> Response:
    """The message table alone (live refresh when new mail arrives)."""
    messages = list_messages(
        auth.store_of(request), account=account or None, folder=folder or None, search=q or None, unread=bool(unread)
    )
    return render(request, "_mail_list.html", messages=messages[:PAGE_SIZE])


def _message(request: Request, message_id: int):
    found = get_message(auth.store_of(request), message_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def _raw(request: Request, message_id: int) -> bytes:
    try:
        return await message_body(auth.store_of(request), request.app.state.service.vault, message_id)
    except LookupError:
        raise HTTPException(status_code=404) from None
    except (OSError, TimeoutError, ConnectionError) as failure:  # the server cannot be reached right now
        raise HTTPException(status_code=502, detail=type(failure).__name__) from None


@router.get("/mail/compose")
async def compose_form(request: Request, account: str = "") -> Response:
    return render(request, "mail_compose.html", accounts=request.app.state.service.list(), form={}, error=None)


@router.post("/mail/compose", dependencies=csrf)
async def compose_send(request: Request) -> Response:
    """Persist the message in the outbox (the account's worker sends it) and show the outbox."""
    form = await request.form()
    lang = request_lang(request)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    accounts = {str(a.id): a for a in request.app.state.service.list()}
    account = accounts.get(values.get("account", ""))
    attachments: list[Attachment] = []
    for upload in form.getlist("attachments"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_ATTACHMENT_BYTES + 1)
            if len(data) > MAX_ATTACHMENT_BYTES:
                error = {"zh": "附件超过 25 MB。", "en": "An attachment is larger than 25 MB."}[lang]
                return render(request, "mail_compose.html", 400, accounts=accounts.values(), form=values, error=error)
            attachments.append(Attachment(upload.filename, data, upload.content_type or "application/octet-stream"))
    try:
        if account is None:
            raise ComposeError("account_missing", "Choose the account to send from.", "请选择发件账号。")
        draft = Draft(
            from_address=account.email,
            from_name=account.name,
            to=_split(values.get("to", "")),
            cc=_split(values.get("cc", "")),
            subject=values.get("subject", ""),
            text=values.get("text", ""),
            attachments=attachments,
        )
        enqueue(auth.store_of(request), account.id, compose(draft), publish=_publish(request))
    except ComposeError as refusal:
        error = refusal.messages.get(lang, str(refusal))
        return render(request, "mail_compose.html", 400, accounts=accounts.values(), form=values, error=error)
    return apply_headers(request, RedirectResponse("/mail/outbox?queued=1", status_code=303))


def _split(text: str) -> list[str]:
    """Recipients typed with commas or semicolons (Chinese punctuation too)."""
    for separator in (";", "；", "，"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


@router.get("/mail/outbox")
async def outbox(request: Request) -> Response:
    entries = list_entries(auth.store_of(request), limit=100)
    return render(request, "mail_outbox.html", entries=entries)


@router.get("/mail/outbox/list")
async def outbox_list(request: Request) -> Response:
    return render(request, "_outbox_list.html", entries=list_entries(auth.store_of(request), limit=100))


@router.get("/mail/{message_id}")
async def message_page(request: Request, message_id: int) -> Response:
    item = _message(request, message_id)
    error = None
    attachments: list[Any] = []
    try:
        attachments = read_message(await _raw(request, message_id)).attachments
    except HTTPException as failure:
        if failure.status_code == 404:
            raise
        error = "unreachable"  # the server cannot be reached now: show what the list knows
    return render(request, "mail_message.html", item=item, attachments=attachments, error=error)


@router.get("/mail/{message_id}/body")
async def message_frame(request: Request, message_id: int) -> Response:
    """The body alone, for the sandboxed iframe: sanitized HTML, else the text, escaped."""
    _message(request, message_id)
    view = read_message(await _raw(request, message_id))
    body = view.html or f'<pre style="white-space:pre-wrap;font:14px/1.5 sans-serif">{html.escape(view.text)}</pre>'
    page = f'<!doctype html><html><head><meta charset="utf-8"><base target="_blank"></head><body>{body}</body></html>'
    headers = {
        "Content-Security-Policy": BODY_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/mail/{message_id}/attachments/{number}")
async def attachment(request: Request, message_id: int, number: int) -> Response:
    """An attachment as a download (never rendered in the hub's origin)."""
    _message(request, message_id)
    try:
        filename, data = attachment_bytes(await _raw(request, message_id), number)
    except LookupError:
        raise HTTPException(status_code=404) from None
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)
