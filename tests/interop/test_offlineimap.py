"""OfflineIMAP (Python, on imaplib2), another sync tool people point at their company mailbox."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests.interop.accounts import MailAccount
from tests.interop.samples import SUBJECTS, sample_mailbox, subject_of
from tests.peers import require_program
from tests.peers.certs import create_certificates

pytestmark = pytest.mark.peer


def _sync(account: MailAccount, home: Path, ca_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """One read-only pull of INBOX into ``home/mail`` over implicit TLS that trusts only ``ca_file``."""
    offlineimap = require_program("offlineimap")
    config = home / "offlineimaprc"
    text = f"""\
[general]
accounts = peer
metadata = {home}/meta

[Account peer]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {home}/mail

[Repository remote]
type = IMAP
remotehost = {account.hostname}
remoteport = {account.ports["imaps"]}
remoteuser = {account.address}
remotepass = {account.password}
ssl = yes
sslcacertfile = {ca_file or account.ca_file}
starttls = no
readonly = True
folderfilter = lambda folder: folder == 'INBOX'
"""
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    env = {"HOME": str(home), "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        [offlineimap, "-c", str(config), "-o", "-u", "basic"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _local_messages(home: Path) -> list[bytes]:
    inbox = home / "mail" / "INBOX"
    return [p.read_bytes() for sub in ("new", "cur") if (inbox / sub).is_dir() for p in (inbox / sub).iterdir()]


def test_offlineimap_pulls_the_inbox(account: MailAccount, tmp_path: Path) -> None:
    for raw in sample_mailbox():
        account.deliver(raw)
    done = _sync(account, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    local = _local_messages(tmp_path)
    assert sorted(subject_of(m) for m in local) == sorted(subject for subject, _ in SUBJECTS)


def test_offlineimap_does_not_pull_from_an_untrusted_server(account: MailAccount, tmp_path: Path) -> None:
    for raw in sample_mailbox():
        account.deliver(raw)
    stranger = create_certificates(tmp_path / "other-ca", ["localhost"], label="unrelated")
    done = _sync(account, tmp_path, ca_file=stranger.ca_file)
    assert "certificate verify failed" in done.stdout + done.stderr
    assert _local_messages(tmp_path) == []
