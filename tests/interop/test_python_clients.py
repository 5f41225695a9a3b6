"""Python's own clients (imaplib, smtplib) and aioimaplib against Dovecot and the sandbox, over real TLS."""

from __future__ import annotations

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
