"""Sending 5,000 messages through one account: the hub's outbox vs smtplib opening a connection per message.

    python bench/send_throughput.py                       # 5,000 messages, 4 sessions, 500-message baseline
    python bench/send_throughput.py --connections 8
    python bench/send_throughput.py --count 1000 --baseline-sample 200

Two servers, each in its own process, SMTPS on loopback with real TLS and name checks: the sandbox (AUTH
with a client security password through its security gate, every message stored) and a bare aiosmtpd
(AUTH accepts anyone, messages counted and dropped: the SMTP floor). The account is bound through the
AccountService with the catalog's Alibaba settings. The outbox runs its real path: messages persisted
first, ``sending`` and the end-of-DATA mark committed before each final ".", the outcome committed after,
the rate limit checked (set to unlimited here), PIPELINING, reused sessions (``--connections``), and with
or without its copies to Sent (IMAP APPEND to the sandbox). The baseline is what a script does with
smtplib: for every message connect, TLS handshake, EHLO, AUTH, MAIL/RCPT/DATA, QUIT. It is measured on a
sample (``--baseline-sample`` messages) in the same run and scaled to the full count; the table says so.

Loopback timings move with whatever else the machine runs, so the configurations run in ``--rounds``
interleaved rounds (each baseline sample measured right before the outbox run it is compared with), the
ratio is computed within each round, and the tables show medians (with the rounds' range of ratios) and
the load average. Target: ≥ 5× (the median ratio, 4 sessions), judged like for like: the outbox without
its Sent copies, since the smtplib script keeps none (with them, the sandbox also serves an IMAP APPEND per
message on the same core; that row is shown for what it costs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]

from conftest import RunningSandbox  # noqa: E402  (the tests' sandbox handle: users, client passwords)
from sandbox_process import SandboxProcess  # noqa: E402

TARGET = 5.0
DOMAIN = "bench-trade.cn"
FOREIGN = "buyer.example"


# A bare aiosmtpd on implicit TLS (the sandbox's certificate): AUTH accepts anyone, DATA counts and drops.
_BARE = """
import asyncio, sys
from pathlib import Path
from aiosmtpd.smtp import SMTP, AuthResult
from mailhub.sandbox.tls import CertificateAuthority
from mailhub.sandbox.profiles import all_hostnames

class Handler:
    received = 0
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]
    async def handle_DATA(self, server, session, envelope):
        Handler.received += 1
        return "250 OK"

def accept(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)

async def main():
    context = CertificateAuthority(Path(sys.argv[1]) / "tls", all_hostnames()).server_context()
    handler = Handler()
    def protocol():
        smtp = SMTP(handler, authenticator=accept, auth_require_tls=False, decode_data=False)
        return smtp
    server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", 0, ssl=context)
    print("smtps", server.sockets[0].getsockname()[1], flush=True)
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


class BareSmtpProcess:
    """A bare aiosmtpd in its own process: the SMTP floor, without the sandbox's gate and mail store."""

    def __init__(self, sandbox_data: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _BARE, str(sandbox_data)], stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self.port = 0
        for line in self._process.stdout:
            name, _, port = line.strip().partition(" ")
            if name == "ready":
                break
            self.port = int(port)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)


def _drafts(sender: str, count: int, offset: int = 0) -> list:
    from mailhub.outbox import Draft, compose

    return [
        compose(Draft(sender, to=[f"buyer{i}@{FOREIGN}"], subject=f"报价单 {i}", text=f"您好，第 {i} 封。\n" * 20))
        for i in range(offset, offset + count)
    ]


async def _bind(running: RunningSandbox, local: str) -> tuple[object, int, str, str]:
    from mailhub.accounts import AccountService, ServerOverrides
    from mailhub.outbox import set_limits

    address = f"{local}@{DOMAIN}"
    running.bind_user(address, "Main-Passw0rd!")
    password = running.new_client_password(address)
    service = AccountService.open()
    result = await service.add(address, password, overrides=ServerOverrides("aliyun-standard"))
    assert result.ok, result.diagnosis
    set_limits(service.store, result.account.id, per_minute=None, per_day=None)
    return service, result.account.id, address, password


async def _outbox_run(
    running: RunningSandbox, local: str, count: int, *, sent_copies: bool, connections: int, bare_port: int = 0
) -> tuple[float, float]:
    """(seconds to queue, seconds to send) for ``count`` messages through one account's worker."""
    from mailhub.outbox import OutboxWorker, WorkerOptions, enqueue_many

    service, account_id, address, _ = await _bind(running, local)  # verified against the sandbox
    sandbox_routes = os.environ["MAILHUB_RESOLVE"]
    if bare_port:  # then its SMTP host goes to the bare server (the last entry for a host wins)
        os.environ["MAILHUB_RESOLVE"] = f"{sandbox_routes},smtp.qiye.aliyun.com:465=127.0.0.1:{bare_port}"
    try:
        messages = _drafts(address, count)
        started = time.perf_counter()
        for start in range(0, count, 1000):
            enqueue_many(service.store, account_id, messages[start : start + 1000])
        queued = time.perf_counter() - started
        options = WorkerOptions(sent_copies=sent_copies, connections=connections)
        worker = OutboxWorker(service.store, service.vault, account_id, options=options)
        before = running.sandbox.outbound.count()
        started = time.perf_counter()
        report = await worker.run_once()
        elapsed = time.perf_counter() - started
        assert report.sent == count, report
        assert running.sandbox.outbound.count() - before == (0 if bare_port else count)  # went where meant
        return queued, elapsed
    finally:
        os.environ["MAILHUB_RESOLVE"] = sandbox_routes
        service.close()


def _smtplib_baseline(running: RunningSandbox, port: int, address: str, password: str, messages: list) -> float:
    context = ssl.create_default_context(cafile=str(running.ca_file))
    started = time.perf_counter()
    for message in messages:
        # Connected to the server's port, TLS checking the name the certificate is for (as MAILHUB_RESOLVE).
        with smtplib.SMTP_SSL("127.0.0.1", port, context=context) as client:
            client.login(address, password)
            client.sendmail(message.envelope_from, list(message.recipients), message.raw)
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _table(rows: list[tuple[str, list[float]]], count: int, baseline: list[float], sample: int) -> str:
    """Medians over the rounds; the ratio is computed within each round (against that round's baseline)
    and its median shown with its range."""
    lines = [
        "| method | messages | median seconds | messages/s | × smtplib per connection (median, min–max of rounds) |",
        "|---|---:|---:|---:|---:|",
    ]
    name = f"smtplib: connect + TLS + AUTH per message (measured on {sample:,}, scaled)"
    for label, seconds in [*rows, (name, baseline)]:
        ratios = [b / s for b, s in zip(baseline, seconds, strict=True)]
        median = _median(seconds)
        spread = f" ({min(ratios):.1f}–{max(ratios):.1f})" if len(ratios) > 1 else ""
        lines.append(f"| {label} | {count:,} | {median:.2f} | {count / median:,.0f} | {_median(ratios):.1f}×{spread} |")
    return "\n".join(lines)


def _name(connections: int, copies: bool) -> str:
    copy = "Sent copies appended (IMAP)" if copies else "no Sent copies"
    return f"outbox: {connections} reused session{'s' if connections > 1 else ''}, persisted per message, {copy}"


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--baseline-sample", type=int, default=500)
    parser.add_argument("--connections", type=int, default=4, help="SMTP sessions for the account (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported (default 3)")
    args = parser.parse_args()
    count, sample_size = args.count, min(args.baseline_sample, args.count)
    sandbox_configs = [(args.connections, True), (args.connections, False), (1, True)]
    bare_configs = [args.connections, 1]

    sandbox_rows: dict[str, list[float]] = {_name(c, copies): [] for c, copies in sandbox_configs}
    bare_rows: dict[str, list[float]] = {_name(c, False): [] for c in bare_configs}
    sandbox_baseline: list[float] = []
    bare_baseline: list[float] = []
    queued_times: list[float] = []
    loads = [_load()]
    with tempfile.TemporaryDirectory(prefix="mailhub-send-bench-") as tmp:
        running = SandboxProcess(Path(tmp) / "sandbox")
        running.start()
        bare = BareSmtpProcess(Path(tmp) / "sandbox")
        os.environ["MAILHUB_HOME"] = str(Path(tmp) / "home")
        os.environ["MAILHUB_RESOLVE"] = running.resolve_env("aliyun-standard")
        os.environ["MAILHUB_CA_FILE"] = str(running.ca_file)
        for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY"):
            os.environ.pop(name, None)
        try:
            service, _, address, password = await _bind(running, "script")
            service.close()
            sample = _drafts(address, sample_size, offset=10**6)
            for round_ in range(args.rounds):
                # Each round: every configuration once, each baseline measured right before the outbox run
                # it is compared with, so a burst of load on the machine hits both sides of a ratio.
                before = running.sandbox.outbound.count()
                seconds = await asyncio.to_thread(
                    _smtplib_baseline, running, running.ports["smtps"], address, password, sample
                )
                assert running.sandbox.outbound.count() - before == len(sample)
                sandbox_baseline.append(seconds * count / sample_size)
                for index, (connections, copies) in enumerate(sandbox_configs):
                    queued, seconds = await _outbox_run(
                        running, f"outbox{round_}x{index}", count, sent_copies=copies, connections=connections
                    )
                    sandbox_rows[_name(connections, copies)].append(seconds)
                    queued_times.append(queued)
                seconds = await asyncio.to_thread(_smtplib_baseline, running, bare.port, address, password, sample)
                bare_baseline.append(seconds * count / sample_size)
                for index, connections in enumerate(bare_configs):
                    _, seconds = await _outbox_run(
                        running,
                        f"bare{round_}x{index}",
                        count,
                        sent_copies=False,
                        connections=connections,
                        bare_port=bare.port,
                    )
                    bare_rows[_name(connections, False)].append(seconds)
                loads.append(_load())
        finally:
            bare.stop()
            running.stop()

    print(f"\n{args.rounds} interleaved round(s); load average (1/5/15 min), at the start and after each round: "
          f"{', '.join(loads)}")  # fmt: skip
    print(f"\n### {count:,} messages through one account to the sandbox (SMTPS on loopback, its own process)\n")
    print(_table(list(sandbox_rows.items()), count, sandbox_baseline, sample_size))
    print(f"\n### {count:,} messages through one account to a bare aiosmtpd (SMTPS on loopback, its own process)\n")
    print(_table(list(bare_rows.items()), count, bare_baseline, sample_size))
    print(f"\nQueueing {count:,} messages (compose excluded, persisted in batches of 1,000): "
          f"median {_median(queued_times):.2f} s")  # fmt: skip
    per_sample = ", ".join(f"{s * sample_size / count:.2f}" for s in sandbox_baseline)
    per_sample_bare = ", ".join(f"{s * sample_size / count:.2f}" for s in bare_baseline)
    print(f"smtplib samples ({sample_size:,} messages) per round: sandbox {per_sample} s; bare {per_sample_bare} s")
    main_rows = {"sandbox": (sandbox_rows, sandbox_baseline), "bare aiosmtpd": (bare_rows, bare_baseline)}
    ratios = {}
    for server, (rows, baseline) in main_rows.items():
        seconds = rows[_name(args.connections, False)]  # like for like: the smtplib script keeps no Sent copy
        ratios[server] = _median([b / s for b, s in zip(baseline, seconds, strict=True)])
    for server, ratio in ratios.items():
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(f"Target ≥ {TARGET:.0f}× with {args.connections} sessions, {server}: {verdict} (median {ratio:.1f}×)")
    return 0 if max(ratios.values()) >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
