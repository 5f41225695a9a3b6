"""mailhub: bind enterprise mailboxes over IMAP/SMTP, and a sandbox enterprise mail service to try it on."""

__version__ = "0.1.0"
