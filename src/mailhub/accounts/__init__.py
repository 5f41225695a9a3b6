"""Binding a mailbox: the account and its status, the secret vault, and the lifecycle service."""

from mailhub.accounts.models import (
    Account,
    AccountDetail,
    AccountError,
    BindResult,
    ServerOverrides,
    StatusChange,
    VerificationRecord,
)
from mailhub.accounts.service import AccountService
from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import Secret, Vault, VaultError

__all__ = [
    "Account",
    "AccountDetail",
    "AccountError",
    "AccountService",
    "AccountStatus",
    "BindResult",
    "Secret",
    "ServerOverrides",
    "StatusChange",
    "Vault",
    "VaultError",
    "VerificationRecord",
]
