"""mbsync (isync), a desktop sync tool nobody here wrote, pulls the mailbox into a local Maildir."""

from __future__ import annotations

import base64
import imaplib
import random
from pathlib import Path

import pytest
from tests.interop.accounts import MailAccount
from tests.interop.samples import SUBJECTS, imap_utf7, sample_mailbox, sample_message, subject_of
from tests.peers import require_program
from tests.peers.certs import create_certificates
from tests.peers.mbsync import MbsyncRun, pull_mailbox, run_mbsync, write_config

pytestmark = pytest.mark.peer


@pytest.fixture(autouse=True)
def _mbsync_installed() -> None:
    require_program("mbsync")


def _pull(account: MailAccount, workdir: Path, *, tls: str = "IMAPS", ca_file: Path | None = None) -> MbsyncRun:
    return pull_mailbox(
        workdir,
        host=account.hostname,
        port=account.ports["imaps" if tls == "IMAPS" else "imap"],
        user=account.address,
        password=account.password,
        ca_file=ca_file or account.ca_file,
        tls=tls,
    )


@pytest.mark.parametrize("tls", ["IMAPS", "STARTTLS"])
def test_mbsync_pulls_every_message_intact(account: MailAccount, tmp_path: Path, tls: str) -> None:
    delivered = sample_mailbox()
    for raw in delivered:
        account.deliver(raw)
    run = _pull(account, tmp_path, tls=tls)
    assert run.returncode == 0, run.output
    assert run.message_count() == len(SUBJECTS)
    local = run.messages()
    assert sorted(subject_of(m) for m in local) == sorted(subject for subject, _ in SUBJECTS)
    assert sorted(local) == sorted(delivered)


def test_mbsync_second_run_fetches_only_new_mail(account: MailAccount, tmp_path: Path) -> None:
    account.deliver(sample_message("第一封", n=1))
    account.deliver(sample_message("第二封", n=2))
    config = write_config(
        tmp_path,
        host=account.hostname,
        port=account.ports["imaps"],
        user=account.address,
        password=account.password,
        ca_file=account.ca_file,
    )
    first = run_mbsync(config)
    assert first.returncode == 0, first.output
    assert first.message_count() == 2
    account.deliver(sample_message("第三封 新邮件", n=3))
    second = run_mbsync(config)
    assert second.returncode == 0, second.output
    assert sorted(subject_of(m) for m in second.messages()) == ["第一封", "第三封 新邮件", "第二封"]


def test_mbsync_refuses_a_server_it_does_not_trust(account: MailAccount, tmp_path: Path) -> None:
    account.deliver(sample_message("不应被下载"))
    stranger = create_certificates(tmp_path / "other-ca", ["localhost"], label="unrelated")
    run = _pull(account, tmp_path / "sync", ca_file=stranger.ca_file)
    assert run.returncode != 0
    assert run.message_count() == 0
    assert account.password not in run.output


def test_mbsync_with_a_wrong_password_pulls_nothing(account: MailAccount, tmp_path: Path) -> None:
    account.deliver(sample_message("不应被下载"))
    run = pull_mailbox(
        tmp_path,
        host=account.hostname,
        port=account.ports["imaps"],
        user=account.address,
        password="wrong-password-123",
        ca_file=account.ca_file,
    )
    assert run.returncode != 0
    assert run.message_count() == 0


def test_mbsync_uploads_local_mail_with_append(account: MailAccount, tmp_path: Path) -> None:
    """A message written locally (a draft saved offline) reaches the server through mbsync's APPEND."""
    config = write_config(
        tmp_path,
        host=account.hostname,
        port=account.ports["imaps"],
        user=account.address,
        password=account.password,
        ca_file=account.ca_file,
        sync="All",
    )
    assert run_mbsync(config).returncode == 0  # creates the local INBOX and the sync state
    draft = sample_message("离线草稿 已同步", n=9)
    (tmp_path / "local" / "INBOX" / "cur" / "1700000000.draft.local:2,S").write_bytes(draft.replace(b"\r\n", b"\n"))
    pushed = run_mbsync(config)
    assert pushed.returncode == 0, pushed.output
    with imaplib.IMAP4_SSL(account.hostname, account.ports["imaps"], ssl_context=account.client_context()) as imap:
        imap.login(account.address, account.password)
        assert imap.select("INBOX", readonly=True) == ("OK", [b"1"])
        _, data = imap.fetch("1", "(FLAGS BODY.PEEK[])")
        assert subject_of(data[0][1]) == "离线草稿 已同步"
        assert b"\\Seen" in data[0][0]


def test_mbsync_pulls_a_folder_with_a_chinese_name(account: MailAccount, tmp_path: Path) -> None:
    folder = imap_utf7("客户/阿里巴巴")  # "customers/Alibaba", a folder a trading company really has
    with imaplib.IMAP4_SSL(account.hostname, account.ports["imaps"], ssl_context=account.client_context()) as imap:
        imap.login(account.address, account.password)
        for path in (imap_utf7("客户"), folder):
            status, detail = imap.create(f'"{path}"')
            assert status == "OK", detail
        status, detail = imap.append(f'"{folder}"', "(\\Seen)", None, sample_message("询盘 来自阿里巴巴", n=5))
        assert status == "OK", detail
    run = _pull_folders(account, tmp_path, ("INBOX", imap_utf7("客户"), folder))
    assert run.returncode == 0, run.output
    (pulled,) = run.messages(folder)
    assert subject_of(pulled) == "询盘 来自阿里巴巴"


def _pull_folders(account: MailAccount, workdir: Path, folders: tuple[str, ...]) -> MbsyncRun:
    return pull_mailbox(
        workdir,
        host=account.hostname,
        port=account.ports["imaps"],
        user=account.address,
        password=account.password,
        ca_file=account.ca_file,
        folders=folders,
    )


def test_mbsync_pulls_a_large_attachment_intact(account: MailAccount, tmp_path: Path) -> None:
    """A 6 MB scanned contract: the literal is far beyond one TLS record or one socket read."""
    payload = base64.encodebytes(random.Random(7).randbytes(6_000_000)).replace(b"\n", b"\r\n")
    raw = (
        b"From: wang.fang@supplier.example\r\nTo: zhang.wei@example.cn\r\n"
        b"Subject: =?utf-8?b?5ZCI5ZCM5omr5o+P5Lu2?=\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: application/pdf; name="contract.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + payload
    )
    account.deliver(raw)
    run = _pull(account, tmp_path)
    assert run.returncode == 0, run.output
    assert run.messages() == [raw]
