"""The hub's one map from a failed verification to a cause a person can act on, read from ``diagnoses.toml``.

``diagnose`` looks at both protocols: a specific reply beats an ambiguous one (Alibaba's SMTP answers
``526 Authentication failure[0]`` for many causes while IMAP may say exactly which), IMAP is preferred when
both are equally specific, and the password's shape reorders ambiguous causes (a 13-character "client
password" for Alibaba is most likely the web password).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from mailhub.accounts.password_hints import Hint, PasswordCheck, password_hints
from mailhub.transport.probe import ProbeResult

__all__ = [
    "Cause",
    "Diagnosis",
    "Hint",
    "PasswordCheck",
    "Step",
    "diagnose",
    "diagnose_reply",
    "password_hints",
]

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do, in both languages, with the provider's page when there is one."""

    text: dict[str, str]
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Cause:
    """A likely cause and how the user can check whether it is the one."""

    code: str
    text: dict[str, str]
    how_to_check: dict[str, str]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Why verification failed (``code`` is stable), what it means, what to check and what to do."""

    code: str
    title: dict[str, str]
    explanation: dict[str, str]
    likely_causes: list[Cause]
    steps: list[Step]
    provider_id: str | None
    phase: str
    reply: str | None
    protocol: str = ""
    hints: list[Hint] = field(default_factory=list)

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        """Plain data in one language, for the CLI, the API and the web pages."""
        return {
            "code": self.code,
            "title": self.title[lang],
            "explanation": self.explanation[lang],
            "likely_causes": [
                {"code": c.code, "text": c.text[lang], "how_to_check": c.how_to_check[lang]} for c in self.likely_causes
            ],
            "steps": [{"text": s.text[lang], "link": s.link} for s in self.steps],
            "provider_id": self.provider_id,
            "protocol": self.protocol,
            "phase": self.phase,
            "reply": self.reply,
            "hints": [h.text[lang] for h in self.hints],
        }


# -- the table --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Code:
    title: dict[str, str]
    explanation: dict[str, str]
    how_to_check: dict[str, str]
    steps: tuple[tuple[frozenset[str], Step], ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table (see the header of ``diagnoses.toml``)."""

    code: str
    causes: tuple[str, ...]
    providers: frozenset[str]
    protocol: str
    phases: frozenset[str]
    failures: frozenset[str]
    fragments: tuple[str, ...]
    context: str

    @property
    def ambiguous(self) -> bool:
        return len(self.causes) > 1

    def matches(self, provider_id: str | None, probe: ProbeResult, other_ok: bool) -> bool:
        if "*" not in self.providers and provider_id not in self.providers:
            return False
        if self.protocol not in ("*", probe.protocol):
            return False
        if "*" not in self.phases and probe.phase not in self.phases:
            return False
        if "*" not in self.failures and probe.failure not in self.failures:
            return False
        if self.context == "other_ok" and not other_ok:
            return False
        if self.context == "other_failed" and other_ok:
            return False
        if not self.fragments:
            return True
        said = " ".join(filter(None, (probe.reply, probe.detail))).casefold()
        return any(fragment in said for fragment in self.fragments)


@dataclass(frozen=True, slots=True)
class Table:
    codes: dict[str, _Code]
    rules: tuple[Rule, ...]


def _text(raw: dict[str, str], where: str) -> dict[str, str]:
    if set(raw) != set(LANGS) or not all(raw[lang].strip() for lang in LANGS):
        raise ValueError(f"{where}: needs non-empty zh and en")
    return dict(raw)


def parse_table(text: str) -> Table:
    """Parse and check ``diagnoses.toml``: every rule names known codes, every code has zh+en and a step."""
    data = tomllib.loads(text)
    codes: dict[str, _Code] = {}
    for code, raw in data["code"].items():
        steps = tuple(
            (
                frozenset(step.get("providers", ["*"])),
                Step(_text({"zh": step["zh"], "en": step["en"]}, code), step.get("link")),
            )
            for step in raw.get("step", [])
        )
        if not any("*" in providers for providers, _ in steps):
            raise ValueError(f"code {code}: needs a step for any provider (providers = ['*'])")
        codes[code] = _Code(
            _text(raw["title"], f"{code}.title"),
            _text(raw["explanation"], f"{code}.explanation"),
            _text(raw["how_to_check"], f"{code}.how_to_check"),
            steps,
        )
    rules = []
    for index, raw in enumerate(data["rule"]):
        causes = tuple(raw.get("causes", [raw["code"]]))
        if causes[0] != raw["code"] or any(cause not in codes for cause in causes):
            raise ValueError(f"rule {index}: code and causes must be known codes, code first")
        rules.append(
            Rule(
                code=raw["code"],
                causes=causes,
                providers=frozenset(raw.get("providers", ["*"])),
                protocol=raw.get("protocol", "*"),
                phases=frozenset(raw.get("phases", ["*"])),
                failures=frozenset(raw.get("failures", ["*"])),
                fragments=tuple(fragment.casefold() for fragment in raw.get("match", [])),
                context=raw.get("context", "*"),
            )
        )
    return Table(codes, tuple(rules))


@cache
def load_table() -> Table:
    return parse_table(resources.files("mailhub.accounts").joinpath("diagnoses.toml").read_text("utf-8"))


# -- diagnosing -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Finding:
    probe: ProbeResult
    rule: Rule


def _find(table: Table, provider_id: str | None, probe: ProbeResult, other_ok: bool) -> _Finding:
    for rule in table.rules:
        if rule.matches(provider_id, probe, other_ok):
            return _Finding(probe, rule)
    raise LookupError("diagnoses.toml needs a last rule matching every failure")  # the table test ensures it


def _rank(causes: list[str], check: PasswordCheck) -> list[str]:
    """Put the cause the password's shape points at first (only among causes the reply allows)."""
    shape = check.looks_like_client_password
    preferred = {False: "client_password_required", True: "password_wrong_or_revoked"}.get(shape)  # type: ignore[call-overload]
    if preferred in causes:
        causes.remove(preferred)
        causes.insert(0, preferred)
    return causes


def _steps(table: Table, code: str, provider_id: str | None) -> list[Step]:
    own = [step for providers, step in table.codes[code].steps if provider_id in providers]
    return own or [step for providers, step in table.codes[code].steps if "*" in providers]


def build(
    table: Table, causes: list[str], *, provider_id: str | None, probe: ProbeResult, hints: list[Hint]
) -> Diagnosis:
    code = causes[0]
    entry = table.codes[code]
    likely = [Cause(c, table.codes[c].title, table.codes[c].how_to_check) for c in causes]
    return Diagnosis(
        code=code,
        title=entry.title,
        explanation=entry.explanation,
        likely_causes=likely,
        steps=_steps(table, code, provider_id),
        provider_id=provider_id,
        phase=probe.phase,
        reply=probe.reply,
        protocol=probe.protocol,
        hints=hints,
    )


def diagnose(verification: Any, *, provider_id: str | None, password: str) -> Diagnosis | None:
    """The cause of a failed ``Verification`` (``None`` when it succeeded), with ranked likely causes."""
    if verification.ok:
        return None
    table = load_table()
    check = password_hints(provider_id, password)
    probes = [verification.imap, verification.smtp]
    failed = [p for p in probes if not p.ok]
    if not check.cleaned and any(p.failure == "auth" for p in failed):
        auth = next(p for p in failed if p.failure == "auth")
        return build(table, ["credentials_missing"], provider_id=provider_id, probe=auth, hints=check.hints)
    findings = [_find(table, provider_id, p, other_ok=len(failed) == 1) for p in failed]
    # Specific beats ambiguous; on a tie the list order (IMAP first) decides.
    chosen = min(findings, key=lambda f: f.rule.ambiguous)
    causes = list(chosen.rule.causes)
    if chosen.rule.ambiguous:
        causes = _rank(causes, check)
    for finding in findings:  # what the other protocol points at is worth checking too
        if finding is not chosen:
            extra = _rank(list(finding.rule.causes), check) if finding.rule.ambiguous else [finding.rule.code]
            causes += [cause for cause in extra if cause not in causes]
    return build(table, causes, provider_id=provider_id, probe=chosen.probe, hints=check.hints)


def diagnose_reply(
    protocol: str, reply: str, *, provider_id: str | None, phase: str = "auth", failure: str = "auth"
) -> Diagnosis:
    """Diagnose one server reply met outside verification (e.g. the outbox's MAIL FROM refused)."""
    probe = ProbeResult(protocol, False, phase, failure=failure, reply=reply)
    finding = _find(load_table(), provider_id, probe, other_ok=False)
    return build(load_table(), list(finding.rule.causes), provider_id=provider_id, probe=probe, hints=[])
