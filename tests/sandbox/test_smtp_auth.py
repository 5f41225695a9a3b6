"""SMTP AUTH on the sandbox, over real TLS: the gate decides, the edition words the refusal exactly."""

from __future__ import annotations

import base64
import logging
import smtplib

import aiosmtplib
import pytest
from conftest_smtp import RunningSmtp, Transcript, smtp_sandbox_fixture  # noqa: F401  (fixture)

from mailhub.sandbox.profiles import get_edition
from mailhub.sandbox.security.decision import Denial

ALIYUN = "sales@trade-demo.cn"
EXMAIL = "boss@exmail-demo.cn"
MAIN_PASSWORD = "Web-Passw0rd!"


def plain(username: str, secret: str) -> str:
    return base64.b64encode(f"\0{username}\0{secret}".encode()).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def smtps(running: RunningSmtp) -> smtplib.SMTP_SSL:
    return smtplib.SMTP_SSL(running.host, running.ports["smtps"], context=running.client_context(), timeout=10)


def auth_plain(client: smtplib.SMTP, username: str, secret: str) -> tuple[int, bytes]:
    """One AUTH PLAIN attempt (``smtplib.login`` would retry with LOGIN and count twice toward lockout)."""
    client.ehlo_or_helo_if_needed()
    return client.docmd("AUTH", "PLAIN " + plain(username, secret))


def test_client_password_logs_in_with_plain_on_465(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    secret = smtp_sandbox.new_client_password(ALIYUN)
    with smtps(smtp_sandbox) as client:
        code, _ = client.login(ALIYUN, secret)
        assert code == 235


def test_login_mechanism_succeeds_and_fails_with_the_edition_line(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    secret = smtp_sandbox.new_client_password(ALIYUN)
    talk = Transcript.implicit_tls(smtp_sandbox)
    try:
        talk.reply()
        talk.command("EHLO client.test")
        assert talk.command("AUTH LOGIN") == "334 " + b64("User Name\0")
        assert talk.command(b64(ALIYUN)) == "334 " + b64("Password\0")
        assert talk.command(b64("wrong-secret")) == "526 Authentication failure[0]"
        talk.send("AUTH LOGIN " + b64(ALIYUN))
        assert talk.reply() == ["334 " + b64("Password\0")]
        assert talk.command(b64(secret)).startswith("235 ")
    finally:
        talk.close()


def test_bad_password_gets_alibaba_526_0(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    with smtps(smtp_sandbox) as client:
        assert auth_plain(client, ALIYUN, "not-the-password") == (526, b"Authentication failure[0]")


def test_main_password_refused_once_a_client_password_exists(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    with smtps(smtp_sandbox) as client:
        assert auth_plain(client, ALIYUN, MAIN_PASSWORD)[0] == 235
    smtp_sandbox.new_client_password(ALIYUN)
    with smtps(smtp_sandbox) as client:
        code, text = auth_plain(client, ALIYUN, MAIN_PASSWORD)
    expected = get_edition("aliyun-standard").smtp_auth_failure(Denial.CLIENT_PASSWORD_REQUIRED)
    assert f"{code} {text.decode()}" == expected


def test_lockout_after_five_failures_answers_526_1(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    secret = smtp_sandbox.new_client_password(ALIYUN)
    with smtps(smtp_sandbox) as client:
        for _ in range(5):
            assert auth_plain(client, ALIYUN, "guess")[0] == 526
        # even the right secret is refused while the user+IP pair is locked
        assert auth_plain(client, ALIYUN, secret) == (526, b"Authentication failure[1]")


def test_third_party_clients_off_is_refused(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD, third_party="off")
    with smtps(smtp_sandbox) as client:
        code, text = auth_plain(client, ALIYUN, MAIN_PASSWORD)
    expected = get_edition("aliyun-standard").smtp_auth_failure(Denial.THIRD_PARTY_DISABLED)
    assert f"{code} {text.decode()}" == expected


def test_refusal_speaks_the_edition_of_the_users_domain(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    smtp_sandbox.bind_user(EXMAIL, MAIN_PASSWORD, edition="tencent-exmail")
    with smtps(smtp_sandbox) as client:
        code, text = auth_plain(client, EXMAIL, "wrong")
    expected = get_edition("tencent-exmail").smtp_auth_failure(Denial.BAD_PASSWORD)
    assert f"{code} {text.decode()}" == expected
    assert code != 526


def test_empty_credentials_get_the_edition_line(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    with smtps(smtp_sandbox) as client:
        code, text = auth_plain(client, ALIYUN, "")
    assert f"{code} {text.decode()}" == get_edition("aliyun-standard").smtp_auth_failure(Denial.EMPTY_CREDENTIALS)


def test_banner_follows_the_host_name_the_client_dialled(smtp_sandbox: RunningSmtp) -> None:
    for edition_id in ("aliyun-standard", "tencent-exmail"):
        edition = get_edition(edition_id)
        talk = Transcript.implicit_tls(smtp_sandbox, server_name=edition.smtp_host)
        try:
            banner = talk.line()
            ehlo = talk.command("EHLO client.test")
            talk.send("QUIT")
        finally:
            talk.close()
        assert banner.rstrip() == "220 " + edition.smtp_banner
        assert ehlo == "250 HELP"


def test_starttls_submission_requires_tls_then_accepts_auth(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    secret = smtp_sandbox.new_client_password(ALIYUN)
    with smtplib.SMTP(smtp_sandbox.host, smtp_sandbox.ports["submission"], timeout=10) as client:
        client.ehlo("client.test")
        assert client.has_extn("starttls") and not client.has_extn("auth")
        code, text = client.docmd("AUTH", "PLAIN " + plain(ALIYUN, secret))
        # the default edition (the first domain's: aliyun-standard) words the refusal
        assert f"{code} {text.decode()}" == get_edition("aliyun-standard").smtp_reply("tls_required")
        client.starttls(context=smtp_sandbox.client_context())
        client.ehlo("client.test")
        assert client.has_extn("auth")
        assert client.login(ALIYUN, secret)[0] == 235


async def test_aiosmtplib_sends_over_implicit_tls(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    secret = smtp_sandbox.new_client_password(ALIYUN)
    client = aiosmtplib.SMTP(
        hostname=smtp_sandbox.host,
        port=smtp_sandbox.ports["smtps"],
        use_tls=True,
        tls_context=smtp_sandbox.client_context(),
        timeout=10,
    )
    async with client:
        response = await client.login(ALIYUN, secret)
        assert response.code == 235
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await client.login(ALIYUN, secret)  # already authenticated: 503 from the engine


def test_secrets_never_reach_the_logs(smtp_sandbox: RunningSmtp, caplog: pytest.LogCaptureFixture) -> None:
    smtp_sandbox.bind_user(ALIYUN, MAIN_PASSWORD)
    secret = smtp_sandbox.new_client_password(ALIYUN)
    caplog.set_level(logging.DEBUG)  # aiosmtpd's "mail.log" included: the most talkative it gets
    talk = Transcript.implicit_tls(smtp_sandbox)
    try:
        talk.reply()
        talk.command("EHLO client.test")
        assert talk.command("AUTH PLAIN " + plain(ALIYUN, "wrong-" + secret)).startswith("526")
        talk.command("AUTH LOGIN " + b64(ALIYUN))
        assert talk.command(b64(MAIN_PASSWORD)).startswith("526")
        assert talk.command("AUTH PLAIN " + plain(ALIYUN, secret)).startswith("235")
        assert talk.command("QUIT").startswith("221")
    finally:
        talk.close()
    assert "smtp auth ok" in caplog.text  # the server did log (in its thread) while we listened
    for needle in (secret, MAIN_PASSWORD, plain(ALIYUN, secret), b64(MAIN_PASSWORD)):
        assert needle not in caplog.text
