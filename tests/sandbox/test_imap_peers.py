"""Real desktop sync tools against the sandbox: mbsync pulls every message byte for byte, over IMAPS and
STARTTLS, logging in with a client security password the way the seed guide tells users to."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest_imap import ADDRESS, PASSWORD, RunningImap, imap_fixture  # noqa: F401  (fixture)
from test_imap_messages import GB18030, MULTIPART, PLAIN
from tests.peers.mbsync import pull_mailbox

pytestmark = pytest.mark.peer


def messages() -> list[bytes]:
    generated = [b"From: bot@partner.cn\r\nSubject: n%d\r\n\r\n%s\r\n" % (n, b"x" * (n * 37)) for n in range(60)]
    return [PLAIN, GB18030, MULTIPART, *generated]


@pytest.mark.parametrize("tls", ["IMAPS", "STARTTLS"])
def test_mbsync_pulls_inbox_and_sent_byte_for_byte(imap: RunningImap, tmp_path: Path, tls: str) -> None:
    imap.bind_user()
    secret = imap.new_client_password(remark="mbsync")
    inbox = messages()
    imap.sandbox.mail.deliver_many(ADDRESS, inbox)
    imap.sandbox.mail.deliver(ADDRESS, PLAIN, mailbox="Sent", flags=["\\Seen"])

    run = pull_mailbox(
        tmp_path / "mbsync",
        host="localhost",
        port=imap.ports["imaps" if tls == "IMAPS" else "imap"],
        user=ADDRESS,
        password=secret,
        ca_file=imap.ca_file,
        tls=tls,
        folders=("INBOX", "Sent"),
    )
    assert run.returncode == 0, run.output
    assert PASSWORD not in run.output and secret not in run.output
    assert sorted(run.messages("INBOX")) == sorted(inbox)
    assert run.messages("Sent") == [PLAIN]


def test_mbsync_with_the_web_password_is_refused_once_a_client_password_exists(
    imap: RunningImap, tmp_path: Path
) -> None:
    imap.bind_user()
    imap.new_client_password()
    run = pull_mailbox(
        tmp_path / "mbsync",
        host="localhost",
        port=imap.ports["imaps"],
        user=ADDRESS,
        password=PASSWORD,
        ca_file=imap.ca_file,
    )
    assert run.returncode != 0
    assert "client security password" in run.output
