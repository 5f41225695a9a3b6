"""The sandbox's SMTP submission service (465 implicit TLS, 587 STARTTLS) with AUTH and local delivery."""

from mailhub.sandbox.smtp.server import MAX_MESSAGE_SIZE, SmtpServer

__all__ = ["MAX_MESSAGE_SIZE", "SmtpServer"]
