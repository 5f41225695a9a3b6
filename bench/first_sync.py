"""First sync of the benchmark mailbox (20,000 messages, ~125 MB) from Dovecot over TLS on loopback: our sync
engine to a searchable store, next to mbsync (to a Maildir) and, with --offlineimap, offlineimap, in one run.

    python bench/first_sync.py                 # 20,000 messages
    python bench/first_sync.py --count 2000 --offlineimap

Also timed, to show where the time goes: raw downloads of every whole message (``BODY.PEEK[]``) and of what a
list view needs (our FETCH items) by stdlib imaplib and by our asyncio ``ResponseReader``. Files (Dovecot's
Maildir, our SQLite store, mbsync's Maildir) go to /dev/shm by default, and neither mbsync nor SQLite waits
for the disk, so the numbers compare clients, not disks. Prints a Markdown table with ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from tests.peers.dovecot import HOSTNAME, DovecotServer  # noqa: E402
from tests.peers.mbsync import pull_mailbox  # noqa: E402

import gen_mailbox  # noqa: E402

ADDRESS, PASSWORD = "bench@dovecot.test", "bench-Secret-1"
BATCH = 500
WHOLE = "(UID FLAGS BODY.PEEK[])"


def imaplib_download(dovecot: DovecotServer, items: str) -> tuple[float, int]:
    """Seconds and bytes for stdlib imaplib fetching ``items`` of every message in batches of 500."""
    started = time.perf_counter()
    total = 0
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=dovecot.client_context()) as imap:
        imap.login(ADDRESS, PASSWORD)
        imap.select("INBOX", readonly=True)
        _typ, data = imap.uid("SEARCH", "ALL")
        uids = data[0].split()
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            _typ, parts = imap.uid("FETCH", b"%s:%s" % (batch[0], batch[-1]), items)
            total += sum(len(p[1]) for p in parts if isinstance(p, tuple))
    return time.perf_counter() - started, total


async def reader_download(items: str) -> tuple[float, int]:
    """Seconds and literal bytes for our session + ResponseReader fetching ``items`` (nothing stored)."""
    from mailhub.sync.imap_session import ImapSession

    started = time.perf_counter()
    total = 0
    session = await ImapSession.open(HOSTNAME, PORTS["imaps"], "ssl", ADDRESS, PASSWORD)
    try:
        await session.select("INBOX")
        uids = await session.uid_search("ALL")

        def count(message) -> None:
            nonlocal total
            total += sum(len(part or b"") for part in (message.body, message.header, message.text))

        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            await session.uid_fetch(f"{batch[0]}:{batch[-1]}", items, on_message=count)
        await session.logout()
    finally:
        await session.close()
    return time.perf_counter() - started, total


async def hub_first_sync(home: Path, count: int, pool: bool) -> float:
    """Seconds for ``AccountSync.sync_once`` into an empty store (binding, verified, is not timed)."""
    from mailhub.accounts.models import ServerOverrides
    from mailhub.accounts.service import AccountService
    from mailhub.accounts.vault import load_vault
    from mailhub.store import open_store
    from mailhub.sync.engine import AccountSync, SyncOptions
    from mailhub.sync.mail_queries import list_messages
    from mailhub.sync.summarizing import SummaryPool

    store = open_store(f"sqlite:///{home / 'mailhub.db'}")
    vault = load_vault(home, None)
    overrides = ServerOverrides(
        imap_host=HOSTNAME,
        imap_port=PORTS["imaps"],
        imap_tls="ssl",
        smtp_host=HOSTNAME,
        smtp_port=PORTS["smtps"],
        smtp_tls="ssl",
    )
    bound = await AccountService(store, vault).add(ADDRESS, PASSWORD, overrides=overrides)
    assert bound.account is not None, bound.diagnosis
    summaries = SummaryPool() if pool else None
    started = time.perf_counter()
    options = SyncOptions(summarize=summaries)
    report = await AccountSync(store, vault, bound.account.id, options=options).sync_once()
    seconds = time.perf_counter() - started
    if summaries is not None:
        summaries.close()
    assert report.new == count, f"synced {report.new} of {count}"
    assert list_messages(store, search="报价", limit=1), "the store is not searchable"
    skipped = sum(folder.skipped for folder in report.folders)
    if skipped:
        print(f"note: {skipped} messages recorded as unreadable", file=sys.stderr)
    store.close()
    return seconds


def offlineimap_pull(dovecot: DovecotServer, workdir: Path) -> float:
    """Seconds for offlineimap3 pulling INBOX into a Maildir (one process, its default settings)."""
    workdir.mkdir(parents=True)  # inside mkdtemp's private (0700) directory: the config holds the password
    config = workdir / "offlineimaprc"
    config.write_text(
        f"""[general]
accounts = bench
metadata = {workdir}/meta
[Account bench]
localrepository = local
remoterepository = remote
[Repository local]
type = Maildir
localfolders = {workdir}/maildir
[Repository remote]
type = IMAP
remotehost = localhost
remoteport = {dovecot.ports["imaps"]}
remoteuser = {ADDRESS}
remotepass = {PASSWORD}
ssl = yes
sslcacertfile = {dovecot.ca_file}
readonly = True
folderfilter = lambda name: name == "INBOX"
""",
        encoding="utf-8",
    )
    config.chmod(0o600)
    started = time.perf_counter()
    done = subprocess.run(
        ["offlineimap", "-c", str(config), "-o", "-u", "quiet"], capture_output=True, timeout=3600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-2000:])
    return time.perf_counter() - started


PORTS: dict[str, int] = {}


def timed(label: str, run: Callable[[], float], rows: list[tuple[str, float, str]], note: str = "") -> float:
    seconds = run()
    rows.append((label, seconds, note))
    print(f"{label}: {seconds:.2f} s", file=sys.stderr)
    return seconds


def mbsync_pull(dovecot: DovecotServer, workdir: Path, count: int, *, fsync: bool) -> float:
    run = pull_mailbox(
        workdir,
        host="localhost",  # a name in Dovecot's certificate: mbsync checks it
        port=dovecot.ports["imaps"],
        user=ADDRESS,
        password=PASSWORD,
        ca_file=dovecot.ca_file,
        fsync=fsync,
    )
    assert run.returncode == 0, run.output
    assert run.message_count() == count
    return run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description="first sync: mailhub vs mbsync (and offlineimap)")
    parser.add_argument("--count", type=int, default=gen_mailbox.DEFAULT_COUNT)
    parser.add_argument("--scratch", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None)
    parser.add_argument("--disk", type=Path, help="also run both clients as shipped (mbsync FSync yes) on this disk")
    parser.add_argument("--offlineimap", action="store_true", help="also time offlineimap (slow: ~100 s at 20k)")
    args = parser.parse_args()

    messages = list(gen_mailbox.read_messages(gen_mailbox.ensure_mailbox(args.count)))
    size, count = sum(len(m) for m in messages), len(messages)
    work = Path(tempfile.mkdtemp(prefix="mailhub-first-sync-", dir=args.scratch))
    disk = Path(tempfile.mkdtemp(prefix="mailhub-first-sync-", dir=args.disk)) if args.disk else None
    rows: list[tuple[str, float, str]] = []
    offline = disk_hub = disk_mbsync = None
    try:
        with DovecotServer(parent_dir=args.scratch) as dovecot:
            dovecot.add_user(ADDRESS, PASSWORD)
            dovecot.load_messages(ADDRESS, messages)
            PORTS.update(dovecot.ports)
            os.environ["MAILHUB_RESOLVE"] = ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in dovecot.ports.values())
            os.environ["MAILHUB_CA_FILE"] = str(dovecot.ca_file)
            os.environ["MAILHUB_HOME"] = str(work / "home")
            from mailhub.sync.folder_sync import LIST_ITEMS

            imaplib_download(dovecot, "(BODYSTRUCTURE)")  # warm Dovecot's cache once, for every run alike
            for label, items in (("whole messages", WHOLE), ("list-view items", LIST_ITEMS)):
                seconds, got = imaplib_download(dovecot, items)
                rows.append((f"imaplib: raw download, {label}", seconds, f"{got / 1e6:.0f} MB"))
                seconds, got = asyncio.run(reader_download(items))
                rows.append((f"ours: ResponseReader, {label}", seconds, f"{got / 1e6:.0f} MB"))
            hub = timed(
                "**mailhub first sync → searchable store**",
                lambda: asyncio.run(hub_first_sync(work / "inline", count, pool=False)),
                rows,
                "fetch + summarize + store, as `sync --once` (tmpfs)",
            )
            pooled = timed(
                "mailhub first sync, SummaryPool (1 process)",
                lambda: asyncio.run(hub_first_sync(work / "pool", count, pool=True)),
                rows,
                "summaries beside the download (tmpfs)",
            )
            mbsync = timed(
                "mbsync → Maildir, FSync no",
                lambda: mbsync_pull(dovecot, work / "mbsync", count, fsync=False),
                rows,
                "tmpfs",
            )
            if disk is not None:
                disk_hub = timed(
                    "mailhub first sync on disk",
                    lambda: asyncio.run(hub_first_sync(disk / "hub", count, pool=False)),
                    rows,
                    f"SQLite WAL on {args.disk}",
                )
                disk_mbsync = timed(
                    "mbsync → Maildir, FSync yes (its default)",
                    lambda: mbsync_pull(dovecot, disk / "mbsync", count, fsync=True),
                    rows,
                    f"on {args.disk}",
                )
            if args.offlineimap:
                offline = timed("offlineimap → Maildir", lambda: offlineimap_pull(dovecot, work / "offlineimap"), rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if disk is not None:
            shutil.rmtree(disk, ignore_errors=True)

    print(f"\n{count:,} messages, {size / 1e6:.0f} MB, Dovecot over TLS on loopback\n")
    print("| run | seconds | ÷ mailhub first sync | note |")
    print("|---|---:|---:|---|")
    for label, seconds, note in rows:
        print(f"| {label} | {seconds:.2f} | {seconds / hub:.2f} | {note} |")
    print(
        f"\nmailhub / mbsync (FSync no, tmpfs) = {hub / mbsync:.2f} (target ≤ 1.00); "
        f"with a SummaryPool: {pooled / mbsync:.2f}"
    )
    if disk_hub is not None and disk_mbsync is not None:
        print(f"mailhub / mbsync (both as shipped, on disk) = {disk_hub / disk_mbsync:.2f}")
    if offline is not None:
        print(f"offlineimap / mailhub = {offline / hub:.1f} (target ≥ 5)")


if __name__ == "__main__":
    main()
