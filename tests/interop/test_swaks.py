"""swaks, the SMTP test tool admins use, sends with AUTH over TLS: implicit TLS (465) and STARTTLS (587)."""

from __future__ import annotations

import re
import subprocess
from email.header import Header
from pathlib import Path

import pytest
from tests.interop.accounts import REMOTE_RECIPIENT, MailAccount
from tests.interop.samples import subject_of
from tests.peers import require_program
from tests.peers.certs import create_certificates

pytestmark = pytest.mark.peer

SUBJECT = "询盘回复 swaks 测试"


def _swaks(
    account: MailAccount,
    mode: str,
    password: str,
    subject: str = SUBJECT,
    ca_file: Path | None = None,
    mechanism: str = "PLAIN",
) -> subprocess.CompletedProcess[str]:
    """Run swaks in batch; ``mode`` is ``tls-on-connect`` (port smtps) or ``starttls`` (port submission)."""
    swaks = require_program("swaks")
    tls_args = ["--tls-on-connect"] if mode == "tls-on-connect" else ["--tls"]
    port = account.ports["smtps" if mode == "tls-on-connect" else "submission"]
    command = [
        swaks,
        "--server", account.hostname,
        "--port", str(port),
        *tls_args,
        "--tls-verify",
        "--tls-ca-path", str(ca_file or account.ca_file),
        "--auth", mechanism,
        "--auth-user", account.address,
        "--auth-password", password,
        "--from", account.address,
        "--to", REMOTE_RECIPIENT,
        "--header", f"Subject: {Header(subject, 'utf-8').encode()}",
        "--body", "您好，这是 swaks 发出的邮件。",
        "--timeout", "30",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _transcript(done: subprocess.CompletedProcess[str]) -> str:
    """swaks' output for an assertion message, without what the client sent during AUTH (the password,
    base64-encoded, in the AUTH line for PLAIN or on a line of its own for LOGIN)."""
    kept, in_auth = [], False
    for line in (done.stdout + done.stderr).splitlines():
        sent = line.lstrip().startswith("~>")
        in_auth = (in_auth or (sent and " AUTH " in f" {line} ")) and (sent or "334 " in line)
        if not (sent and in_auth):
            kept.append(line)
    return "\n".join(kept)


@pytest.mark.parametrize("mode", ["tls-on-connect", "starttls"])
def test_swaks_sends_with_auth_over_tls(account: MailAccount, mode: str) -> None:
    done = _swaks(account, mode, account.password, f"{SUBJECT} {mode}")
    assert done.returncode == 0, _transcript(done)
    (sent,) = account.sent_to(REMOTE_RECIPIENT)
    assert subject_of(sent) == f"{SUBJECT} {mode}"


def test_swaks_auth_login_mechanism(account: MailAccount) -> None:
    """AUTH LOGIN (username and password in two steps) is what older Outlook and Foxmail use."""
    done = _swaks(account, "tls-on-connect", account.password, f"{SUBJECT} LOGIN", mechanism="LOGIN")
    assert done.returncode == 0, _transcript(done)
    (sent,) = account.sent_to(REMOTE_RECIPIENT)
    assert subject_of(sent) == f"{SUBJECT} LOGIN"


def test_swaks_with_a_wrong_password_sends_nothing(account: MailAccount) -> None:
    done = _swaks(account, "tls-on-connect", "wrong-password-123")
    assert done.returncode != 0
    assert re.search(r"^<~\* 5\d\d ", done.stdout, re.MULTILINE), _transcript(done)  # a permanent refusal
    assert account.sent_to(REMOTE_RECIPIENT) == []


def test_swaks_verifies_the_server_certificate(account: MailAccount, tmp_path: Path) -> None:
    stranger = create_certificates(tmp_path, ["localhost"], label="unrelated")
    done = _swaks(account, "tls-on-connect", account.password, ca_file=stranger.ca_file)
    assert done.returncode != 0
    assert account.sent_to(REMOTE_RECIPIENT) == []
