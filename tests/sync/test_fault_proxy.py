"""A first sync through a proxy that drops and stalls the connection: the store ends equal to the server's
state, with no duplicates and nothing missing."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_proxy import Fault, FaultProxy
from sync_hub import DovecotHub, add_users, wait_until
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.store.mail_models import FolderRow
from mailhub.sync.backoff import Backoff
from mailhub.sync.engine import AccountSync, SyncOptions

pytestmark = pytest.mark.peer
GEN_MAILBOX = Path(__file__).resolve().parents[2] / "bench" / "gen_mailbox.py"
COUNT = 1200


def generated(count: int) -> list[bytes]:
    spec = importlib.util.spec_from_file_location("gen_mailbox", GEN_MAILBOX)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.build_message(n) for n in range(count)]


def inbox_synced(hub: DovecotHub) -> bool:
    """The first sync of INBOX reached its end (the cursors are saved only then)."""
    with hub.store.session() as session:
        inbox = session.query(FolderRow).filter_by(account_id=hub.account_id, name="INBOX").one_or_none()
        return inbox is not None and inbox.synced_at is not None


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        add_users(server)
        yield server


async def test_drops_and_stalls_during_first_sync_end_in_the_servers_state(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imaps = dovecot.ports["imaps"]
    direct = ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in dovecot.ports.values())
    monkeypatch.setenv("MAILHUB_RESOLVE", direct)
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    hub = DovecotHub(dovecot, tmp_path / "home")
    dovecot.load_messages(hub.address, generated(COUNT))
    await hub.bind()
    faults = [Fault("drop", 300_000), Fault("stall", 900_000), Fault("drop", 2_000_000), Fault("drop", 40_000)]
    proxy = await FaultProxy(imaps, faults).start()
    monkeypatch.setenv("MAILHUB_RESOLVE", direct.replace(f"=127.0.0.1:{imaps}", f"=127.0.0.1:{proxy.port}", 1))
    worker = AccountSync(
        hub.store,
        hub.vault,
        hub.account_id,
        options=SyncOptions(batch_size=100, read_timeout=1.0),
        backoff=Backoff(first=0.05, cap=0.2),
    )
    task = asyncio.create_task(worker.run())
    try:
        await wait_until(lambda: inbox_synced(hub), timeout=120)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
    try:
        assert proxy.fired == ["drop", "stall", "drop", "drop"]
        assert len(worker.login_attempts) == 5
        server = hub.server_state()
        assert len(server) == COUNT
        assert hub.stored_state() == server  # stored_state also fails on a duplicate UID
        assert [m.uid for m in hub.messages() if m.problems] == []  # none given up as unreadable
        assert all(m.subject for m in hub.messages())
    finally:
        hub.close()
