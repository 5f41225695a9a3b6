"""kill -9 of ``mailhub serve`` in the middle of a 1,000-message send, then a restart: every message
delivered exactly once (counted by Message-ID where the sandbox keeps foreign mail, ``sandbox.outbound``).

``serve`` runs the account's outbox with its 4 SMTP connections. From the sandbox's 300th accepted message
on, the server holds back each ``250`` it owes, until all four connections wait for one: the sender is then
killed (SIGKILL) at the worst moment for a blind resend, on every connection at once — the server has four
messages the outbox has not recorded. Others were claimed and never started. The restarted ``serve`` must
settle the four without sending them again (Alibaba: the Sent copy is ours to make, so Sent cannot tell;
the end-of-DATA mark says the whole message was handed over), send everything else once, and file one Sent
copy each.

The moment is chosen, not random, so the test is exact. A kill at a random moment is measured by
``bench/kill_send.py``: the outbox's one remaining gap is the few microseconds between the commit of the
end-of-DATA mark and the system call that sends the final "." (see ``outbox/smtp_session.py``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from outbox_support import FOREIGN, OutboxHub

from mailhub.outbox import Draft, OutboxState, compose, enqueue_many, get_entry, list_entries, set_limits

TOTAL = 1000
HOLD_FROM = 300
CONNECTIONS = 4  # WorkerOptions' default: what ``serve`` uses for an account without a per-minute limit
HANG_GUARD = 300.0  # seconds: only against a hang, never part of what is checked


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailhub", "serve", "--port", "0", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


class HoldReplies:
    """In the sandbox's SMTP handler: from the ``n``-th accepted message on, accept (store) each message
    but hold its ``250`` (without blocking the server) until ``released``. ``all_held`` is set once
    ``connections`` replies are held, one per connection."""

    def __init__(self, running, n: int, connections: int) -> None:
        self._handler = running._service._smtp._handler  # the sandbox's aiosmtpd handler (tests only)
        self._original = self._handler.handle_DATA
        self.n = n
        self.connections = connections
        self.accepted = 0
        self.held = 0
        self.all_held = threading.Event()
        self.released = threading.Event()

    def __enter__(self) -> HoldReplies:
        async def handle_data(server, session, envelope):
            reply = await self._original(server, session, envelope)
            self.accepted += 1
            if self.accepted >= self.n:
                self.held += 1
                if self.held == self.connections:
                    self.all_held.set()
                await asyncio.to_thread(self.released.wait, HANG_GUARD)
            return reply

        self._handler.handle_DATA = handle_data
        return self

    def __exit__(self, *_exc: object) -> None:
        self.released.set()
        self._handler.handle_DATA = self._original


def _wait_until_all_sent(hub: OutboxHub, account_id: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and process.poll() is None:
        entries = list_entries(hub.store, account_id=account_id, limit=TOTAL + 10)
        done = [e for e in entries if e.state == OutboxState.SENT and e.sent_copy in ("appended", "found")]
        if len(done) == TOTAL:
            return
        time.sleep(0.2)
    raise AssertionError(f"serve did not finish the queue (exit {process.poll()})")


async def test_kill_9_of_serve_mid_send_then_restart_delivers_each_message_once(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("bulk")
    set_limits(hub.store, account_id, per_minute=None, per_day=None)
    messages = [
        compose(Draft(sender, to=[f"buyer{i}@{FOREIGN}"], subject=f"报价 {i}", text=f"第 {i} 封")) for i in range(TOTAL)
    ]
    enqueue_many(hub.store, account_id, messages)
    outbound = hub.running.sandbox.outbound
    env = dict(os.environ)

    with HoldReplies(hub.running, HOLD_FROM, CONNECTIONS) as hold:
        first = _serve(env)
        reached = await asyncio.to_thread(hold.all_held.wait, HANG_GUARD)
        stderr = first.stderr.read().decode() if first.poll() is not None and first.stderr else "stuck"
        assert reached, stderr
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 30)
        hold.released.set()
    assert first.returncode == -signal.SIGKILL
    at_server = {m.message_id for m in outbound.list(limit=TOTAL)}
    assert len(at_server) == HOLD_FROM + CONNECTIONS - 1
    held = {m.message_id for m in outbound.list(limit=CONNECTIONS)}  # the newest: accepted, never answered
    sending = {e.message_id: e for e in list_entries(hub.store, account_id=account_id, state="sending")}
    assert held <= sending.keys()  # their fate, as the outbox sees it: unknown
    claimed_only = [e for m, e in sending.items() if m not in at_server]  # claimed, never handed over
    assert claimed_only  # the connections are fed ahead: at least one message each waits for its turn

    second = _serve(env)
    try:
        await asyncio.to_thread(_wait_until_all_sent, hub, account_id, second)
    finally:
        second.send_signal(signal.SIGTERM)
        _out, errors = await asyncio.to_thread(second.communicate, None, 60)
    assert second.returncode == 0, errors.decode()

    counts = Counter({m.message_id: outbound.count_message_id(m.message_id) for m in messages})
    assert outbound.count() == TOTAL
    assert all(counts[m.message_id] == 1 for m in messages), [m for m, n in counts.items() if n != 1][:5]
    for message_id in held:  # looked up, not resent
        entry = get_entry(hub.store, sending[message_id].id)
        assert [a.outcome for a in entry.history] == ["interrupted", "assumed_sent"]
    for entry in claimed_only:  # never reached the end of DATA: simply sent after the restart
        assert [a.outcome for a in get_entry(hub.store, entry.id).history] == ["interrupted", "requeued", "sent"]
    assert len(hub.mailbox(sender, "Sent")) == TOTAL  # one Sent copy each, none doubled
