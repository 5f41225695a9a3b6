"""A domain's account security policy (安全管理 › 账户安全策略), stored per domain and read on every login.

Two rules, each ``off`` / ``all`` / ``scoped`` with a scope list and exceptions (``dept:NAME``, ``user:ADDR``):
允许使用第三方客户端 (third-party clients; company IP ranges are exempt) and 强制启用安全密码 (force
client security passwords). A domain without a stored row has both rules off, as a new Alibaba purchase.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from mailhub.sandbox import db
from mailhub.sandbox.directory import Directory, UnknownDomain, User
from mailhub.sandbox.security.errors import InvalidPolicy

DDL = """
CREATE TABLE IF NOT EXISTS security_policies (
    domain TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
"""


class RuleMode(StrEnum):
    OFF = "off"
    ALL = "all"  # every member, minus the exceptions
    SCOPED = "scoped"  # only the listed departments and accounts, minus the exceptions


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class DomainPolicy:
    domain: str
    third_party: RuleMode = RuleMode.OFF
    allow: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    company_ip_ranges: tuple[str, ...] = ()
    force_security_password: RuleMode = RuleMode.OFF
    force_scope: tuple[str, ...] = ()
    force_exceptions: tuple[str, ...] = ()

    def third_party_allowed(self, user: User, peer_ip: str) -> bool:
        """May ``user`` log in from a third-party client at ``peer_ip``? Company IPs always may."""
        if _in_ranges(peer_ip, self.company_ip_ranges):
            return True
        return _applies(self.third_party, self.allow, self.exceptions, user)

    def forces_client_password(self, user: User) -> bool:
        """Must ``user`` log in with a client security password (the main password refused)?"""
        return _applies(self.force_security_password, self.force_scope, self.force_exceptions, user)


def _matches(scopes: Iterable[str], user: User) -> bool:
    wanted = {f"user:{user.address}"}
    if user.department is not None:
        wanted.add(f"dept:{user.department}")
    return not wanted.isdisjoint(scopes)


def _applies(mode: RuleMode, scope: tuple[str, ...], exceptions: tuple[str, ...], user: User) -> bool:
    if mode == RuleMode.OFF or _matches(exceptions, user):
        return False
    return mode == RuleMode.ALL or _matches(scope, user)


def _in_ranges(peer_ip: str, ranges: tuple[str, ...]) -> bool:
    if not ranges:
        return False
    try:
        ip = ipaddress.ip_address(peer_ip.strip().split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(r) for r in ranges)


# -- validation --------------------------------------------------------------------------------------
def _mode(value: str, what: str) -> RuleMode:
    try:
        return RuleMode(str(value).strip().lower())
    except ValueError:
        raise InvalidPolicy(
            f"{what} must be one of off, all, scoped (got {value!r})",
            f"{what} 只能是 off（关闭）、all（全体成员）或 scoped（指定部门和账号），而不是 {value!r}",
        ) from None


def _scopes(values: Iterable[str], domain: str, directory: Directory, what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidPolicy(f"{what} must be a list of scopes", f"{what} 必须是范围列表")
    result: dict[str, None] = {}
    for raw in values:
        kind, sep, name = str(raw).strip().partition(":")
        kind, name = kind.strip().lower(), name.strip()
        if sep and kind == "user" and name:
            address = name.lower()
            if directory.get_user(address) is None or address.rpartition("@")[2] != domain:
                raise InvalidPolicy(
                    f"{what}: {raw!r} is not a user of {domain}", f"{what}：{raw!r} 不是 {domain} 的账号"
                )
            result[f"user:{address}"] = None
        elif sep and kind == "dept" and name:
            if not directory.has_department(domain, name):
                raise InvalidPolicy(
                    f"{what}: {raw!r} is not a department of {domain}",
                    f"{what}：{raw!r} 不是 {domain} 的部门",
                )
            result[f"dept:{name}"] = None
        else:
            raise InvalidPolicy(
                f"{what}: {raw!r} must be written dept:NAME or user:ADDRESS",
                f"{what}：{raw!r} 应写作 dept:部门名 或 user:邮箱地址",
            )
    return tuple(result)


def _ip_ranges(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidPolicy("company_ip_ranges must be a list of CIDRs", "公司 IP 段必须是 CIDR 列表")
    result: dict[str, None] = {}
    for raw in values:
        try:
            network: IpNetwork = ipaddress.ip_network(str(raw).strip(), strict=False)
        except ValueError:
            raise InvalidPolicy(
                f"company IP range {raw!r} is not an IP address or CIDR (e.g. 203.0.113.0/24)",
                f"公司 IP 段 {raw!r} 不是有效的 IP 或 CIDR（如 203.0.113.0/24）",
            ) from None
        result[str(network)] = None
    return tuple(result)


# -- storage -----------------------------------------------------------------------------------------
class PolicyStore:
    """Reads and writes ``DomainPolicy`` rows; each read goes to the database (other processes edit it)."""

    def __init__(self, conn: sqlite3.Connection, directory: Directory) -> None:
        self._conn = conn
        self._directory = directory
        conn.executescript(DDL)

    def get(self, domain: str) -> DomainPolicy:
        domain = domain.strip().lower()
        row = self._conn.execute("SELECT document FROM security_policies WHERE domain = ?", (domain,)).fetchone()
        if row is None:
            if self._directory.get_domain(domain) is None:
                raise UnknownDomain(domain)
            return DomainPolicy(domain)
        doc = json.loads(row["document"])
        return DomainPolicy(
            domain=domain,
            third_party=RuleMode(doc["third_party"]),
            allow=tuple(doc["allow"]),
            exceptions=tuple(doc["exceptions"]),
            company_ip_ranges=tuple(doc["company_ip_ranges"]),
            force_security_password=RuleMode(doc["force_security_password"]),
            force_scope=tuple(doc["force_scope"]),
            force_exceptions=tuple(doc["force_exceptions"]),
        )

    def set(self, domain: str, **parts: object) -> DomainPolicy:
        """Change the given parts (a missing or ``None`` part is kept); every value is checked first.
        Parts: third_party, allow, exceptions, company_ip_ranges, force_security_password, force_scope,
        force_exceptions."""
        unknown = set(parts) - set(_PARTS)
        if unknown:
            raise TypeError(f"unknown policy parts: {sorted(unknown)}")
        with db.Transaction(self._conn):  # read-modify-write: another process may edit the same row
            current = self.get(domain)
            changes = {
                name: _PARTS[name](value, current.domain, self._directory)
                for name, value in parts.items()
                if value is not None
            }
            updated = replace(current, **changes)  # type: ignore[arg-type]
            self._conn.execute(
                "INSERT INTO security_policies (domain, document) VALUES (?, ?) "
                "ON CONFLICT(domain) DO UPDATE SET document = excluded.document",
                (updated.domain, json.dumps(_document(updated), ensure_ascii=False)),
            )
        return updated


def _document(policy: DomainPolicy) -> dict[str, object]:
    return {
        "third_party": policy.third_party.value,
        "allow": list(policy.allow),
        "exceptions": list(policy.exceptions),
        "company_ip_ranges": list(policy.company_ip_ranges),
        "force_security_password": policy.force_security_password.value,
        "force_scope": list(policy.force_scope),
        "force_exceptions": list(policy.force_exceptions),
    }


# How each part of a policy is checked: (value, domain, directory) -> stored value.
_PARTS: dict[str, Callable[[Any, str, Directory], object]] = {
    "third_party": lambda v, d, dr: _mode(v, "third_party"),
    "allow": lambda v, d, dr: _scopes(v, d, dr, "allow"),
    "exceptions": lambda v, d, dr: _scopes(v, d, dr, "exceptions"),
    "company_ip_ranges": lambda v, d, dr: _ip_ranges(v),
    "force_security_password": lambda v, d, dr: _mode(v, "force_security_password"),
    "force_scope": lambda v, d, dr: _scopes(v, d, dr, "force_scope"),
    "force_exceptions": lambda v, d, dr: _scopes(v, d, dr, "force_exceptions"),
}
