"""Benchmark: verify N accounts at once through a 50 ms-each-way proxy, against Dovecot (plaintext passdb:
cheap password check), vs a sequential imaplib+smtplib baseline measured on a sample and scaled per account.

    python bench/verify.py --accounts 500 --sample 25 --concurrency 100
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import os
import resource
import smtplib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.latency_proxy import LatencyProxy
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.accounts.verify import verify_mailbox
from mailhub.catalog import MailSettings, ServerSettings
from mailhub.transport.endpoints import client_ssl_context


def _baseline(proxy: LatencyProxy, users: list[tuple[str, str]]) -> float:
    """Sequential stdlib clients doing the same steps (LOGIN, ID, LIST, SELECT; EHLO, AUTH)."""
    context = client_ssl_context()
    started = time.monotonic()
    for address, password in users:
        imap = imaplib.IMAP4_SSL("127.0.0.1", proxy.ports["imaps"], ssl_context=_named(context))
        imap.login(address, password)
        imap.xatom("ID", '("name" "baseline")')
        imap.list('""', "%")
        imap.select("INBOX")
        imap.logout()
        smtp = smtplib.SMTP_SSL("127.0.0.1", proxy.ports["smtps"], context=_named(context))
        smtp.login(address, password)
        smtp.quit()
    return time.monotonic() - started


def _named(context):
    """imaplib/smtplib check the name they connect to (127.0.0.1), which the peer certificate carries too."""
    return context


async def _hub(proxy: LatencyProxy, users: list[tuple[str, str]], concurrency: int) -> tuple[float, list[int], int]:
    gate = asyncio.Semaphore(concurrency)  # the per-provider connection budget, counted again at the proxy

    async def one(address: str, password: str) -> tuple[bool, int]:
        settings = MailSettings(ServerSettings(HOSTNAME, 993, "ssl"), ServerSettings(HOSTNAME, 465, "ssl"), address)
        async with gate:
            v = await verify_mailbox(settings, password)
        return v.ok, max(v.imap.elapsed_ms, v.smtp.elapsed_ms)

    started = time.monotonic()
    results = await asyncio.gather(*(one(a, p) for a, p in users))
    elapsed = time.monotonic() - started
    return elapsed, [ms for _ok, ms in results], sum(1 for ok, _ms in results if not ok)


async def _run(dovecot: DovecotServer, args: argparse.Namespace, users: list[tuple[str, str]]):
    proxy = await LatencyProxy({"imaps": dovecot.ports["imaps"], "smtps": dovecot.ports["smtps"]}, args.delay).start()
    os.environ["MAILHUB_RESOLVE"] = (
        f"{HOSTNAME}:993=127.0.0.1:{proxy.ports['imaps']},{HOSTNAME}:465=127.0.0.1:{proxy.ports['smtps']}"
    )
    os.environ["MAILHUB_CA_FILE"] = str(dovecot.ca_file)
    hub_time, per_account, failures = await _hub(proxy, users, args.concurrency)
    peak = dict(proxy.peak)
    base_time = await asyncio.to_thread(_baseline, proxy, users[: args.sample])
    await proxy.stop()
    return hub_time, per_account, failures, peak, base_time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--sample", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    users = [(f"user{i}@dovecot.test", f"pw-{i:04d}-Secret") for i in range(args.accounts)]
    with DovecotServer() as dovecot:
        for address, password in users:
            dovecot.add_user(address, password)
        hub_time, per_account, failures, peak, base_time = asyncio.run(_run(dovecot, args, users))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scaled = base_time / args.sample * args.accounts
    print("| what | value |\n|---|---|")
    print(f"| accounts verified (IMAP+SMTP each) | {args.accounts} ({failures} failed) |")
    print(f"| proxy delay each way | {args.delay * 1000:.0f} ms |")
    print(f"| hub, concurrent (limit {args.concurrency}/provider) | {hub_time:.2f} s |")
    print(f"| baseline imaplib+smtplib, sequential, {args.sample} measured | {base_time:.2f} s |")
    print(f"| baseline scaled to {args.accounts} | {scaled:.1f} s |")
    print(f"| ratio | {scaled / hub_time:.1f}x |")
    print(f"| slowest account | {max(per_account) / 1000:.2f} s |")
    print(f"| peak connections at proxy (imaps/smtps) | {peak.get('imaps', 0)}/{peak.get('smtps', 0)} |")
    print(f"| peak RSS (whole process) | {rss_mb:.0f} MB |")


if __name__ == "__main__":
    main()
