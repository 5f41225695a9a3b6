"""Sending 5,000 messages through one account: the hub's outbox vs smtplib opening a connection per message.

    python bench/send_throughput.py                       # 5,000 through the outbox, 500-message baseline sample
    python bench/send_throughput.py --count 1000 --baseline-sample 200

Both go to the same sandbox, served from its own process (SMTPS on loopback, real TLS with name checks,
AUTH with a client security password), in the same run. The outbox runs its real path: messages persisted first, ``sending`` and the
end-of-DATA mark committed before each send, the outcome committed after, the account's rate limit
checked (set to unlimited here), one reused SMTP session. It runs twice: with its copies to Sent (IMAP
APPEND, the default for Alibaba) and without. The baseline is what a script does with smtplib: for every
message connect, TLS handshake, EHLO, AUTH, MAIL/RCPT/DATA, QUIT. It is measured on a sample (the first
``--baseline-sample`` messages) and scaled to the full count; the table says so. Target: ≥ 5×.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest import RunningSandbox  # noqa: E402  (the tests' sandbox handle: users, client passwords)

TARGET = 5.0
DOMAIN = "bench-trade.cn"
FOREIGN = "buyer.example"


# The sandbox service alone (what `mailhub sandbox serve` runs), so the bench needs no other CLI command.
_SERVE = """
import asyncio, sys
from pathlib import Path
from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.service import SandboxService

async def main():
    ports = {"imaps": 0, "imap": 0, "smtps": 0, "submission": 0}
    service = SandboxService(Sandbox(Path(sys.argv[1])), "127.0.0.1", ports)
    for name, port in (await service.start()).items():
        print(name, port, flush=True)
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


class SandboxProcess(RunningSandbox):
    """The sandbox service in its own process (its own core and GIL), set up through a ``Sandbox`` handle
    on the same data directory, as the sandbox CLI does."""

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(self.data_dir)], stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        for line in self._process.stdout:
            name, _, port = line.strip().partition(" ")
            if name == "ready":
                break
            self.ports[name] = int(port)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        self.sandbox.close()


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
    running: RunningSandbox, local: str, count: int, *, sent_copies: bool, connections: int
) -> tuple[float, float]:
    """(seconds to queue, seconds to send) for ``count`` messages through one account's worker."""
    from mailhub.outbox import OutboxWorker, WorkerOptions, enqueue_many

    service, account_id, address, _ = await _bind(running, local)
    try:
        messages = _drafts(address, count)
        started = time.perf_counter()
        for start in range(0, count, 1000):
            enqueue_many(service.store, account_id, messages[start : start + 1000])
        queued = time.perf_counter() - started
        worker = OutboxWorker(
            service.store,
            service.vault,
            account_id,
            options=WorkerOptions(sent_copies=sent_copies, connections=connections),
        )
        before = running.sandbox.outbound.count()
        started = time.perf_counter()
        report = await worker.run_once()
        elapsed = time.perf_counter() - started
        assert report.sent == count, report
        assert running.sandbox.outbound.count() - before == count
        return queued, elapsed
    finally:
        service.close()


def _smtplib_baseline(running: RunningSandbox, address: str, password: str, messages: list) -> float:
    context = ssl.create_default_context(cafile=str(running.ca_file))
    port = running.ports["smtps"]
    started = time.perf_counter()
    for message in messages:
        # The name the certificate is for, connected to the sandbox's port (as MAILHUB_RESOLVE does).
        with smtplib.SMTP_SSL("127.0.0.1", port, context=_named(context)) as client:
            client.login(address, password)
            client.sendmail(message.envelope_from, list(message.recipients), message.raw)
    return time.perf_counter() - started


def _named(context: ssl.SSLContext) -> ssl.SSLContext:
    context.check_hostname = True
    return context


def _table(rows: list[tuple[str, int, float, str]], baseline_rate: float) -> str:
    lines = [
        "| method | messages | seconds | messages/s | × smtplib per connection |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, count, seconds, note in rows:
        rate = count / seconds
        lines.append(f"| {name}{note} | {count:,} | {seconds:.2f} | {rate:,.0f} | {rate / baseline_rate:.1f}× |")
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--baseline-sample", type=int, default=500)
    parser.add_argument("--connections", type=int, default=4, help="SMTP sessions for the account (default 4)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mailhub-send-bench-") as tmp:
        running = SandboxProcess(Path(tmp) / "sandbox")
        running.start()
        os.environ["MAILHUB_HOME"] = str(Path(tmp) / "home")
        os.environ["MAILHUB_RESOLVE"] = running.resolve_env("aliyun-standard")
        os.environ["MAILHUB_CA_FILE"] = str(running.ca_file)
        for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY"):
            os.environ.pop(name, None)
        try:
            runs = []
            for index, (connections, copies) in enumerate(
                [(args.connections, True), (args.connections, False), (1, True)]
            ):
                queued, seconds = await _outbox_run(
                    running, f"outbox{index}", args.count, sent_copies=copies, connections=connections
                )
                runs.append((connections, copies, seconds))
            service, _, address, password = await _bind(running, "script")
            service.close()
            sample = _drafts(address, min(args.baseline_sample, args.count), offset=10**6)
            before = running.sandbox.outbound.count()
            sample_seconds = await asyncio.to_thread(_smtplib_baseline, running, address, password, sample)
            assert running.sandbox.outbound.count() - before == len(sample)
        finally:
            running.stop()

    baseline_seconds = sample_seconds * args.count / len(sample)
    baseline_rate = args.count / baseline_seconds
    rows = [
        (
            f"outbox: {connections} reused session(s), persisted per message, "
            + ("Sent copies appended (IMAP)" if copies else "no Sent copies (as where the provider files them)"),
            args.count,
            seconds,
            "",
        )
        for connections, copies, seconds in runs
    ]
    rows.append(
        (
            "smtplib: connect + TLS + AUTH per message",
            args.count,
            baseline_seconds,
            f" (measured on {len(sample):,}, scaled)",
        )
    )
    print(f"\nSending {args.count:,} messages through one account to the sandbox (SMTPS on loopback)\n")
    print(_table(rows, baseline_rate))
    print(f"\nQueueing {args.count:,} messages (compose excluded, persisted in batches of 1,000): {queued:.2f} s")
    print(f"smtplib sample: {len(sample):,} messages in {sample_seconds:.2f} s")
    ratio = (args.count / runs[0][2]) / baseline_rate
    print(f"\nTarget ≥ {TARGET:.0f}× ({args.connections} sessions, Sent copies on): ", end="")
    print(f"{'met' if ratio >= TARGET else 'NOT met'} ({ratio:.1f}×)")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
