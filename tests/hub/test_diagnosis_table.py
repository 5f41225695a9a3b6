"""The diagnosis table as data: every sandbox edition's refusal, and the real replies in providers.md,
diagnose to the intended cause with text in zh and en, and the steps carry the provider's own links."""

from __future__ import annotations

import pytest

from mailhub.accounts.diagnosis import diagnose, diagnose_reply, load_table
from mailhub.accounts.verify import Verification
from mailhub.catalog import load_catalog
from mailhub.sandbox.profiles import list_editions
from mailhub.sandbox.security.decision import Denial
from mailhub.transport.probe import ProbeResult

# Edition ids of the sandbox are the catalog's provider ids; the generic edition stands for an unknown provider.
PROVIDER_OF_EDITION = {edition.id: (None if edition.id == "generic" else edition.id) for edition in list_editions()}
INTENDED = {
    Denial.EMPTY_CREDENTIALS: "credentials_missing",
    Denial.LOCKED_OUT: "too_many_failures",
    Denial.USERNAME_NOT_FULL_ADDRESS: "username_must_be_full_address",
    Denial.UNKNOWN_USER: "account_not_found",
    Denial.BAD_PASSWORD: "password_wrong_or_revoked",
    Denial.THIRD_PARTY_DISABLED: "third_party_clients_disabled",
    Denial.SERVICE_DISABLED: "imap_smtp_service_disabled",
    Denial.CLIENT_PASSWORD_REQUIRED: "client_password_required",
}
CLIENT_PASSWORD = "Abcdefgh12345678"  # the shape of a 16-character client password
WEB_PASSWORD = "Web-Password-1"
OK_IMAP = ProbeResult("imap", True, "done")
OK_SMTP = ProbeResult("smtp", True, "done")


def _failed(protocol: str, reply: str, failure: str = "auth") -> ProbeResult:
    return ProbeResult(protocol, False, "login" if protocol == "imap" else "auth", failure=failure, reply=reply)


def _check_languages(diagnosis) -> None:
    for lang in ("zh", "en"):
        shown = diagnosis.to_dict(lang)
        assert shown["title"] and shown["explanation"] and shown["steps"]
        assert all(cause["text"] and cause["how_to_check"] for cause in shown["likely_causes"])
    assert diagnosis.to_dict("zh")["title"] != diagnosis.to_dict("en")["title"]


def _shared(texts: dict[Denial, str], denial: Denial) -> bool:
    """True when the edition says the same words for another denial: a client cannot tell them apart."""
    return any(text == texts[denial] for other, text in texts.items() if other != denial)


def _cases():
    for edition in list_editions():
        for protocol in ("imap", "smtp"):
            for denial in Denial:
                yield pytest.param(edition, protocol, denial, id=f"{edition.id}-{protocol}-{denial.value}")


@pytest.mark.parametrize(("edition", "protocol", "denial"), list(_cases()))
def test_every_edition_denial_diagnoses_to_its_cause(edition, protocol, denial) -> None:
    texts = {d: (edition.imap_auth_failure(d) if protocol == "imap" else edition.smtp_auth_failure(d)) for d in Denial}
    provider_id = PROVIDER_OF_EDITION[edition.id]
    password = "" if denial is Denial.EMPTY_CREDENTIALS else WEB_PASSWORD
    probe = _failed(protocol, texts[denial])
    other = OK_SMTP if protocol == "imap" else OK_IMAP
    failing = [probe, ProbeResult(other.protocol, False, "auth", failure="auth", reply=probe.reply)]
    # Alone (the other protocol fine is the wrong story for a policy refusal: both refuse, as the gate does).
    imap, smtp = (failing[0], failing[1]) if protocol == "imap" else (failing[1], failing[0])
    diagnosis = diagnose(Verification(imap, smtp, False), provider_id=provider_id, password=password)
    assert diagnosis is not None
    _check_languages(diagnosis)
    codes = [cause.code for cause in diagnosis.likely_causes]
    if _shared(texts, denial):
        assert INTENDED[denial] in codes, (texts[denial], codes)
    else:
        assert diagnosis.code == INTENDED[denial], (texts[denial], codes)


@pytest.mark.parametrize("edition", list_editions(), ids=lambda e: e.id)
def test_imap_wins_over_an_ambiguous_smtp_reply(edition) -> None:
    """Both tried: where SMTP is ambiguous (Alibaba's 526[0]) the IMAP reply names the cause."""
    provider_id = PROVIDER_OF_EDITION[edition.id]
    for denial in (Denial.THIRD_PARTY_DISABLED, Denial.SERVICE_DISABLED, Denial.CLIENT_PASSWORD_REQUIRED):
        imap_text = edition.imap_auth_failure(denial)
        if _shared({d: edition.imap_auth_failure(d) for d in Denial}, denial):
            continue
        verification = Verification(
            _failed("imap", imap_text), _failed("smtp", edition.smtp_auth_failure(denial)), False
        )
        diagnosis = diagnose(verification, provider_id=provider_id, password=WEB_PASSWORD)
        assert diagnosis is not None and diagnosis.code == INTENDED[denial]
        assert diagnosis.protocol == "imap" and diagnosis.reply == imap_text


def test_alibaba_526_alone_lists_the_official_causes_ranked_by_the_password_shape() -> None:
    smtp = _failed("smtp", "526 Authentication failure[0]")
    imap = _failed("imap", "NO [AUTHENTICATIONFAILED] Authentication failure[0]")
    web = diagnose(Verification(imap, smtp, False), provider_id="aliyun-standard", password=WEB_PASSWORD)
    client = diagnose(Verification(imap, smtp, False), provider_id="aliyun-standard", password=CLIENT_PASSWORD)
    assert web is not None and client is not None
    assert web.code == "client_password_required"  # 14 characters: the web password, most likely
    assert client.code == "password_wrong_or_revoked"  # the right shape: wrong or deleted, most likely
    official = {"client_password_required", "third_party_clients_disabled", "imap_smtp_service_disabled"}
    assert official <= {c.code for c in web.likely_causes}
    steps = web.to_dict("zh")["steps"]
    assert steps[0]["link"] == "https://qiye.aliyun.com/" and "生成新密码" in steps[0]["text"]


def test_a_definite_problem_comes_first_and_the_ambiguous_causes_follow() -> None:
    imap = ProbeResult("imap", False, "connect", failure="refused")
    smtp = _failed("smtp", "526 Authentication failure[0]")
    diagnosis = diagnose(Verification(imap, smtp, False), provider_id="aliyun-standard", password=WEB_PASSWORD)
    assert diagnosis is not None and diagnosis.code == "connection_refused"
    assert [c.code for c in diagnosis.likely_causes][:2] == ["connection_refused", "client_password_required"]


def test_smtp_526_when_imap_signed_in_points_at_smtp_switches() -> None:
    verification = Verification(OK_IMAP, _failed("smtp", "526 Authentication failure[0]"), False)
    diagnosis = diagnose(verification, provider_id="aliyun-standard", password=CLIENT_PASSWORD)
    assert diagnosis is not None and diagnosis.code == "imap_smtp_service_disabled"
    assert diagnosis.steps[0].link == "https://qiye.aliyun.com/admin/"


@pytest.mark.parametrize(
    ("provider_id", "protocol", "reply", "code"),
    [
        ("tencent-exmail", "imap", "NO Login fail. Please using weixin token to login", "client_password_required"),
        (
            "qq",
            "smtp",
            "535 Login Fail. Please enter your authorization code to login. More information",
            "client_password_required",
        ),
        ("qq", "smtp", "454 Authentication failed, please open smtp flag first!", "imap_smtp_service_disabled"),
        ("qq", "imap", "NO Authorized code is incorrect", "password_wrong_or_revoked"),
        ("netease-qiye", "imap", "NO LOGIN ERR.LOGIN.REQCODE", "client_password_required"),
        ("netease-qiye", "smtp", "535 email format login fail", "username_must_be_full_address"),
        ("netease-163", "smtp", "554 Ip is rejected, smtp auth error limit exceed", "too_many_failures"),
        ("netease-163", "smtp", "550 User has no permission", "imap_smtp_service_disabled"),
        (
            "google",
            "imap",
            "NO [ALERT] Application-specific password required: https://support.google.com/x",
            "client_password_required",
        ),
        ("google", "smtp", "534 5.7.9 Application-specific password required. Learn more", "client_password_required"),
        ("google", "imap", "NO [ALERT] Please log in via your web browser: https://x (Failure)", "sign_in_blocked"),
        ("google", "imap", "NO [ALERT] Your account is not enabled for IMAP use.", "imap_smtp_service_disabled"),
        ("google", "imap", "NO [ALERT] Too many simultaneous connections. (Failure)", "rate_limited"),
        ("google", "smtp", "454 4.7.0 Too many login attempts, please try again later. x1si", "too_many_failures"),
        (
            "outlook",
            "smtp",
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [X]",
            "oauth_required",
        ),
        (
            "microsoft-365",
            "smtp",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            "imap_smtp_service_disabled",
        ),
        ("outlook", "imap", "LOGINDISABLED (no password login offered)", "oauth_required"),
        ("yahoo", "smtp", "535 5.7.0 (#AUTH005) Too many bad auth attempts.", "too_many_failures"),
        ("zoho", "imap", "NO [ALERT] You are yet to enable IMAP for your account", "imap_smtp_service_disabled"),
        (
            "yandex",
            "smtp",
            "535 5.7.8 Error: authentication failed: This user does not have access rights to this service",
            "imap_smtp_service_disabled",
        ),
        ("godaddy", "smtp", "535 Authentication failed: account disabled", "account_disabled"),
        ("aliyun-standard", "smtp", "526 Authentication failure[1]", "too_many_failures"),
        ("aliyun-standard", "smtp", "524 username or passwd is NULL", "credentials_missing"),
    ],
)
def test_real_provider_replies(provider_id: str, protocol: str, reply: str, code: str) -> None:
    diagnosis = diagnose_reply(protocol, reply, provider_id=provider_id)
    assert diagnosis.code == code
    _check_languages(diagnosis)


@pytest.mark.parametrize(
    ("reply", "phase", "code"),
    [
        ("541 This account isn't allowed to send email", "mail", "send_not_allowed"),
        ("440 mail from account doesn't conform with authentication", "mail", "sender_mismatch"),
        ("550 User has no permission", "mail", "send_not_allowed"),
        ("451 4.7.1 MI:SFQ Sender is blocked for 15 minutes", "mail", "rate_limited"),
    ],
)
def test_sending_replies(reply: str, phase: str, code: str) -> None:
    assert diagnose_reply("smtp", reply, provider_id=None, phase=phase, failure="protocol").code == code


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        ("dns", "host_not_found"),
        ("refused", "connection_refused"),
        ("timeout", "timeout"),
        ("tls_untrusted", "certificate_untrusted"),
        ("tls_handshake", "wrong_port"),
        ("wrong_port", "wrong_port"),
        ("starttls_missing", "starttls_unavailable"),
        ("select", "select_refused"),
        ("closed", "unexpected_reply"),
    ],
)
def test_connection_failures(failure: str, code: str) -> None:
    imap = ProbeResult("imap", False, "connect", failure=failure)
    diagnosis = diagnose(
        Verification(imap, imap.__class__("smtp", False, "connect", failure=failure), False),
        provider_id=None,
        password="x",
    )
    assert diagnosis is not None and diagnosis.code == code
    _check_languages(diagnosis)


def test_netease_unsafe_login_is_the_id_rule() -> None:
    select = ProbeResult(
        "imap", False, "select", failure="select", reply="NO SELECT Unsafe Login. Please contact kefu@188.com for help"
    )
    diagnosis = diagnose(Verification(select, OK_SMTP, False), provider_id="netease-163", password="x" * 16)
    assert diagnosis is not None and diagnosis.code == "id_command_required"


def test_success_has_no_diagnosis() -> None:
    assert diagnose(Verification(OK_IMAP, OK_SMTP, True), provider_id="aliyun-standard", password="x") is None


def test_every_edition_is_a_catalog_provider() -> None:
    known = {provider.id for provider in load_catalog()}
    assert {pid for pid in PROVIDER_OF_EDITION.values() if pid} <= known


def test_table_is_complete() -> None:
    """Every required code exists with zh/en text and a step for any provider; the last rule catches all."""
    table = load_table()
    required = {
        "third_party_clients_disabled", "imap_smtp_service_disabled", "client_password_required",
        "password_wrong_or_revoked", "username_must_be_full_address", "id_command_required", "oauth_required",
        "too_many_failures", "rate_limited", "send_not_allowed", "tls_required", "wrong_port",
        "certificate_untrusted", "host_not_found", "connection_refused", "timeout",
    }  # fmt: skip
    assert required <= set(table.codes)
    last = table.rules[-1]
    assert last.failures == {"*"} and not last.fragments and last.providers == {"*"}
    used = {cause for rule in table.rules for cause in rule.causes}
    assert used == set(table.codes), set(table.codes) - used


def test_alibaba_steps_carry_the_seed_links() -> None:
    links = {
        code: [s.link for s in diagnose_reply("imap", reply, provider_id=pid).steps]
        for code, reply, pid in [
            ("third", "NO UC_OPER_NO_PERMISSION", "aliyun-standard"),
            ("service", "NO UC_LOGIN_SOURCE_NOT_ALLOWED", "aliyun-standard"),
            ("ft-service", "NO UC_LOGIN_SOURCE_NOT_ALLOWED", "alibaba-foreign-trade"),
        ]
    }
    assert links["third"] == ["https://qiye.aliyun.com/admin/"]
    assert links["service"] == ["https://qiye.aliyun.com/admin/"]
    assert links["ft-service"] == ["https://mail.alibaba.com/settings/setting_mail_accounts.htm"]
    zh = diagnose_reply("imap", "NO UC_OPER_NO_PERMISSION", provider_id="aliyun-standard").to_dict("zh")
    assert "允许使用第三方客户端" in zh["steps"][0]["text"] and "账户安全策略" in zh["steps"][0]["text"]
