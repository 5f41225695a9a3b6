"""NeoMutt in batch mode (no terminal) sends through the server: smtps (465) and STARTTLS (587).

NeoMutt's reading side needs a terminal, so only sending is driven here; mbsync covers reading.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests.interop.accounts import REMOTE_RECIPIENT, MailAccount
from tests.interop.samples import subject_of
from tests.peers import require_program
from tests.peers.certs import create_certificates

pytestmark = pytest.mark.peer


def _muttrc(account: MailAccount, home: Path, mode: str, ca_file: Path) -> Path:
    """A minimal muttrc (mode 0600, it holds the password) that trusts only ``ca_file``."""
    if "'" in account.password:
        raise ValueError("the test muttrc quotes the password with single quotes")
    if mode == "smtps":
        url = f"smtps://{account.hostname}:{account.ports['smtps']}/"
    else:
        url = f"smtp://{account.hostname}:{account.ports['submission']}/"
    text = f"""\
set from = '{account.address}'
set realname = '张伟'
set smtp_url = '{url}'
set smtp_user = '{account.address}'
set smtp_pass = '{account.password}'
set smtp_authenticators = 'plain:login'
set ssl_force_tls = yes
set ssl_starttls = yes
set ssl_verify_host = yes
set ssl_ca_certificates_file = '{ca_file}'
set certificate_file = '{home}/certificates'
set charset = 'utf-8'
set send_charset = 'utf-8'
set record = ''
set header_cache = ''
set folder = '{home}'
set tmpdir = '{home}'
"""
    path = home / "muttrc"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _send(account: MailAccount, home: Path, mode: str, subject: str, ca_file: Path | None = None) -> int:
    """Send one message the way a script would: body on stdin, no terminal. Returns NeoMutt's exit code."""
    neomutt = require_program("neomutt")
    muttrc = _muttrc(account, home, mode, ca_file or account.ca_file)
    env = {"HOME": str(home), "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run(
        [neomutt, "-n", "-F", str(muttrc), "-s", subject, "--", REMOTE_RECIPIENT],
        input="您好，附上最新报价，请查收。\n".encode(),
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done.returncode


@pytest.mark.parametrize("mode", ["smtps", "submission"])
def test_neomutt_sends_a_chinese_subject(account: MailAccount, tmp_path: Path, mode: str) -> None:
    assert _send(account, tmp_path, mode, f"最新报价 neomutt {mode}") == 0
    (sent,) = account.sent_to(REMOTE_RECIPIENT)
    assert subject_of(sent) == f"最新报价 neomutt {mode}"
    assert "您好，附上最新报价".encode() in sent


def test_neomutt_will_not_send_to_an_untrusted_server(account: MailAccount, tmp_path: Path) -> None:
    stranger = create_certificates(tmp_path / "other-ca", ["localhost"], label="unrelated")
    assert _send(account, tmp_path, "smtps", "不应发出", ca_file=stranger.ca_file) != 0
    assert account.sent_to(REMOTE_RECIPIENT) == []
