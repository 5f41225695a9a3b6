"""The supervisor with the real workers against the sandbox: accounts bound with the catalog's Alibaba settings,
paused, resumed and deleted from another process (the ``mailhub accounts`` CLI), watched through the sandbox's
live sessions and login audit, with status changes arriving at a real webhook receiver, signed.
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage

from runtime_support import eventually

from mailhub.runtime import Runtime, signature_ok
from mailhub.runtime.events import Event

FAST = (0.05, 0.1, 0.2)


@contextlib.asynccontextmanager
async def running(runtime: Runtime):
    task = asyncio.create_task(runtime.run())
    try:
        yield runtime
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _mail(to: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "buyer@partner.example"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@partner.example>"
    message.set_content("hello")
    return bytes(message)


def _status_events(runtime: Runtime, account_id: int) -> list[tuple[str | None, str]]:
    return [
        (e.data["from"], e.data["to"])
        for e in runtime.events.since(0, account_id=account_id)
        if e.kind == "account.status"
    ]


async def test_pause_resume_delete_from_another_process_start_and_stop_the_workers(any_hub, receivers) -> None:
    hub = any_hub
    account_id, address = await hub.bind("alice")
    receiver = receivers()
    runtime = Runtime(hub.service, poll=0.1, webhook_schedule=FAST)
    _endpoint, secret = runtime.webhooks.add(receiver.url, events=("account.*",))
    hub.running.sandbox.mail.deliver(address, _mail(address, "first order"))
    new_mail = runtime.events.subscribe(account_id=account_id, kinds=("mail.new",))
    async with running(runtime):
        # 正常 → the sync worker logs in, holds its IMAP session, and reports the mail it found.
        await eventually(lambda: hub.imap_sessions() == 1, what="the sync worker's session")
        assert "sync" in runtime.supervisor.running()[account_id]
        event: Event = await asyncio.wait_for(new_mail.get(), 30)
        assert event.data["folder"] == "INBOX" and event.data["count"] == 1

        # 已暂停 from another process: the session ends, no worker is left, nobody logs in again.
        await hub.cli("accounts", "pause", address)
        await eventually(lambda: hub.imap_sessions() == 0, what="the session to end after pause")
        assert account_id not in runtime.supervisor.sets
        logins = hub.imap_logins(address)
        for _ in range(3):
            await runtime.supervisor.refresh()
        assert hub.imap_logins(address) == logins and hub.imap_sessions() == 0

        # The status change became an event, delivered to the webhook with a valid signature.
        got = await receiver.wait_for(lambda r: any(x.json()["data"].get("to") == "paused" for x in r))
        paused = next(x for x in got if x.json()["data"].get("to") == "paused")
        assert signature_ok(secret.reveal(), paused.body, paused.headers["x-mailhub-signature"])
        assert paused.json()["data"] | {"at": None} == {
            "email": address,
            "from": "normal",
            "to": "paused",
            "reason": "paused",
            "diagnosis_code": None,
            "at": None,
        }

        # Resume (verifies again in the other process) → the worker logs in again.
        await hub.cli("accounts", "resume", address)
        await eventually(lambda: hub.imap_sessions() == 1, what="the session after resume")
        assert hub.imap_logins(address) > logins
        assert _status_events(runtime, account_id)[-3:] == [
            ("normal", "paused"),
            ("paused", "verifying"),
            ("verifying", "normal"),
        ]

        # Delete → cancelled, reported.
        await hub.cli("accounts", "delete", address, "--yes")
        await eventually(lambda: hub.imap_sessions() == 0, what="the session to end after delete")
        deleted = await receiver.wait_for(lambda r: any(x.json()["kind"] == "account.deleted" for x in r))
        assert next(x for x in deleted if x.json()["kind"] == "account.deleted").json()["data"]["email"] == address
        assert runtime.supervisor.running() == {}


async def test_only_active_accounts_run_and_each_status_change_is_reported_once(any_hub) -> None:
    hub = any_hub
    alice_id, _alice = await hub.bind("alice")
    bob_id, bob = await hub.bind("bob")
    hub.service.pause(bob)
    runtime = Runtime(hub.service, poll=0.1)
    async with running(runtime):
        await eventually(lambda: hub.imap_sessions() == 1, what="alice's session")
        assert set(runtime.supervisor.running()) == {alice_id}
        assert hub.imap_logins(bob) == 1  # only the verification when it was bound

        # A change made in this process is noticed too (the API calls the same service).
        hub.service.pause(alice_id)
        runtime.supervisor.poke()
        await eventually(lambda: hub.imap_sessions() == 0, what="alice's session to end")
    # History before the first start is not replayed as new; the pause made while running is reported once.
    assert _status_events(runtime, alice_id) == [("normal", "paused")]
    assert _status_events(runtime, bob_id) == []

    # A restart reports what changed while it was down, and nothing twice.
    await hub.service.resume(bob_id)
    second = Runtime(hub.service, poll=0.1)
    async with running(second):
        await eventually(lambda: hub.imap_sessions() == 1, what="bob's session")
        assert set(second.supervisor.running()) == {bob_id}
    assert _status_events(second, alice_id) == [("normal", "paused")]
    assert _status_events(second, bob_id) == [("paused", "verifying"), ("verifying", "normal")]


async def test_a_revoked_client_password_is_reported_once_with_its_diagnosis(hub, receivers) -> None:
    account_id, address = await hub.bind("grace")
    receiver = receivers()
    runtime = Runtime(hub.service, poll=0.1, webhook_schedule=FAST)
    runtime.webhooks.add(receiver.url, events=("account.status",))
    async with running(runtime):
        await eventually(lambda: hub.imap_sessions() == 1, what="the sync session")
        security = hub.running.sandbox.security
        (client_password,) = security.list_client_passwords(address)
        security.delete_client_password(address, client_password.id)  # the user revokes it in the web mail

        # The sync worker meets the refusal and records 异常; the supervisor reports that history row, once.
        got = await receiver.wait_for(lambda r: any(x.json()["data"]["to"] == "error" for x in r), timeout=30)
    errors = [x.json()["data"] for x in got if x.json()["data"]["to"] == "error"]
    assert len(errors) == 1 and errors[0]["from"] == "normal"
    assert errors[0]["diagnosis_code"] == "password_wrong_or_revoked"
    assert _status_events(runtime, account_id) == [("normal", "error")]
    assert hub.service.get(account_id).status == "error"


async def test_a_rename_does_not_reconnect_but_new_servers_do(hub) -> None:
    account_id, address = await hub.bind("heidi")
    runtime = Runtime(hub.service, poll=0.1)
    async with running(runtime):
        await eventually(lambda: hub.imap_sessions() == 1, what="the sync session")
        first = runtime.supervisor.sets[account_id]
        logins = hub.imap_logins(address)

        await hub.cli("accounts", "edit", address, "--name", "Heidi (sales)")
        await eventually(lambda: hub.service.get(account_id).name == "Heidi (sales)", what="the rename")
        for _ in range(3):
            await runtime.supervisor.refresh()
        assert runtime.supervisor.sets[account_id] is first and hub.imap_logins(address) == logins

        # The same server on its STARTTLS port: verified, saved, and the workers reconnect with it.
        await hub.cli("accounts", "edit", address, "--imap-port", "143", "--imap-tls", "starttls")
        await eventually(lambda: runtime.supervisor.sets.get(account_id) not in (None, first), what="a restart")
        await eventually(lambda: hub.imap_logins(address) > logins + 1, what="the new session's login")
        await eventually(lambda: hub.imap_sessions() == 1, what="one session, on the new port")


async def test_an_account_verified_again_after_an_error_syncs_again_at_once(hub) -> None:
    account_id, address = await hub.bind("olga")
    runtime = Runtime(hub.service, poll=0.1)
    async with running(runtime):
        await eventually(lambda: hub.imap_sessions() == 1, what="the sync session")
        # The admin switches IMAP/SMTP off for the user and the connection drops: the worker's next login is
        # refused, the account is 异常, and the worker waits minutes before trying again.
        hub.running.sandbox.directory.set_imap_smtp(address, False)
        (client_password,) = hub.running.sandbox.security.list_client_passwords(address)

        async def drop() -> int:
            return hub.running.server_sandbox.sessions.revoke({client_password.id})

        assert hub.running.run(drop()) == 1
        await eventually(lambda: hub.service.get(account_id).status == "error", what="异常")
        assert hub.imap_sessions() == 0

        # The admin switches it back on and the user verifies in another process: syncing resumes now,
        # not after the worker's wait.
        hub.running.sandbox.directory.set_imap_smtp(address, True)
        await hub.cli("accounts", "verify", address)
        await eventually(lambda: hub.imap_sessions() == 1, timeout=20, what="the sync session again")
        assert hub.service.get(account_id).status == "normal"
