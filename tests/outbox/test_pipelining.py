"""The next message's MAIL, RCPT and DATA ride with this one's final "." (RFC 2920), against the sandbox."""

from __future__ import annotations

import pytest
from outbox_support import FOREIGN, OutboxHub, SmtpFaults

from mailhub.catalog.model import ServerSettings
from mailhub.outbox import Draft, compose
from mailhub.outbox.smtp_session import SendRefused, SmtpSession
from mailhub.transport.errors import TransportFailure

SMTP = ServerSettings("smtp.qiye.aliyun.com", 465, "ssl")


async def _session(hub: OutboxHub, local: str) -> tuple[SmtpSession, str]:
    address = hub.local_user(local)
    session = await SmtpSession.open(SMTP, address, hub.running.new_client_password(address), timeout=10)
    return session, address


def _message(sender: str, n: int):
    return compose(Draft(sender, to=[f"buyer{n}@{FOREIGN}"], subject=f"报价 {n}", text=f"第 {n} 封"))


async def _go(end_data) -> bool:
    end_data()
    return True


async def test_commands_sent_ahead_are_answered_for_the_next_message(hub: OutboxHub) -> None:
    session, sender = await _session(hub, "ahead")
    first, second, third = (_message(sender, n) for n in range(3))
    try:
        envelope = (second.envelope_from, tuple(second.recipients))
        await session.send(first.envelope_from, first.recipients, first.raw, _go, then=envelope)
        assert session.sent_ahead
        await session.send(second.envelope_from, second.recipients, second.raw, _go)
        assert not session.sent_ahead
        await session.send(third.envelope_from, third.recipients, third.raw, _go)
    finally:
        await session.close()
    outbound = hub.running.sandbox.outbound
    assert [outbound.count_message_id(m.message_id) for m in (first, second, third)] == [1, 1, 1]
    assert outbound.count() == 3


async def test_a_refused_message_does_not_take_the_next_one_down(hub: OutboxHub, smtp_faults: SmtpFaults) -> None:
    session, sender = await _session(hub, "refused")
    first, second = _message(sender, 1), _message(sender, 2)
    smtp_faults.replies = ["554 Reject by behaviour spam at Rcpt Limit"]
    try:
        with pytest.raises(SendRefused) as refused:
            envelope = (second.envelope_from, tuple(second.recipients))
            await session.send(first.envelope_from, first.recipients, first.raw, _go, then=envelope)
        assert refused.value.phase == "data" and session.sent_ahead
        await session.send(second.envelope_from, second.recipients, second.raw, _go)
    finally:
        await session.close()
    outbound = hub.running.sandbox.outbound
    assert outbound.count() == 1 and outbound.count_message_id(second.message_id) == 1


async def test_another_message_after_commands_sent_ahead_is_refused_not_merged(hub: OutboxHub) -> None:
    """The server waits for the announced message's text: writing another message now would become part of
    it. The session hangs up instead, and nothing is delivered."""
    session, sender = await _session(hub, "merged")
    first, announced, other = (_message(sender, n) for n in range(3))
    try:
        envelope = (announced.envelope_from, tuple(announced.recipients))
        await session.send(first.envelope_from, first.recipients, first.raw, _go, then=envelope)
        with pytest.raises(TransportFailure):
            await session.send(other.envelope_from, other.recipients, other.raw, _go)
        assert not session.connected
    finally:
        await session.close()
    outbound = hub.running.sandbox.outbound
    assert outbound.count() == 1 and outbound.count_message_id(first.message_id) == 1
