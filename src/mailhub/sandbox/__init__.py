"""The sandbox enterprise mail service: IMAP + SMTP over TLS with the enterprise-mail security model."""
