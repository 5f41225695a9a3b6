"""Errors a sandbox administrator can meet in the directory, each with a stable code and zh-CN/en text."""

from __future__ import annotations

from mailhub.sandbox.errors import SandboxError


class DirectoryError(SandboxError):
    """Base class: ``code`` is stable, ``message_en``/``message_zh`` are for people; ``str()`` is English."""

    code = "directory.error"

    def __init__(self, message_en: str, message_zh: str) -> None:
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(message_en)


class DuplicateDomain(DirectoryError):
    code = "directory.duplicate_domain"

    def __init__(self, name: str) -> None:
        super().__init__(f"domain {name!r} already exists", f"域名 {name!r} 已存在")


class UnknownDomain(DirectoryError):
    code = "directory.unknown_domain"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"domain {name!r} does not exist; add it first (sandbox domain add)",
            f"域名 {name!r} 不存在，请先添加域名",
        )


class BadEdition(DirectoryError):
    code = "directory.bad_edition"

    def __init__(self, edition: str, known: list[str]) -> None:
        super().__init__(
            f"unknown edition {edition!r}; choose one of: {', '.join(known)}",
            f"未知的邮箱版本 {edition!r}，可选：{'、'.join(known)}",
        )


class DuplicateUser(DirectoryError):
    code = "directory.duplicate_user"

    def __init__(self, address: str) -> None:
        super().__init__(f"user {address!r} already exists", f"账号 {address!r} 已存在")


class UnknownUser(DirectoryError):
    code = "directory.unknown_user"

    def __init__(self, address: str) -> None:
        super().__init__(f"user {address!r} does not exist", f"账号 {address!r} 不存在")


class DuplicateDepartment(DirectoryError):
    code = "directory.duplicate_department"

    def __init__(self, domain: str, name: str) -> None:
        super().__init__(f"department {name!r} already exists in {domain}", f"部门 {name!r} 已存在于 {domain}")


class InvalidValue(DirectoryError):
    """A malformed address, domain name, phone, department name or password (the value is not echoed
    when it is a password)."""

    code = "directory.invalid_value"
