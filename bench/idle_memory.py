"""Many accounts connected and idling in one process: resident memory per account, and new mail → stored.

    python bench/idle_memory.py                 # 2,000 accounts
    python bench/idle_memory.py --accounts 500 --asyncio-tls   # compare: asyncio's default 256 KiB TLS buffer

The sandbox runs in its own process (``mailhub sandbox serve``) so only the hub's memory is measured. The
accounts log in to ``--users`` sandbox mailboxes (each account its own row, secret and IMAP session), sync
INBOX and Sent, then IDLE. Memory: RSS from /proc after the first sync
and a collection, minus the RSS before any worker started; tracemalloc counts Python's own allocations.
Latency: each delivery goes to one mailbox and wakes every session on it; each account's time from the
delivery to the row in its store.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from sqlalchemy import func, select  # noqa: E402

from mailhub.accounts.vault import Secret, load_vault  # noqa: E402
from mailhub.sandbox.sandbox import Sandbox  # noqa: E402
from mailhub.store import AccountRow, SecretRow, open_store  # noqa: E402
from mailhub.store.mail_models import FolderRow, MessageRow  # noqa: E402
from mailhub.sync.engine import AccountSync  # noqa: E402


def address(n: int) -> str:
    return f"seat{n}@acme-trade.cn"


IMAP_HOST = "imap.qiye.aliyun.com"


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def prepare_sandbox(data: Path, users: int) -> list[str]:
    """The seed's set-up for ``users`` mailboxes: domain, third-party clients allowed, each user with a
    client password. Returns the client passwords."""
    sandbox = Sandbox(data)
    passwords = []
    try:
        sandbox.directory.add_domain("acme-trade.cn", "aliyun-standard")
        sandbox.security.set_policy("acme-trade.cn", third_party="all")
        for n in range(users):
            sandbox.add_user(address(n), "Main-Passw0rd!", "13800138000", None)
            sandbox.directory.set_imap_smtp(address(n), True)
            sandbox.security.enable_client_passwords(address(n))
            sandbox.security.request_code(address(n))
            code = sandbox.security.sms_messages(address(n))[-1].code
            _info, password = sandbox.security.create_client_password(address(n), code, "bench")
            passwords.append(password)
        return passwords
    finally:
        sandbox.close()


def start_sandbox(data: Path) -> tuple[subprocess.Popen[str], int, str]:
    command = [sys.executable, "-m", "mailhub", "sandbox", "serve", "--data", str(data)]
    command += ["--imaps-port", "0", "--imap-port", "0", "--smtps-port", "0", "--submission-port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdout is not None
    imaps, ca = 0, ""
    for line in process.stdout:
        name, _, value = line.strip().partition(" ")
        if name == "imaps":
            imaps = int(value.rpartition(":")[2])
        if name == "ca":
            ca = value
            break
    return process, imaps, ca


def bind_accounts(store, vault, count: int, passwords: list[str]) -> list[int]:
    """``count`` accounts, account n logging in as sandbox user n % users (rows written directly: the
    verification of 2,000 accounts is not what is measured here)."""
    ids = []
    with store.session() as session:
        for n in range(count):
            row = AccountRow(
                email=f"account{n}@acme-trade.cn",
                provider_id="aliyun-standard",
                imap_host=IMAP_HOST,
                imap_port=993,
                imap_tls="ssl",
                smtp_host="smtp.qiye.aliyun.com",
                smtp_port=465,
                smtp_tls="ssl",
                username=address(n % len(passwords)),
                status="normal",
            )
            session.add(row)
            session.flush()
            sealed = vault.seal(row.id, Secret(passwords[n % len(passwords)]))
            session.add(
                SecretRow(account_id=row.id, ciphertext=sealed.ciphertext, nonce=sealed.nonce, key_id=sealed.key_id)
            )
            ids.append(row.id)
    return ids


async def measure(args: argparse.Namespace, work: Path, imaps: int, ca: str, passwords: list[str]) -> dict[str, float]:
    os.environ["MAILHUB_RESOLVE"] = f"{IMAP_HOST}:993=127.0.0.1:{imaps}"
    os.environ["MAILHUB_CA_FILE"] = ca
    if args.asyncio_tls:
        from mailhub.sync import tls_stream

        tls_stream._LeanSSLProtocol.max_size = 256 * 1024  # what asyncio allocates by default
    store = open_store(f"sqlite:///{work / 'hub.db'}")
    vault = load_vault(work, None)
    ids = bind_accounts(store, vault, args.accounts, passwords)
    workers = [AccountSync(store, vault, account_id) for account_id in ids]
    gc.collect()
    tracemalloc.start() if args.tracemalloc else None
    base_rss = rss_bytes()
    base_traced = tracemalloc.get_traced_memory()[0] if args.tracemalloc else 0
    started = time.perf_counter()
    tasks = []
    for worker in workers:  # a few at a time, as a supervisor starts them
        tasks.append(asyncio.create_task(worker.run()))
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.05)

    def synced() -> int:
        with store.session() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(FolderRow)
                    .where(FolderRow.name == "INBOX", FolderRow.synced_at.is_not(None))
                )
                or 0
            )

    while synced() < args.accounts:
        await asyncio.sleep(0.2)
        if time.perf_counter() - started > 600:
            raise RuntimeError(f"only {synced()} of {args.accounts} accounts synced")
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(2)  # every worker back in IDLE
    gc.collect()
    rss = rss_bytes() - base_rss
    traced = (tracemalloc.get_traced_memory()[0] - base_traced) if args.tracemalloc else 0

    latencies: list[float] = []
    sandbox = Sandbox(work / "sandbox")
    for round_ in range(args.rounds):
        subject = f"bench mail {round_}"
        delivered = time.perf_counter()
        sandbox.mail.deliver(
            address(round_ % args.users), f"From: a@b.cn\r\nSubject: {subject}\r\n\r\nhello\r\n".encode()
        )
        seen = 0
        expected = len(range(round_ % args.users, args.accounts, args.users))
        while seen < expected:
            await asyncio.sleep(0.05)
            with store.session() as session:
                now = (
                    session.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.subject == subject))
                    or 0
                )
            latencies += [time.perf_counter() - delivered] * (now - seen)
            seen = now
            if time.perf_counter() - delivered > 120:
                raise RuntimeError(f"only {seen} accounts stored the new mail")
        await asyncio.sleep(1)
    sandbox.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    store.close()
    latencies.sort()
    return {
        "connect": connect_seconds,
        "rss_per_account": rss / args.accounts,
        "traced_per_account": traced / args.accounts,
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "max": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="idle accounts: memory per account, new mail latency")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--users", type=int, default=40, help="sandbox mailboxes the accounts log in to")
    parser.add_argument("--rounds", type=int, default=10, help="deliveries to time (each to one mailbox)")
    parser.add_argument("--asyncio-tls", action="store_true", help="use asyncio's default 256 KiB TLS buffer")
    parser.add_argument("--tracemalloc", action="store_true", help="also count Python allocations (slower)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mailhub-idle-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    passwords = prepare_sandbox(work / "sandbox", args.users)
    process, imaps, ca = start_sandbox(work / "sandbox")
    try:
        result = asyncio.run(measure(args, work, imaps, ca, passwords))
    finally:
        process.terminate()
        process.wait(timeout=10)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    tls = "asyncio default (256 KiB)" if args.asyncio_tls else "ours (17 KiB)"
    print(f"\n{args.accounts:,} accounts idling in one process ({args.users} sandbox mailboxes, each delivery wakes")
    print(f"{args.accounts // args.users} sessions at once), sandbox over TLS on loopback, TLS read buffer: {tls}\n")
    print("| measure | value | target |")
    print("|---|---:|---|")
    print(f"| all connected, first sync done | {result['connect']:.1f} s | |")
    print(f"| resident memory per account above baseline | {result['rss_per_account'] / 1024:.1f} KB | ≤ 64 KB |")
    if args.tracemalloc:
        print(f"| Python allocations per account (tracemalloc) | {result['traced_per_account'] / 1024:.1f} KB | |")
    print(f"| new mail → stored, p50 | {result['p50']:.2f} s | |")
    print(f"| new mail → stored, p95 | {result['p95']:.2f} s | ≤ 2 s |")
    print(f"| new mail → stored, max | {result['max']:.2f} s | |")


if __name__ == "__main__":
    main()
