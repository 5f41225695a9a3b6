"""verify_mailbox against a real Dovecot (IMAP + submission) and real dead/silent/unknown endpoints."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.accounts.diagnosis import diagnose
from mailhub.accounts.verify import verify_mailbox
from mailhub.catalog import MailSettings, ServerSettings

ADDRESS, PASSWORD = "alice@dovecot.test", "alice-Secret-1"
QUICK = {"connect_timeout": 2.0, "greeting_wait": 0.3, "timeout": 10.0}


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        server.add_user(ADDRESS, PASSWORD)
        yield server


@pytest.fixture
def trusted(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> DovecotServer:
    """The hub reaches Dovecot by its certificate's name, through MAILHUB_RESOLVE, trusting its CA."""
    ports = dovecot.ports.values()
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in ports))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    return dovecot


def _settings(imap: tuple[int, str], smtp: tuple[int, str], host: str = HOSTNAME) -> MailSettings:
    return MailSettings(ServerSettings(host, *imap), ServerSettings(host, *smtp), ADDRESS)  # type: ignore[arg-type]


@pytest.mark.peer
@pytest.mark.parametrize("mode", ["ssl", "starttls"])
async def test_success_with_id_list_select(trusted: DovecotServer, mode: str) -> None:
    ports = trusted.ports
    imap, smtp = ((ports["imaps"], "ssl"), (ports["smtps"], "ssl"))
    if mode == "starttls":
        imap, smtp = ((ports["imap"], "starttls"), (ports["submission"], "starttls"))
    verification = await verify_mailbox(_settings(imap, smtp), PASSWORD, **QUICK)
    assert verification.ok, verification
    said = "\n".join(verification.imap.transcript)
    assert ' ID ("name" "mailhub"' in said and 'SELECT "INBOX"' in said and "LIST" in said
    assert PASSWORD not in said + "\n".join(verification.smtp.transcript)
    assert diagnose(verification, provider_id=None, password=PASSWORD) is None


@pytest.mark.peer
async def test_wrong_password_keeps_the_reply_never_the_secret(trusted: DovecotServer) -> None:
    ports = trusted.ports
    wrong = "not-the-Password-9"
    verification = await verify_mailbox(_settings((ports["imaps"], "ssl"), (ports["smtps"], "ssl")), wrong, **QUICK)
    assert not verification.ok
    assert verification.imap.failure == "auth" and "AUTHENTICATIONFAILED" in (verification.imap.reply or "")
    assert verification.smtp.failure == "auth" and (verification.smtp.reply or "").startswith("535")
    everything = repr(verification) + str(verification.to_dict())
    assert wrong not in everything
    diagnosis = diagnose(verification, provider_id=None, password=wrong)
    assert diagnosis is not None and diagnosis.code == "password_wrong_or_revoked"


@pytest.mark.peer
async def test_tls_to_plaintext_ports_and_plaintext_to_tls_ports(trusted: DovecotServer) -> None:
    ports = trusted.ports
    tls_to_plain = await verify_mailbox(
        _settings((ports["imap"], "ssl"), (ports["submission"], "ssl")), PASSWORD, **QUICK
    )
    plain_to_tls = await verify_mailbox(
        _settings((ports["imaps"], "starttls"), (ports["smtps"], "starttls")), PASSWORD, **QUICK
    )
    crossed = await verify_mailbox(_settings((ports["smtps"], "ssl"), (ports["imaps"], "ssl")), PASSWORD, **QUICK)
    for verification in (tls_to_plain, plain_to_tls, crossed):
        assert {verification.imap.failure, verification.smtp.failure} <= {"tls_handshake", "wrong_port"}
        diagnosis = diagnose(verification, provider_id=None, password=PASSWORD)
        assert diagnosis is not None and diagnosis.code == "wrong_port"
    assert crossed.imap.reply and crossed.imap.reply.startswith("220")  # an SMTP banner on the "IMAP" port


@pytest.mark.peer
async def test_untrusted_certificate_without_the_ca(dovecot: DovecotServer, monkeypatch) -> None:
    ports = dovecot.ports
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in ports.values()))
    monkeypatch.delenv("MAILHUB_CA_FILE", raising=False)
    for imap, smtp in [
        ((ports["imaps"], "ssl"), (ports["smtps"], "ssl")),
        ((ports["imap"], "starttls"), (ports["submission"], "starttls")),
    ]:
        verification = await verify_mailbox(_settings(imap, smtp), PASSWORD, **QUICK)
        assert verification.imap.failure == verification.smtp.failure == "tls_untrusted"
        diagnosis = diagnose(verification, provider_id=None, password=PASSWORD)
        assert diagnosis is not None and diagnosis.code == "certificate_untrusted"


@pytest.mark.peer
async def test_the_certificate_name_is_checked(dovecot: DovecotServer, monkeypatch) -> None:
    """Trusted CA but a name the certificate does not carry: still refused (name checks stay on)."""
    ports = dovecot.ports
    other = "imap.elsewhere.test"
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{other}:{p}=127.0.0.1:{p}" for p in ports.values()))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    settings = _settings((ports["imaps"], "ssl"), (ports["smtps"], "ssl"), host=other)
    verification = await verify_mailbox(settings, PASSWORD, **QUICK)
    assert verification.imap.failure == verification.smtp.failure == "tls_untrusted"


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_dead_port_is_connection_refused(monkeypatch) -> None:
    port = _dead_port()
    monkeypatch.setenv(
        "MAILHUB_RESOLVE", f"imap.dead.test:{port}=127.0.0.1:{port},smtp.dead.test:{port}=127.0.0.1:{port}"
    )
    settings = MailSettings(
        ServerSettings("imap.dead.test", port, "ssl"), ServerSettings("smtp.dead.test", port, "ssl"), ADDRESS
    )
    verification = await verify_mailbox(settings, PASSWORD, **QUICK)
    assert verification.imap.failure == verification.smtp.failure == "refused"
    assert diagnose(verification, provider_id=None, password=PASSWORD).code == "connection_refused"  # type: ignore[union-attr]


async def test_silent_listener_times_out(monkeypatch) -> None:
    """A listener that accepts and never speaks: both probes end at their timeout, with the phase they were in."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        monkeypatch.setenv(
            "MAILHUB_RESOLVE", f"imap.silent.test:{port}=127.0.0.1:{port},smtp.silent.test:{port}=127.0.0.1:{port}"
        )
        settings = MailSettings(
            ServerSettings("imap.silent.test", port, "ssl"),
            ServerSettings("smtp.silent.test", port, "starttls"),
            ADDRESS,
        )
        verification = await verify_mailbox(settings, PASSWORD, connect_timeout=0.5, greeting_wait=0.2, timeout=1.0)
    assert verification.imap.failure == verification.smtp.failure == "timeout"
    assert verification.imap.phase == "tls" and verification.smtp.phase == "greeting"
    assert diagnose(verification, provider_id=None, password=PASSWORD).code == "timeout"  # type: ignore[union-attr]


async def test_unresolvable_host_is_host_not_found() -> None:
    settings = MailSettings(
        ServerSettings("imap.mailhub-no-such-host.invalid", 993, "ssl"),
        ServerSettings("smtp.mailhub-no-such-host.invalid", 465, "ssl"),
        ADDRESS,
    )
    verification = await verify_mailbox(settings, PASSWORD, **QUICK)
    assert verification.imap.failure == verification.smtp.failure == "dns"
    assert diagnose(verification, provider_id=None, password=PASSWORD).code == "host_not_found"  # type: ignore[union-attr]
