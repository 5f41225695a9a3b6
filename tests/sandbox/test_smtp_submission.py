"""Sending through the sandbox: sender = login, local recipients land in INBOX, the rest is captured."""

from __future__ import annotations

import base64
import smtplib
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import aiosmtplib
import pytest
from conftest_smtp import SMALL_LIMIT, RunningSmtp, Transcript, smtp_sandbox_fixture  # noqa: F401  (fixture)

from mailhub.sandbox.profiles import get_edition

SENDER = "sales@trade-demo.cn"
COLLEAGUE = "ops@trade-demo.cn"
CUSTOMER = "buyer@customer.example"
PASSWORD = "Web-Passw0rd!"
ALIYUN = get_edition("aliyun-standard")


@pytest.fixture
def sender_secret(smtp_sandbox: RunningSmtp) -> str:
    smtp_sandbox.bind_user(SENDER, PASSWORD)
    smtp_sandbox.bind_user(COLLEAGUE, PASSWORD)
    return smtp_sandbox.new_client_password(SENDER)


def plain(username: str, secret: str) -> str:
    return base64.b64encode(f"\0{username}\0{secret}".encode()).decode()


def logged_in(running: RunningSmtp, secret: str) -> smtplib.SMTP_SSL:
    client = smtplib.SMTP_SSL(running.host, running.ports["smtps"], context=running.client_context(), timeout=10)
    client.login(SENDER, secret)
    return client


def message(to: str, subject: str = "报价单 / quotation", body: str = "您好，附件是报价单。\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((to, subject)))}@trade-demo.cn>"
    msg.set_content(body)
    return msg


def inbox(running: RunningSmtp, address: str) -> list[bytes]:
    """The raw messages in the user's INBOX, read through the mail store."""
    mail = running.sandbox.mail
    box = mail.mailbox(address, "INBOX")
    return [row.raw or b"" for row in mail.rows(box.id, [(1, 2**32 - 1)], with_raw=True)]


def test_mail_from_must_be_the_logged_in_user(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    with logged_in(smtp_sandbox, sender_secret) as client:
        code, text = client.mail(COLLEAGUE)
        assert f"{code} {text.decode()}" == "440 mail from account doesn't conform with authentication"
        assert client.mail(SENDER.upper())[0] == 250  # the address is compared case-insensitively


def test_mail_before_auth_is_refused_in_the_editions_words(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    talk = Transcript.implicit_tls(smtp_sandbox)
    try:
        talk.reply()
        talk.command("EHLO client.test")
        assert talk.command(f"MAIL FROM:<{SENDER}>") == ALIYUN.smtp_reply("auth_required")
    finally:
        talk.close()


def test_unknown_local_user_is_refused_at_rcpt(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    with logged_in(smtp_sandbox, sender_secret) as client:
        client.mail(SENDER)
        code, text = client.rcpt("nobody@trade-demo.cn")
        assert f"{code} {text.decode()}" == ALIYUN.smtp_reply("unknown_local_user")
        assert client.rcpt(COLLEAGUE)[0] == 250


def test_local_delivery_lands_in_the_recipients_inbox(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    with logged_in(smtp_sandbox, sender_secret) as client:
        refused = client.send_message(message(COLLEAGUE))
    assert refused == {}
    [raw] = inbox(smtp_sandbox, COLLEAGUE)
    parsed = BytesParser(policy=default).parsebytes(raw)
    assert parsed["Subject"] == "报价单 / quotation"
    assert parsed.get_content().rstrip() == "您好，附件是报价单。"
    assert parsed["Return-Path"] == f"<{SENDER}>"
    assert "with ESMTPSA" in parsed["Received"] and "127.0.0.1" in parsed["Received"]
    assert smtp_sandbox.sandbox.outbound.count() == 0


def sent_folder(running: RunningSmtp, address: str) -> list[bytes]:
    mail = running.sandbox.mail
    box = mail.mailbox(address, "Sent")
    return [row.raw or b"" for row in mail.rows(box.id, [(1, 2**32 - 1)], with_raw=True)]


def test_tencent_files_what_it_accepts_in_the_senders_sent_alibaba_does_not(smtp_sandbox: RunningSmtp) -> None:
    tencent = "sales@tx-trade.cn"
    smtp_sandbox.bind_user(tencent, PASSWORD, edition="tencent-exmail")
    smtp_sandbox.bind_user(SENDER, PASSWORD)
    context = smtp_sandbox.client_context()
    for address in (tencent, SENDER):
        secret = smtp_sandbox.new_client_password(address)
        with smtplib.SMTP_SSL(smtp_sandbox.host, smtp_sandbox.ports["smtps"], context=context, timeout=10) as client:
            client.login(address, secret)
            msg = message(CUSTOMER, subject=f"from {address}")
            msg.replace_header("From", address)
            client.send_message(msg)
    [copy] = sent_folder(smtp_sandbox, tencent)
    parsed = BytesParser(policy=default).parsebytes(copy)
    assert parsed["Subject"] == f"from {tencent}" and "Received" not in parsed  # the message as submitted
    assert sent_folder(smtp_sandbox, SENDER) == []
    assert smtp_sandbox.sandbox.outbound.count() == 2


def test_user_added_without_mailboxes_still_receives(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    smtp_sandbox.sandbox.directory.add_user("new-hire@trade-demo.cn", PASSWORD, "13900139000")
    with logged_in(smtp_sandbox, sender_secret) as client:
        assert client.send_message(message("new-hire@trade-demo.cn")) == {}
    assert len(inbox(smtp_sandbox, "new-hire@trade-demo.cn")) == 1


def test_foreign_recipients_are_captured_not_delivered(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    msg = message(f"{CUSTOMER}, {COLLEAGUE}")
    with logged_in(smtp_sandbox, sender_secret) as client:
        client.send_message(msg, to_addrs=[CUSTOMER, COLLEAGUE, "cfo@customer.example"])
    outbound = smtp_sandbox.sandbox.outbound
    [captured] = outbound.list()
    assert captured.mail_from == SENDER
    assert captured.rcpt_tos == (CUSTOMER, "cfo@customer.example")
    assert captured.message_id == msg["Message-ID"]
    full = outbound.get(captured.id)
    assert full is not None and b"Return-Path" not in full.raw and full.raw.startswith(b"Received: ")
    assert len(inbox(smtp_sandbox, COLLEAGUE)) == 1


def test_size_declared_too_big_is_refused_at_mail(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    with logged_in(smtp_sandbox, sender_secret) as client:
        assert client.has_extn("size") and int(client.esmtp_features["size"]) == SMALL_LIMIT
        code, text = client.mail(SENDER, options=[f"SIZE={SMALL_LIMIT + 1}"])
    assert f"{code} {text.decode()}" == ALIYUN.smtp_reply("message_too_big")


def test_data_beyond_the_limit_is_refused_and_not_stored(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    big = b"Subject: big\r\n\r\n" + (b"y" * 900 + b"\r\n") * (SMALL_LIMIT // 900 + 10)
    with logged_in(smtp_sandbox, sender_secret) as client:
        client.mail(SENDER)  # no SIZE= declared: the limit is met while the data streams in
        client.rcpt(CUSTOMER)
        code, text = client.data(big)
        assert f"{code} {text.decode()}" == ALIYUN.smtp_reply("message_too_big")
        assert client.noop()[0] == 250  # the session goes on
    assert smtp_sandbox.sandbox.outbound.count() == 0


def test_smtputf8_address_is_accepted_and_captured(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    recipient = "采购部@客户.example"
    raw = f"From: {SENDER}\r\nTo: {recipient}\r\nSubject: utf8\r\n\r\nhello\r\n".encode()
    with logged_in(smtp_sandbox, sender_secret) as client:
        assert client.has_extn("smtputf8") and client.has_extn("8bitmime")
        client.sendmail(SENDER, [recipient], raw, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    [captured] = smtp_sandbox.sandbox.outbound.list()
    assert captured.rcpt_tos == (recipient,)
    full = smtp_sandbox.sandbox.outbound.get(captured.id)
    assert full is not None and "with UTF8SMTPSA" in full.raw.decode()


def test_pipelined_commands_are_answered_in_order(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    talk = Transcript.implicit_tls(smtp_sandbox)
    try:
        talk.reply()
        talk.send("EHLO client.test")
        assert "250-PIPELINING" in talk.reply()
        assert talk.command("AUTH PLAIN " + plain(SENDER, sender_secret)).startswith("235 ")
        # RFC 2920: the whole envelope in one write, then the replies in order
        talk.sock.sendall(
            f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{CUSTOMER}>\r\nRCPT TO:<nobody@trade-demo.cn>\r\n"
            f"RCPT TO:<{COLLEAGUE}>\r\nDATA\r\n".encode()
        )
        replies = [talk.line() for _ in range(5)]
        assert [r[:3] for r in replies] == ["250", "250", ALIYUN.smtp_reply("unknown_local_user")[:3], "250", "354"]
        talk.sock.sendall(b"Subject: pipelined\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n")
        assert talk.line().startswith("250")
        assert talk.line().startswith("221")
    finally:
        talk.close()
    [captured] = smtp_sandbox.sandbox.outbound.list()
    assert captured.rcpt_tos == (CUSTOMER,)
    [raw] = inbox(smtp_sandbox, COLLEAGUE)
    assert raw.endswith(b"\r\n.leading dot\r\n")  # dot-stuffing undone


async def test_aiosmtplib_delivers_to_a_colleague(smtp_sandbox: RunningSmtp, sender_secret: str) -> None:
    async with aiosmtplib.SMTP(
        hostname=smtp_sandbox.host,
        port=smtp_sandbox.ports["submission"],
        start_tls=True,
        tls_context=smtp_sandbox.client_context(),
        timeout=10,
    ) as client:
        await client.login(SENDER, sender_secret)
        errors, _ = await client.send_message(message(COLLEAGUE, subject="via 587"))
    assert errors == {}
    [raw] = inbox(smtp_sandbox, COLLEAGUE)
    assert b"Subject: via 587" in raw
