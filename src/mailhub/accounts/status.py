"""An account's status: 验证中 / 正常 / 异常 / 已暂停, and which transitions make sense."""

from __future__ import annotations

from enum import StrEnum


class AccountStatus(StrEnum):
    """The four states a bound mailbox can be in (stored by value)."""

    VERIFYING = "verifying"
    NORMAL = "normal"
    ERROR = "error"
    PAUSED = "paused"

    def label(self, lang: str) -> str:
        """The word a person sees: 正常 / normal, ..."""
        return _LABELS[self][0 if lang == "zh" else 1]


_LABELS: dict[AccountStatus, tuple[str, str]] = {
    AccountStatus.VERIFYING: ("验证中", "verifying"),
    AccountStatus.NORMAL: ("正常", "normal"),
    AccountStatus.ERROR: ("异常", "error"),
    AccountStatus.PAUSED: ("已暂停", "paused"),
}

# Why a status changed, in both languages (stored in the history as the English key; shown translated).
REASONS: dict[str, tuple[str, str]] = {
    "added": ("已添加，开始验证", "added, verifying"),
    "verified": ("IMAP 与 SMTP 验证通过", "IMAP and SMTP verified"),
    "verify_failed": ("验证失败", "verification failed"),
    "reverify": ("重新验证", "verifying again"),
    "paused": ("用户暂停", "paused by the user"),
    "resumed": ("用户恢复，重新验证", "resumed by the user, verifying"),
    "edited": ("设置已修改，重新验证", "settings changed, verifying"),
    "interrupted": ("上次验证未完成", "the last verification did not finish"),
    "sync_login_refused": ("同步时服务器拒绝登录", "the server refused the login while syncing"),
    "sync_login_recovered": ("重新登录成功，恢复同步", "logged in again, syncing resumed"),
}


def reason_text(reason: str, lang: str) -> str:
    """A stored reason key in the person's language (unknown keys are shown as they are)."""
    pair = REASONS.get(reason)
    if pair is None:
        return reason
    return pair[0 if lang == "zh" else 1]
