"""mbsync (isync), a desktop sync tool nobody here wrote, pulls the mailbox into a local Maildir."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.interop.accounts import MailAccount
from tests.interop.samples import SUBJECTS, sample_mailbox, sample_message, subject_of
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
