"""Detect 100 domains through a loopback DNS server: all side by side (the hub's way) against the same 100 one
after another (the same-run baseline). Prints a Markdown table; the target is ≤ 2 s for the 100 side by side.

    python bench/detect.py [--domains 100] [--timeout 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.hub.dnsserver

from tests.hub.dnsserver import DnsServer

from mailhub.catalog import Detection, detect

HOSTED_MX = ["mx1.qiye.aliyun.com", "mxw.mxhichina.com", "mxbiz1.qq.com", "qiye163mx01.mxmail.netease.com",
             "aspmx.l.google.com", "mxw.263.net"]  # fmt: skip
TARGET_SECONDS = 2.0


def build_zone(count: int) -> tuple[dict[str, dict], list[str], dict[str, str | None]]:
    """A zone where 60% of the domains are hosted at a catalog provider (by MX) and the rest are unknown."""
    zone: dict[str, dict] = {}
    emails: list[str] = []
    expected: dict[str, str | None] = {}
    for index in range(count):
        domain = f"company{index:03d}.example.cn"
        email = f"sales@{domain}"
        if index % 5 < 3:
            mx = HOSTED_MX[index % len(HOSTED_MX)]
            zone[domain] = {"MX": [(5, mx), (10, "backup.example.net")]}
            expected[email] = "mx"
        else:
            zone[domain] = {"MX": [(10, f"mail.{domain}")]}  # self-hosted: nothing else published
            expected[email] = None
        emails.append(email)
    return zone, emails, expected


async def side_by_side(emails: list[str], timeout: float) -> list[Detection]:
    return list(await asyncio.gather(*(detect(email, timeout=timeout) for email in emails)))


async def one_after_another(emails: list[str], timeout: float) -> list[Detection]:
    return [await detect(email, timeout=timeout) for email in emails]


def check(detections: list[Detection], expected: dict[str, str | None]) -> None:
    wrong = [d.email for d in detections if d.method != expected[d.email]]
    if wrong:
        raise SystemExit(f"wrong detections: {wrong[:5]} ... ({len(wrong)})")


def run_modes(zone: dict[str, dict], emails: list[str], expected: dict, timeout: float, latency: float) -> list:
    """(mode, latency, seconds) for both modes against one DNS server answering after ``latency`` seconds."""
    rows = []
    with DnsServer(zone, latency=latency) as server:
        os.environ["MAILHUB_NAMESERVER"] = server.address
        asyncio.run(detect(emails[0], timeout=timeout))  # warm imports and the catalog
        modes = (("side by side (asyncio)", side_by_side), ("one after another (baseline)", one_after_another))
        for mode, run in modes:
            started = time.perf_counter()
            detections = asyncio.run(run(emails, timeout))
            rows.append((mode, latency, time.perf_counter() - started))
            check(detections, expected)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--latency-ms", type=float, nargs="*", default=[0.0, 20.0], help="DNS answer delays to try")
    args = parser.parse_args()
    zone, emails, expected = build_zone(args.domains)
    os.environ.pop("MAILHUB_RESOLVE", None)
    hosted = sum(1 for method in expected.values() if method == "mx")
    print(f"Detect {args.domains} domains ({hosted} hosted at a catalog provider by MX, the rest unknown)\n")
    print("| mode | domains | DNS latency | seconds | ratio to baseline |")
    print("|---|---|---|---|---|")
    verdicts = []
    for latency_ms in args.latency_ms:
        rows = run_modes(zone, emails, expected, args.timeout, latency_ms / 1000)
        baseline = rows[1][2]
        for mode, _latency, seconds in rows:
            print(f"| {mode} | {args.domains} | {latency_ms:g} ms | {seconds:.2f} | {seconds / baseline:.2f} |")
        verdicts.append(f"{latency_ms:g} ms: {'met' if rows[0][2] <= TARGET_SECONDS else 'MISSED'}")
    print(f"\nTarget ≤ {TARGET_SECONDS:g} s side by side — " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
