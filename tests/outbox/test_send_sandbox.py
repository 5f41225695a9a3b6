"""Sending through a bound Alibaba mailbox in the sandbox: what arrives, what Sent keeps, what is recorded."""

from __future__ import annotations

import email
from email.policy import default

from outbox_support import FOREIGN, Events, OutboxHub

from mailhub.outbox import Attachment, Draft, OutboxState, compose, enqueue, get_entry


async def test_a_message_arrives_with_chinese_subject_attachment_and_a_sent_copy(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("alice")
    colleague = hub.local_user("bob")
    draft = Draft(
        sender,
        to=[f"王小明 <{colleague}>"],
        cc=[f"buyer@{FOREIGN}"],
        subject="报价单 — 2026 年春季",
        text="您好，附件是报价单。",
        html="<p>您好，<b>附件</b>是报价单。</p>",
        attachments=[Attachment("报价单.pdf", b"%PDF-1.4 fake but bytes", "application/pdf")],
        from_name="张三",
    )
    message = compose(draft)
    events = Events()
    entry = enqueue(hub.store, account_id, message, publish=events)
    assert entry.state == OutboxState.QUEUED  # persisted before any send

    report = await hub.worker(account_id, publish=events).run_once()

    assert (report.sent, report.failed) == (1, 0)
    inbox = hub.mailbox(colleague, "INBOX")
    assert len(inbox) == 1
    got = inbox[0]
    assert got["Subject"] == "报价单 — 2026 年春季"
    assert got["Message-ID"] == message.message_id
    assert str(got["From"]) == f"张三 <{sender}>"
    attachment = next(got.iter_attachments())
    assert attachment.get_filename() == "报价单.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake but bytes"
    assert got.get_body(("plain",)).get_content().strip() == "您好，附件是报价单。"
    captured = hub.running.sandbox.outbound.for_recipient(f"buyer@{FOREIGN}")
    assert [c.message_id for c in captured] == [message.message_id]
    sent = hub.mailbox(sender, "Sent")
    assert [m["Message-ID"] for m in sent] == [message.message_id]
    done = get_entry(hub.store, entry.id)
    assert done.state == OutboxState.SENT and done.sent_copy == "appended"
    assert [a.outcome for a in done.history] == ["sent"]
    assert done.history[0].reply.startswith("250")
    assert events.kinds() == ["outbox.queued", "outbox.sending", "outbox.sent"]


async def test_bcc_is_delivered_but_not_shown(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("carol")
    hidden = hub.local_user("hidden")
    message = compose(Draft(sender, to=[f"a@{FOREIGN}"], bcc=[hidden], subject="bcc", text="x"))
    enqueue(hub.store, account_id, message)
    await hub.worker(account_id).run_once()
    [got] = hub.mailbox(hidden, "INBOX")
    assert got["Bcc"] is None and got["Message-ID"] == message.message_id
    raw = hub.running.sandbox.outbound.get(hub.running.sandbox.outbound.list()[0].id).raw
    assert b"hidden@" not in email.message_from_bytes(raw, policy=default).as_bytes().split(b"\r\n\r\n")[0]
