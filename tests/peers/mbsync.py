"""Driving ``mbsync`` (isync) in batch: pull a server's folders into a local Maildir, trusting one CA file.

Used by the interoperability tests (does a real desktop sync tool accept the sandbox?) and by the
benchmark (how long does it take, next to Dovecot?). The generated config keeps TLS verification on:
``SystemCertificates no`` plus the peer's CA, so a wrong certificate or host name fails the pull.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import require_program


@dataclass(frozen=True)
class MbsyncRun:
    """What one ``mbsync`` run did: exit code, wall time and its output (never the password)."""

    returncode: int
    seconds: float
    output: str
    local: Path

    def message_count(self, folder: str = "INBOX") -> int:
        """Messages mbsync wrote into the local Maildir folder."""
        base = self.local / folder
        return sum(1 for sub in ("cur", "new") if (base / sub).is_dir() for _ in (base / sub).iterdir())

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The messages as the server sent them, in file-name order (see ``as_served``)."""
        base = self.local / folder
        files = sorted(p for sub in ("cur", "new") if (base / sub).is_dir() for p in (base / sub).iterdir())
        return [as_served(p.read_bytes()) for p in files]


def as_served(local_copy: bytes) -> bytes:
    """Undo what mbsync does to a message it stores: it writes LF line ends and adds an ``X-TUID`` header
    (its own tracking id) at the end of the header block."""
    head, sep, body = local_copy.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.startswith(b"X-TUID: ")]
    return (b"\n".join(lines) + sep + body).replace(b"\n", b"\r\n")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(
    workdir: Path,
    *,
    host: str,
    port: int,
    user: str,
    password: str,
    ca_file: Path,
    tls: str = "IMAPS",
    folders: tuple[str, ...] = ("INBOX",),
    fsync: bool = True,
    sync: str = "Pull",
) -> Path:
    """An mbsync config in ``workdir`` (mode 0600: it holds the password) pulling ``folders`` into
    ``workdir/local``. ``tls`` is ``IMAPS`` (implicit TLS) or ``STARTTLS``. ``fsync=False`` stops mbsync
    syncing every file to disk, so a benchmark measures the server rather than the disk. ``sync`` is mbsync's
    ``Sync`` value: ``Pull`` (server to local), ``Push`` (local to server, via APPEND) or ``All``."""
    local = workdir / "local"
    local.mkdir(parents=True, exist_ok=True)
    text = f"""\
FSync {"yes" if fsync else "no"}

IMAPAccount peer
Host {host}
Port {port}
User {_quoted(user)}
Pass {_quoted(password)}
SSLType {tls}
SystemCertificates no
CertificateFile {ca_file}
AuthMechs PLAIN LOGIN

IMAPStore peer-remote
Account peer

MaildirStore peer-local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel mailbox
Far :peer-remote:
Near :peer-local:
Patterns {" ".join(_quoted(f) for f in folders)}
Sync {sync}
Create Both
SyncState *
"""
    config = workdir / "mbsyncrc"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return config


def run_mbsync(config: Path, *, timeout: float = 900) -> MbsyncRun:
    """Run mbsync on the ``mailbox`` channel of ``config``; the timeout is only an upper bound against hangs."""
    mbsync = require_program("mbsync")
    started = time.perf_counter()
    done = subprocess.run([mbsync, "-c", str(config), "mailbox"], capture_output=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    output = (done.stdout + done.stderr).decode(errors="replace")
    return MbsyncRun(done.returncode, seconds, output, config.parent / "local")


def pull_mailbox(workdir: Path, **settings: object) -> MbsyncRun:
    """Write a config (see ``write_config``) and run it once."""
    return run_mbsync(write_config(workdir, **settings))  # type: ignore[arg-type]
