"""The mailbox viewer: a user's delivered mail by folder (INBOX, Sent, ...) and the captured outbound mail.

Users see their own mailboxes (``/mail``); the domain admin sees every user of the domain and the mail
they sent to other domains, which the sandbox captures instead of sending (``/admin/mail``, ``/admin/outbound``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailhub.sandbox.console import mail_view, pages
from mailhub.sandbox.sandbox import Sandbox

router = APIRouter()
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class MailLinks:
    """Where the viewer's links go: the user's own ``/mail`` or the admin's ``/admin/mail?user=``."""

    user: str | None = None

    def _url(self, path: str, **params: object) -> str:
        if self.user is not None:
            params = {"user": self.user, **params}
        return f"{'/admin' if self.user is not None else ''}{path}?{urlencode(params)}"

    def folder(self, box: str) -> str:
        return self._url("/mail", box=box)

    def message(self, box: str, uid: int) -> str:
        return self._url("/mail/message", box=box, uid=uid)


def _messages(box: Sandbox, address: str, name: str) -> list[mail_view.MessageLine]:
    """The newest ``PAGE_SIZE`` messages of one mailbox, newest first."""
    mailbox = box.mail.get_mailbox(address, name)
    if mailbox is None:
        return []
    uids = sorted(box.mail.uids(mailbox.id))[-PAGE_SIZE:]
    if not uids:
        return []
    rows = box.mail.rows(mailbox.id, [(uids[0], uids[-1])], with_raw=True)
    return [mail_view.line(r.uid, r.raw or b"", r.size, "\\Seen" not in r.flags.split()) for r in reversed(rows)]


def _message(box: Sandbox, address: str, name: str, uid: int) -> mail_view.MessageView | None:
    mailbox = box.mail.get_mailbox(address, name)
    rows = box.mail.rows(mailbox.id, [(uid, uid)], with_raw=True) if mailbox else []
    return mail_view.view(rows[0].raw or b"") if rows else None


def _mailbox_page(request: Request, address: str, name: str, links: MailLinks) -> Response:
    box = pages.sandbox(request)
    return pages.render(
        request,
        "mailbox.html",
        address=address,
        mailboxes=box.mail.list_mailboxes(address),
        current=name,
        messages=_messages(box, address, name),
        links=links,
    )


def _message_page(request: Request, address: str, name: str, uid: int, links: MailLinks) -> Response:
    message = _message(pages.sandbox(request), address, name, uid)
    if message is None:
        return pages.render(request, "error.html", 404, message_key="error.not_found")
    return pages.render(request, "message.html", address=address, current=name, message=message, links=links)


@router.get("/mail")
async def user_mailbox(request: Request, box: str = "INBOX") -> Response:
    address = pages.require(request, "user").subject
    return _mailbox_page(request, address, box, MailLinks())


@router.get("/mail/message")
async def user_message(request: Request, uid: int, box: str = "INBOX") -> Response:
    address = pages.require(request, "user").subject
    return _message_page(request, address, box, uid, MailLinks())


def _domain_user(request: Request, user: str) -> str:
    """The chosen user when they belong to the admin's domain, else the domain's first user (or '')."""
    domain = pages.require(request, "admin").subject
    users = [u.address for u in pages.sandbox(request).directory.list_users(domain)]
    return user.strip().lower() if user.strip().lower() in users else (users[0] if users else "")


@router.get("/admin/mail")
async def admin_mailbox(request: Request, user: str = "", box: str = "INBOX") -> Response:
    domain = pages.require(request, "admin").subject
    address = _domain_user(request, user)
    users = [u.address for u in pages.sandbox(request).directory.list_users(domain)]
    if not address:
        empty = {"mailboxes": [], "messages": [], "links": MailLinks("")}
        return pages.render(request, "mailbox.html", address="", users=users, **empty)
    sandbox = pages.sandbox(request)
    return pages.render(
        request,
        "mailbox.html",
        address=address,
        users=users,
        mailboxes=sandbox.mail.list_mailboxes(address),
        current=box,
        messages=_messages(sandbox, address, box),
        links=MailLinks(address),
    )


@router.get("/admin/mail/message")
async def admin_message(request: Request, user: str, uid: int, box: str = "INBOX") -> Response:
    address = _domain_user(request, user)
    return _message_page(request, address, box, uid, MailLinks(address))


def _from_domain(message_from: str, domain: str) -> bool:
    return message_from.strip().lower().endswith("@" + domain)


@router.get("/admin/outbound")
async def outbound_list(request: Request) -> Response:
    """Mail this domain's users sent to other domains (captured, never delivered)."""
    domain = pages.require(request, "admin").subject
    captured = [m for m in pages.sandbox(request).outbound.list(limit=500) if _from_domain(m.mail_from, domain)]
    return pages.render(request, "outbound.html", domain=domain, captured=captured[:PAGE_SIZE])


@router.get("/admin/outbound/{capture_id}")
async def outbound_message(request: Request, capture_id: int) -> Response:
    domain = pages.require(request, "admin").subject
    captured = pages.sandbox(request).outbound.get(capture_id)
    if captured is None or not _from_domain(captured.mail_from, domain):
        return pages.render(request, "error.html", 404, message_key="error.not_found")
    return pages.render(
        request, "message.html", address="", current="", message=mail_view.view(captured.raw), captured=captured
    )
