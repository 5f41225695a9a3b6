"""The account lifecycle against the real sandbox, through the catalog's Alibaba settings.

Each test is a user story from the seed guide: the admin has allowed third-party clients and switched
IMAP/SMTP on; the user makes a client security password (SMS code) and binds the mailbox in the hub.
"""

from __future__ import annotations

import asyncio

import pytest
from conftest_accounts import aliyun_hub_fixture, db_url_fixture, hub_home_fixture  # noqa: F401  (fixtures)
from sqlalchemy import func, select

from mailhub.accounts import AccountError, AccountStatus, ServerOverrides
from mailhub.store import AccountRow, SecretRow, StatusChangeRow, VerificationRow

MAIN = "Main-Passw0rd!"
# The diagnosis for "a client security password exists, so the web password no longer works".
CLIENT_PASSWORD_REQUIRED = "client_password_required"


async def test_client_password_binds_as_normal(aliyun_hub) -> None:
    address = aliyun_hub.user("alice", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        result = await service.add(address, client_password, name="Alice")

        assert result.ok and result.saved and result.diagnosis is None
        account = result.account
        assert account.status == AccountStatus.NORMAL and account.status.label("zh") == "正常"
        assert account.provider_id == "aliyun-standard"
        assert (account.settings.imap.host, account.settings.imap.port) == ("imap.qiye.aliyun.com", 993)
        assert (account.settings.smtp.host, account.settings.smtp.port) == ("smtp.qiye.aliyun.com", 465)
        detail = service.show(address)
        assert [(c.from_status, c.to_status) for c in detail.history] == [
            (None, AccountStatus.VERIFYING),
            (AccountStatus.VERIFYING, AccountStatus.NORMAL),
        ]
        assert detail.last_verification.imap_ok and detail.last_verification.smtp_ok
        assert [a.email for a in service.list()] == [address]
    finally:
        service.close()


async def test_pasted_spaces_are_removed_from_a_client_password(aliyun_hub) -> None:
    address = aliyun_hub.user("spaces", MAIN)
    client_password = aliyun_hub.client_password(address)
    pasted = " ".join(client_password[i : i + 4] for i in range(0, len(client_password), 4))
    service = aliyun_hub.service()
    try:
        result = await service.add(address, f" {pasted} ")
        assert result.ok, result.diagnosis and result.diagnosis.code
    finally:
        service.close()


async def test_main_password_after_a_client_password_is_refused_with_its_cause(aliyun_hub) -> None:
    address = aliyun_hub.user("bob", MAIN)
    aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        result = await service.add(address, MAIN)

        assert not result.ok and not result.saved and result.account is None
        assert result.status == AccountStatus.ERROR
        assert result.diagnosis.code == CLIENT_PASSWORD_REQUIRED
        assert result.diagnosis.to_dict("zh")["steps"] and result.diagnosis.to_dict("en")["steps"]
        assert service.list() == []
    finally:
        service.close()


async def test_save_unverified_keeps_the_account_as_error_with_its_diagnosis(aliyun_hub) -> None:
    address = aliyun_hub.user("carol", MAIN)
    aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        result = await service.add(address, MAIN, save_unverified=True)

        assert result.saved and not result.ok
        account = service.get(address)
        assert account.status == AccountStatus.ERROR and account.status.label("zh") == "异常"
        assert account.diagnosis_code == CLIENT_PASSWORD_REQUIRED
        assert account.diagnosis_for("zh")["code"] == CLIENT_PASSWORD_REQUIRED
        assert account.to_dict("en")["diagnosis"]["code"] == CLIENT_PASSWORD_REQUIRED
        last = service.show(account.id).history[-1]
        assert (last.to_status, last.reason, last.diagnosis_code) == (
            AccountStatus.ERROR,
            "verify_failed",
            CLIENT_PASSWORD_REQUIRED,
        )
    finally:
        service.close()


async def test_pause_and_resume(aliyun_hub) -> None:
    address = aliyun_hub.user("dave", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        added = await service.add(address, client_password)
        paused = service.pause(added.account.id)
        assert paused.status == AccountStatus.PAUSED and paused.status.label("zh") == "已暂停"
        checked = await service.verify(address)
        assert checked.ok and checked.account.status == AccountStatus.PAUSED  # a check does not un-pause

        resumed = await service.resume(address)
        assert resumed.ok and resumed.account.status == AccountStatus.NORMAL
        statuses = [(c.to_status.value, c.reason) for c in service.show(address).history]
        assert statuses[-4:] == [
            ("normal", "verified"),
            ("paused", "paused"),
            ("verifying", "resumed"),
            ("normal", "verified"),
        ]
    finally:
        service.close()


async def test_a_revoked_client_password_turns_the_account_to_error(aliyun_hub) -> None:
    address = aliyun_hub.user("erin", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        await service.add(address, client_password)
        sandbox = aliyun_hub.running.sandbox
        for issued in sandbox.security.list_client_passwords(address):
            sandbox.delete_client_password(address, issued.id)

        result = await service.verify(address)
        assert not result.ok and result.account.status == AccountStatus.ERROR
        assert result.account.diagnosis_code is not None
    finally:
        service.close()


async def test_edit_verifies_before_saving(aliyun_hub) -> None:
    address = aliyun_hub.user("frank", MAIN)
    first = aliyun_hub.client_password(address, "laptop")
    service = aliyun_hub.service()
    try:
        await service.add(address, first)

        refused = await service.edit(address, password=MAIN, name="Frank")
        assert not refused.saved and refused.diagnosis.code == CLIENT_PASSWORD_REQUIRED
        assert (await service.verify(address)).ok  # the stored password is still the working one
        assert service.get(address).name is None  # nothing of a refused edit is saved

        second = aliyun_hub.client_password(address, "phone")
        edited = await service.edit(address, password=second, name="Frank")
        assert edited.saved and edited.ok
        sandbox = aliyun_hub.running.sandbox
        for issued in sandbox.security.list_client_passwords(address):
            if issued.remark == "laptop":
                sandbox.delete_client_password(address, issued.id)
        assert (await service.verify(address)).ok  # the new password was stored
        assert service.get(address).name == "Frank"
    finally:
        service.close()


async def test_edit_to_a_wrong_server_keeps_the_old_settings(aliyun_hub) -> None:
    address = aliyun_hub.user("gina", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        await service.add(address, client_password)
        moved = await service.edit(address, overrides=ServerOverrides(smtp_port=2525))  # nothing listens there
        assert not moved.saved and not moved.ok
        assert service.get(address).settings.smtp.port == 465
        assert service.get(address).status == AccountStatus.NORMAL
    finally:
        service.close()


async def test_delete_purges_every_row_and_the_secret(aliyun_hub) -> None:
    address = aliyun_hub.user("hank", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        added = await service.add(address, client_password)
        await service.verify(address)
        account_id = added.account.id
        service.delete(address)

        with service.store.session() as session:
            for table in (AccountRow, SecretRow, StatusChangeRow, VerificationRow):
                column = table.id if table is AccountRow else table.account_id
                assert session.scalar(select(func.count()).where(column == account_id)) == 0
        with pytest.raises(AccountError) as caught:
            service.get(address)
        assert caught.value.code == "account_not_found"
    finally:
        service.close()


async def test_adding_the_same_mailbox_twice_is_refused(aliyun_hub) -> None:
    address = aliyun_hub.user("ivy", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        await service.add(address, client_password)
        with pytest.raises(AccountError) as caught:
            await service.add(address.upper(), client_password)
        assert caught.value.code == "account_exists" and "已绑定" in caught.value.message("zh")
    finally:
        service.close()


async def test_a_named_provider_skips_detection(aliyun_hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILHUB_NAMESERVER", "127.0.0.1:9")  # no DNS answers at all
    address = aliyun_hub.user("jack", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        result = await service.add(address, client_password, overrides=ServerOverrides(provider_id="aliyun-standard"))
        assert result.ok and result.account.provider_id == "aliyun-standard"
    finally:
        service.close()


@pytest.fixture(name="silent_server")
async def silent_server_fixture():
    """A TCP server on 127.0.0.1 that accepts and never says a word (a check against it cannot finish)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.mark.parametrize("keep", [False, True])
async def test_an_interrupted_check_leaves_no_half_bound_account(
    aliyun_hub, silent_server: int, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    """Cancelled mid-check (Ctrl-C, a closed web request): refused accounts vanish, kept ones say 异常."""
    monkeypatch.setenv(
        "MAILHUB_RESOLVE",
        f"imap.qiye.aliyun.com:993=127.0.0.1:{silent_server},smtp.qiye.aliyun.com:465=127.0.0.1:{silent_server}",
    )
    address = aliyun_hub.user("kim", MAIN)
    service = aliyun_hub.service()
    try:
        aliyun = ServerOverrides(provider_id="aliyun-standard")
        adding = asyncio.create_task(service.add(address, "whatever-it-is", overrides=aliyun, save_unverified=keep))
        while not service.list():  # the account is stored as 验证中 before the check starts
            await asyncio.sleep(0.01)
        assert service.list()[0].status == AccountStatus.VERIFYING
        adding.cancel()
        with pytest.raises(asyncio.CancelledError):
            await adding
        if keep:
            account = service.get(address)
            assert account.status == AccountStatus.ERROR and account.status_reason == "interrupted"
        else:
            assert service.list() == []
    finally:
        service.close()


async def test_lifecycle_on_either_database(aliyun_hub, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILHUB_DATABASE_URL", db_url)
    address = aliyun_hub.user("leo", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        assert (await service.add(address, client_password)).ok
        service.pause(address)
        assert (await service.resume(address)).account.status == AccountStatus.NORMAL
        refused = await service.add(f"nobody@{aliyun_hub.domain}", MAIN, save_unverified=True)
        assert refused.account.diagnosis_code is not None
        assert refused.account.diagnosis_for("zh")["code"] == refused.account.diagnosis_code
        service.delete(address)
        assert [a.email for a in service.list()] == [f"nobody@{aliyun_hub.domain}"]
    finally:
        service.close()


async def test_a_running_service_follows_a_rotation_done_elsewhere(aliyun_hub) -> None:
    from mailhub.accounts.vault import load_vault, rotate

    address = aliyun_hub.user("mia", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        await service.add(address, client_password)
        other = aliyun_hub.service()  # another process: `mailhub vault rotate`
        rotate(other.store, aliyun_hub.home, load_vault(aliyun_hub.home, None))
        other.close()
        assert (await service.verify(address)).ok
    finally:
        service.close()


async def test_typed_servers_need_no_detection(aliyun_hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """All four server fields typed: the provider comes from the host name, no DNS is asked."""
    monkeypatch.setenv("MAILHUB_NAMESERVER", "127.0.0.1:9")
    address = aliyun_hub.user("nina", MAIN)
    client_password = aliyun_hub.client_password(address)
    typed = ServerOverrides(
        imap_host="imap.qiye.aliyun.com", imap_port=993, smtp_host="smtp.qiye.aliyun.com", smtp_port=465
    )
    service = aliyun_hub.service()
    try:
        result = await service.add(address, client_password, overrides=typed)
        assert result.ok, result.diagnosis and result.diagnosis.code
        assert result.account.provider_id == "aliyun-standard"
        assert (result.account.settings.imap.tls, result.account.settings.smtp.tls) == ("ssl", "ssl")
    finally:
        service.close()


async def test_a_new_port_implies_starttls(aliyun_hub) -> None:
    """Switching SMTP to 587 (submission) means STARTTLS unless told otherwise, and it still logs in."""
    address = aliyun_hub.user("omar", MAIN)
    client_password = aliyun_hub.client_password(address)
    service = aliyun_hub.service()
    try:
        await service.add(address, client_password)
        moved = await service.edit(address, overrides=ServerOverrides(smtp_port=587))
        assert moved.saved and moved.ok, moved.diagnosis and moved.diagnosis.code
        smtp = service.get(address).settings.smtp
        assert (smtp.host, smtp.port, smtp.tls) == ("smtp.qiye.aliyun.com", 587, "starttls")
    finally:
        service.close()
