"""The sandbox's one gate and the settings it reads: policy, client security passwords, lockout, audit."""

from mailhub.sandbox.security.audit import AuditEntry
from mailhub.sandbox.security.client_passwords import ClientPassword
from mailhub.sandbox.security.decision import Decision, Denial, Protocol
from mailhub.sandbox.security.errors import (
    ClientPasswordsDisabled,
    CodeBurned,
    CodeError,
    CodeExpired,
    InvalidPolicy,
    InvalidRemark,
    NoCodeRequested,
    SecurityError,
    UnknownClientPassword,
    WrongCode,
)
from mailhub.sandbox.security.gate import Security
from mailhub.sandbox.security.policy import DomainPolicy, RuleMode
from mailhub.sandbox.security.sms import OutboxSms, SmsMessage, SmsSender

__all__ = [
    "AuditEntry",
    "ClientPassword",
    "ClientPasswordsDisabled",
    "CodeBurned",
    "CodeError",
    "CodeExpired",
    "Decision",
    "Denial",
    "DomainPolicy",
    "InvalidPolicy",
    "InvalidRemark",
    "NoCodeRequested",
    "OutboxSms",
    "Protocol",
    "RuleMode",
    "Security",
    "SecurityError",
    "SmsMessage",
    "SmsSender",
    "UnknownClientPassword",
    "WrongCode",
]
