"""The sandbox's IMAP4rev1 server (implicit TLS and STARTTLS; IDLE, UIDPLUS, MOVE, ID, NAMESPACE, LITERAL+)."""

from mailhub.sandbox.imap.server import ImapServer

__all__ = ["ImapServer"]
