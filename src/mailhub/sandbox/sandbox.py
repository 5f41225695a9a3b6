"""The sandbox mail service's Python API: every CLI command, console page and test goes through here.

A ``Sandbox`` is one data directory. Several may open the same directory (a running ``serve`` and a CLI
command); the server notices other processes' commits through ``PRAGMA data_version``.
"""

from __future__ import annotations

from pathlib import Path

from mailhub.sandbox import db
from mailhub.sandbox.directory import Directory
from mailhub.sandbox.mailstore import MailStore
from mailhub.sandbox.outbound import OutboundStore
from mailhub.sandbox.profiles import Edition, all_hostnames, edition_for_host, get_edition
from mailhub.sandbox.security import Security
from mailhub.sandbox.sessions import LiveSessions
from mailhub.sandbox.tls import CertificateAuthority


class Sandbox:
    """The directory, the security gate, the mail store and the TLS authority of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.db = db.connect(self.data_dir)
        self.directory = Directory(self.db)
        self.security = Security(self.db, self.directory)
        self.mail = MailStore(self.db, self.data_dir)
        self.outbound = OutboundStore(self.db)
        self.tls = CertificateAuthority(self.data_dir / "tls", all_hostnames())
        self.sessions = LiveSessions()

    def add_user(self, address: str, password: str, phone: str, department: str | None = None):  # -> directory.User
        """Create a user and its standard mailboxes (INBOX, Sent, Drafts, Trash, Junk)."""
        user = self.directory.add_user(address, password, phone, department)
        self.mail.ensure_user_mailboxes(user.address)
        return user

    def delete_client_password(self, address: str, password_id: int) -> None:
        """Revoke a client password: new logins fail, and live sessions opened with it end now."""
        self.security.delete_client_password(address, password_id)
        self.sessions.revoke({password_id})

    def revoke_vanished_client_passwords(self) -> int:
        """End live sessions whose client password another process deleted; returns how many ended."""
        live = self.sessions.client_password_ids()
        if not live:
            return 0
        gone = live - self.security.existing_client_password_ids(live)
        return self.sessions.revoke(gone) if gone else 0

    def edition_for(self, username: str | None, server_name: str | None) -> Edition:
        """Whose replies to speak: the username's domain, else the host the client dialled (SNI), else the
        first domain's edition, else ``generic``. Before login only the last three are known."""
        if username and "@" in username:
            domain = self.directory.get_domain(username.rpartition("@")[2].lower())
            if domain is not None:
                return get_edition(domain.edition)
        if server_name and (edition := edition_for_host(server_name)) is not None:
            return edition
        domains = self.directory.list_domains()
        return get_edition(domains[0].edition if domains else "generic")

    def close(self) -> None:
        self.db.close()
