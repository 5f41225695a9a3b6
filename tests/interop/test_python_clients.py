"""Python's own clients (imaplib, smtplib) and aioimaplib against Dovecot and the sandbox, over real TLS."""

from __future__ import annotations

import asyncio
import imaplib
import re
import smtplib

import aioimaplib
import pytest
from tests.interop.accounts import REMOTE_RECIPIENT, MailAccount
from tests.interop.samples import SUBJECTS, sample_mailbox, sample_message, subject_of

pytestmark = pytest.mark.peer


def _fetch_subjects(imap: imaplib.IMAP4) -> list[str]:
    status, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert status == "OK"
    return [subject_of(part[1]) for part in data if isinstance(part, tuple)]


def test_imaplib_over_implicit_tls_lists_chinese_subjects(account: MailAccount) -> None:
    for raw in sample_mailbox():
        account.deliver(raw)
    with imaplib.IMAP4_SSL(account.hostname, account.ports["imaps"], ssl_context=account.client_context()) as imap:
        imap.login(account.address, account.password)
        assert imap.select("INBOX", readonly=True) == ("OK", [str(len(SUBJECTS)).encode()])
        assert _fetch_subjects(imap) == [subject for subject, _ in SUBJECTS]


def test_imaplib_starttls_then_login_and_read_a_body(account: MailAccount) -> None:
    raw = sample_message("合同草稿", "utf-8", 7)
    account.deliver(raw)
    with imaplib.IMAP4(account.hostname, account.ports["imap"]) as imap:
        imap.starttls(ssl_context=account.client_context())
        imap.login(account.address, account.password)
        imap.select("INBOX")
        status, data = imap.fetch("1", "(BODY.PEEK[])")
        assert status == "OK"
        assert data[0][1] == raw  # the message arrives intact, byte for byte


def test_imaplib_wrong_password_is_refused(account: MailAccount) -> None:
    with (
        imaplib.IMAP4_SSL(account.hostname, account.ports["imaps"], ssl_context=account.client_context()) as imap,
        pytest.raises(imaplib.IMAP4.error),
    ):
        imap.login(account.address, "definitely-not-the-password")


@pytest.mark.parametrize("port_name", ["smtps", "submission"])
def test_smtplib_sends_a_chinese_subject_out(account: MailAccount, port_name: str) -> None:
    context = account.client_context()
    if port_name == "smtps":
        client = smtplib.SMTP_SSL(account.hostname, account.ports["smtps"], context=context, timeout=30)
    else:
        client = smtplib.SMTP(account.hostname, account.ports["submission"], timeout=30)
        client.starttls(context=context)
    raw = sample_message(f"报价单 via {port_name}", "utf-8", 1, to=REMOTE_RECIPIENT, sender=account.address)
    with client:
        client.login(account.address, account.password)
        refused = client.sendmail(account.address, [REMOTE_RECIPIENT], raw)
    assert refused == {}
    (sent,) = account.sent_to(REMOTE_RECIPIENT)
    assert subject_of(sent) == f"报价单 via {port_name}"
    assert sent.endswith(raw.partition(b"\r\n\r\n")[2])  # the body left unchanged


async def test_aioimaplib_reads_the_inbox(account: MailAccount) -> None:
    for raw in sample_mailbox():
        account.deliver(raw)
    client = aioimaplib.IMAP4_SSL(
        account.hostname, account.ports["imaps"], ssl_context=account.client_context(), timeout=30
    )
    await client.wait_hello_from_server()
    try:
        login = await client.login(account.address, account.password)
        assert login.result == "OK"
        selected = await client.select("INBOX")
        assert selected.result == "OK"
        exists = [line for line in selected.lines if line.endswith(b"EXISTS")]
        assert exists == [f"{len(SUBJECTS)} EXISTS".encode()]
        fetched = await client.uid("fetch", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert fetched.result == "OK"
        headers = [bytes(line) for line in fetched.lines if bytes(line).lower().startswith(b"subject:")]
        assert [subject_of(h) for h in headers] == [subject for subject, _ in SUBJECTS]
        uids = [int(m) for m in re.findall(rb"UID (\d+)", b" ".join(bytes(x) for x in fetched.lines))]
        assert uids == sorted(uids) and len(set(uids)) == len(SUBJECTS)
    finally:
        await client.logout()


async def test_aioimaplib_idle_hears_new_mail(account: MailAccount) -> None:
    """A client waiting in IDLE is told about new mail without asking (how the hub syncs in real time)."""
    account.deliver(sample_message("旧邮件", n=1))
    client = aioimaplib.IMAP4_SSL(
        account.hostname, account.ports["imaps"], ssl_context=account.client_context(), timeout=30
    )
    await client.wait_hello_from_server()
    try:
        await client.login(account.address, account.password)
        await client.select("INBOX")
        idle = await client.idle_start(timeout=60)
        account.deliver(sample_message("新邮件 到达", n=2))
        pushed: list[bytes] = []
        while not any(line.endswith(b"EXISTS") for line in pushed):
            pushed += await asyncio.wait_for(client.wait_server_push(), 20)  # upper bound against hangs
        assert b"2 EXISTS" in pushed
        client.idle_done()
        await asyncio.wait_for(idle, 20)
    finally:
        await client.logout()


@pytest.mark.parametrize(("term", "expected"), [("报表", [1]), ("订单", [2]), ("出货通知", [3]), ("不存在", [])])
def test_imaplib_search_finds_chinese_subjects(account: MailAccount, term: str, expected: list[int]) -> None:
    """Server-side search as Thunderbird sends it: SEARCH CHARSET UTF-8 SUBJECT <literal>."""
    for raw in sample_mailbox():  # subjects are RFC 2047-encoded in UTF-8 and GB18030
        account.deliver(raw)
    with imaplib.IMAP4_SSL(account.hostname, account.ports["imaps"], ssl_context=account.client_context()) as imap:
        imap.login(account.address, account.password)
        imap.select("INBOX", readonly=True)
        imap.literal = term.encode("utf-8")
        status, data = imap.search("UTF-8", "SUBJECT")
        assert status == "OK"
        assert [int(n) for n in data[0].split()] == expected
