"""A real Dovecot 2.3 (IMAP + submission) in a temporary directory, for tests and benchmarks.

It is the reference server: what the hub does against it is what it should do against any standard
provider, and the sandbox is measured against it. Everything (config, TLS files, Maildirs, sockets, logs)
lives in one temp dir that ``stop()`` removes; nothing touches /etc/dovecot or the system instance.

    with DovecotServer() as dovecot:
        dovecot.add_user("alice@dovecot.test", "secret")
        imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=dovecot.client_context())
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from . import require_program
from .certs import create_certificates
from .maildir import Maildir
from .sink import MailSink

HOSTNAME = "imap.dovecot.test"
PORT_NAMES = ("imaps", "imap", "smtps", "submission")
START_TIMEOUT = 10.0  # seconds; an upper bound against hangs, a healthy start takes ~0.05 s
STOP_GRACE = 0.2  # seconds for a clean exit; Dovecot's master then lingers ~6 s on its log process

_CONFIG = """\
instance_name = mailhub-peer-{instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap submission
listen = {host}
hostname = {hostname}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
ssl = yes
ssl_cert = <{cert_file}
ssl_key = <{key_file}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Tests check refusals; the default 2 s penalty per failure would only make them slow.
auth_failure_delay = 0
# No stats service: at shutdown login processes otherwise wait 5 s for a stats handshake that never comes.
stats_writer_socket_path =
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
postmaster_address = postmaster@{hostname}
submission_relay_host = 127.0.0.1
submission_relay_port = {sink_port}
submission_relay_trusted = yes
submission_relay_ssl = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%Ld/%Ln
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = {submission}
  }}
  inet_listener submissions {{
    port = {smtps}
    ssl = yes
  }}
}}
"""


def _free_ports(host: str, count: int) -> list[int]:
    """Ports the kernel just handed out; Dovecot cannot bind port 0 and report back, so we ask first."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_us() -> list[str]:
    """A prefix that kills Dovecot if this process dies without ``stop()`` (a test run killed with -9),
    so no stray servers pile up on a shared machine. Empty where util-linux ``setpriv`` is missing."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _check_traversable(directory: Path) -> None:
    """Dovecot's auth process (an unprivileged user) must reach the users file under ``directory``."""
    for path in (directory.resolve(), *directory.resolve().parents):
        if not path.stat().st_mode & 0o001:
            raise ValueError(f"{path} is not searchable by other users; Dovecot's auth process needs o+x")


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class DovecotServer:
    """Dovecot on free loopback ports: ``.ports`` {"imaps", "imap", "smtps", "submission"}, ``.host``,
    ``.ca_file``; submission relays to ``.sink`` (``sink.messages``). ``start()``/``stop()`` or ``with``.

    Like a real server, Dovecot delays a second failed login from the same address by seconds (its auth
    penalty); a test that checks a refusal should fail once per connection, not retry mechanisms."""

    def __init__(self, host: str = "127.0.0.1", hostname: str = HOSTNAME, parent_dir: Path | None = None) -> None:
        self.host = host
        self.hostname = hostname
        self.parent_dir = parent_dir  # where the temp dir goes (benchmarks pass a tmpfs); None = system temp
        self.ports: dict[str, int] = {}
        self.sink = MailSink(host)
        self.root = Path()
        self.ca_file = Path()
        self._process: subprocess.Popen[bytes] | None = None
        self._users: dict[str, str] = {}

    # -- life cycle ---------------------------------------------------------------------------------------
    def start(self) -> DovecotServer:
        dovecot = require_program("dovecot")
        if self.parent_dir is not None and os.geteuid() == 0:
            _check_traversable(Path(self.parent_dir))
        self.root = Path(tempfile.mkdtemp(prefix="mailhub-dovecot-", dir=self.parent_dir))
        self.root.chmod(0o755)  # Dovecot's unprivileged helpers must reach the config and the users file
        certs = create_certificates(self.root / "tls", [self.hostname, "localhost", self.host])
        self.ca_file = certs.ca_file
        self.sink.start()
        for attempt in range(3):  # another process may grab one of our ports between asking and binding
            self.ports = dict(zip(PORT_NAMES, _free_ports(self.host, len(PORT_NAMES)), strict=True))
            self._write_config(certs.cert_file, certs.key_file)
            with (self.root / "dovecot.stderr").open("wb") as stderr:
                self._process = subprocess.Popen(
                    [*_die_with_us(), dovecot, "-F", "-c", str(self.config_file)],
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,  # its own process group, so stop() can end every child
                )
            if self._wait_ready():
                return self
            self._terminate()
            if attempt == 2 or "Address already in use" not in self.log_text():
                break
        log = self.log_text()
        self.stop()
        raise RuntimeError(f"Dovecot did not start; its log:\n{log}")

    def stop(self) -> None:
        self._terminate()
        self.sink.stop()
        if self.root != Path() and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DovecotServer(host={self.host!r}, ports={self.ports!r}, users={sorted(self._users)!r})"

    # -- users and mail -----------------------------------------------------------------------------------
    def add_user(self, address: str, password: str) -> None:
        """Let ``address`` log in with ``password`` (plaintext passdb; Dovecot rereads the file on change).
        Works before ``start()`` too."""
        if ":" in password or "\n" in password or ":" in address:
            raise ValueError("a Dovecot passwd-file entry cannot contain ':' or a line break")
        self._users[address.lower()] = password
        if self.root != Path():
            self._write_users()

    def maildir(self, address: str, folder: str = "INBOX") -> Maildir:
        """The user's Maildir folder on disk (created if missing), for loading mail without IMAP.
        ``folder`` is the IMAP name (modified UTF-7 for non-ASCII, ``/`` between levels)."""
        local, _, domain = address.lower().partition("@")
        owner = self._mail_owner()
        home = self.root / "mail" / domain / local
        base = home / "Maildir"
        for directory in (home.parent, home, base):
            directory.mkdir(exist_ok=True)
            if owner is not None:
                os.chown(directory, *owner)
        path = base if folder.upper() == "INBOX" else base / f".{folder.replace('/', '.')}"
        return Maildir(path, owner)

    def deliver(self, address: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put one message into the user's folder as new (unseen) mail."""
        self.maildir(address, folder).add(raw, seen=False)

    def load_messages(self, address: str, messages: Iterable[bytes], folder: str = "INBOX") -> int:
        """Write many messages straight into the Maildir and build Dovecot's index; returns how many.

        Used by benchmarks: 20,000 messages load in seconds this way, where APPEND would take minutes."""
        count = self.maildir(address, folder).add_many(messages, seen=True)
        self.doveadm("index", "-u", address, folder)
        return count

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm`` against this instance; returns its standard output."""
        doveadm = require_program("doveadm")
        done = subprocess.run(
            [doveadm, "-c", str(self.config_file), *args], capture_output=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {args[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
        return done.stdout.decode(errors="replace")

    # -- clients ------------------------------------------------------------------------------------------
    def client_context(self) -> ssl.SSLContext:
        """A verifying TLS client context that trusts this instance's CA (host name checks stay on)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    @property
    def config_file(self) -> Path:
        return self.root / "dovecot.conf"

    def log_text(self) -> str:
        """Dovecot's log so far (for failure messages; it never holds passwords)."""
        parts = [self.root / "dovecot.stderr", self.root / "dovecot.log"]
        return "".join(p.read_text(errors="replace") for p in parts if p.exists())

    # -- internals ----------------------------------------------------------------------------------------
    def _internal_user(self) -> str:
        if os.geteuid() == 0:
            return "dovecot"
        return pwd.getpwuid(os.geteuid()).pw_name

    def _write_users(self) -> None:
        lines = "".join(f"{user}:{{PLAIN}}{secret}::::::\n" for user, secret in self._users.items())
        users_file = self.root / "users"
        tmp = users_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(lines)
        if os.geteuid() == 0:  # readable by Dovecot's auth process (group), by nobody else
            os.chown(tmp, 0, pwd.getpwnam(self._internal_user()).pw_gid)
        os.replace(tmp, users_file)  # atomic: Dovecot never reads half a file

    def _mail_owner(self) -> tuple[int, int] | None:
        """Who owns mail files: Dovecot refuses uid 0, so as root the mail belongs to ``nobody``."""
        if os.geteuid() != 0:
            return None
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid

    def _write_config(self, cert_file: Path, key_file: Path) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        if (owner := self._mail_owner()) is not None:
            os.chown(self.root / "mail", *owner)  # Dovecot creates new users' homes in here
        self._write_users()
        internal = self._internal_user()
        mail_uid, mail_gid = self._mail_owner() or (os.geteuid(), os.getegid())
        text = _CONFIG.format(
            instance=os.getpid(),
            root=self.root,
            host=self.host,
            hostname=self.hostname,
            internal_user=internal,
            internal_group=grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name,
            login_user="dovenull" if os.geteuid() == 0 else internal,
            cert_file=cert_file,
            key_file=key_file,
            mail_uid=mail_uid,
            mail_gid=mail_gid,
            sink_port=self.sink.port,
            **self.ports,
        )
        self.config_file.write_text(text, encoding="utf-8")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        waiting = set(PORT_NAMES)
        while waiting and time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            waiting = {name for name in waiting if not _accepts(self.host, self.ports[name])}
            if waiting:
                time.sleep(0.02)
        return not waiting

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE)
        # The master waits seconds for its log process to drain; the instance is thrown away anyway,
        # so end its whole process group (only the processes this server started).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
