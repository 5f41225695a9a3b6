"""Webhook endpoints: add, list, delete; and how a delivery is signed.

Every delivery is a POST of the event as JSON with::

    X-Mailhub-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret>
    X-Mailhub-Timestamp: <unix seconds>   (also inside the signed body as "timestamp", so it cannot be swapped)
    X-Mailhub-Event: <kind>
    X-Mailhub-Delivery: <event id>        (the same on every retry: receivers can drop duplicates)

The secret is shown once when the endpoint is added and kept sealed by the vault.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select

from mailhub.accounts.vault import SealedSecret, Secret, Vault
from mailhub.runtime.events import Event
from mailhub.store import Store
from mailhub.store.event_models import EventRow, WebhookDeliveryRow, WebhookEndpointRow, webhook_seal_id
from mailhub.store.models import utcnow

SIGNATURE_HEADER = "X-Mailhub-Signature"
TIMESTAMP_HEADER = "X-Mailhub-Timestamp"
EVENT_HEADER = "X-Mailhub-Event"
DELIVERY_HEADER = "X-Mailhub-Delivery"


class WebhookError(Exception):
    """A refusal a person can meet: a stable ``code`` and a zh/en message."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.messages = {"en": en, "zh": zh}

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """An endpoint as people see it (never its secret)."""

    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    last_event_id: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": shown_url(self.url),
            "events": list(self.events),
            "active": self.active,
            "last_event_id": self.last_event_id,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One recorded attempt."""

    endpoint_id: int
    event_id: int
    attempt: int
    at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    elapsed_ms: int
    outcome: str


def sign(secret: Secret, body: bytes) -> str:
    """The ``X-Mailhub-Signature`` value for ``body``."""
    digest = hmac.new(secret.reveal().encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver checks (constant-time): the header matches the raw body it got."""
    if not header:
        return False
    return hmac.compare_digest(sign(Secret(secret), body), header)


def delivery_body(event: Event, timestamp: int) -> bytes:
    """The raw body POSTed for ``event``: the event's JSON plus the signed timestamp."""
    return json.dumps({**event.to_dict(), "timestamp": timestamp}, ensure_ascii=False).encode()


def shown_url(url: str) -> str:
    """The URL with any password in it (``https://user:pass@host/``) masked, for logs, errors and lists."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def endpoint_of(row: WebhookEndpointRow) -> WebhookEndpoint:
    return WebhookEndpoint(
        row.id, row.url, tuple(row.event_filter or ()), row.active, row.last_event_id, row.created_at
    )


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(
            "webhook_url_invalid",
            f"{shown_url(url)!r} is not an http(s) URL.",
            f"{shown_url(url)!r} 不是 http(s) 地址。",
        )
    return url.strip()


class Webhooks:
    """The endpoints table over one store and one vault."""

    def __init__(self, store: Store, vault: Vault) -> None:
        self.store = store
        self.vault = vault

    def add(self, url: str, events: tuple[str, ...] = (), secret: str | None = None) -> tuple[WebhookEndpoint, Secret]:
        """A new endpoint receiving events from now on; returns it with its secret (show it once)."""
        url = _check_url(url)
        key = Secret(secret or secrets.token_urlsafe(32))
        with self.store.session() as session:
            last = int(session.scalar(select(func.max(EventRow.id))) or 0)
            row = WebhookEndpointRow(
                url=url,
                secret_ciphertext=b"",
                secret_nonce=b"",
                secret_key_id="",
                event_filter=[e.strip() for e in events if e.strip()],
                active=True,
                last_event_id=last,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            sealed = self.vault.seal(webhook_seal_id(row.id), key)
            row.secret_ciphertext, row.secret_nonce, row.secret_key_id = sealed.ciphertext, sealed.nonce, sealed.key_id
            return endpoint_of(row), key

    def list(self) -> list[WebhookEndpoint]:
        with self.store.session() as session:
            return [endpoint_of(r) for r in session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.id))]

    def get(self, endpoint_id: int) -> WebhookEndpoint:
        with self.store.session() as session:
            return endpoint_of(self._row(session, endpoint_id))

    def delete(self, endpoint_id: int) -> WebhookEndpoint:
        """Remove the endpoint and its delivery records; its queue stops at the next event."""
        with self.store.session() as session:
            row = self._row(session, endpoint_id)
            endpoint = endpoint_of(row)
            session.query(WebhookDeliveryRow).filter(WebhookDeliveryRow.endpoint_id == row.id).delete()
            session.delete(row)
            return endpoint

    def secret(self, endpoint_id: int) -> Secret:
        """The endpoint's signing secret, for the one place that signs."""
        with self.store.session() as session:
            row = self._row(session, endpoint_id)
            sealed = SealedSecret(row.secret_ciphertext, row.secret_nonce, row.secret_key_id)
        return self.vault.open(webhook_seal_id(endpoint_id), sealed)

    def attempts(self, endpoint_id: int | None = None, *, limit: int = 100) -> list[DeliveryAttempt]:
        """Recorded delivery attempts, oldest first."""
        query = select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        if endpoint_id is not None:
            query = query.where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        with self.store.session() as session:
            rows = list(session.scalars(query))
        return [
            DeliveryAttempt(
                r.endpoint_id, r.event_id, r.attempt, r.at, r.ok, r.status_code, r.error, r.elapsed_ms, r.outcome
            )
            for r in reversed(rows)
        ]

    def _row(self, session: Any, endpoint_id: int) -> WebhookEndpointRow:
        row = session.get(WebhookEndpointRow, endpoint_id)
        if row is None:
            raise WebhookError(
                "webhook_not_found", f"No webhook endpoint {endpoint_id}.", f"没有编号为 {endpoint_id} 的 Webhook。"
            )
        return row
