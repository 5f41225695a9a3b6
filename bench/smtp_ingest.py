"""How fast the sandbox takes mail in over SMTP, against aiosmtpd's own floor, on this machine, in one run.

    python bench/smtp_ingest.py [--messages N] [--senders 10]

Each setup runs its server in a child process (as ``mailhub sandbox serve`` would) so the senders do not
share its core; ``--senders`` aiosmtplib clients each keep one connection (authenticated, for the sandbox)
and send to one local user. Setups:

- sandbox: implicit TLS (465), AUTH through the gate, MAIL FROM check, delivery into the mail store;
- aiosmtpd + TLS: a bare aiosmtpd ``SMTP`` with a no-op handler behind the same TLS certificate;
- aiosmtpd (floor): the same without TLS: the protocol's own cost in Python.

Prints a Markdown table (setup, messages, seconds, msgs/s, ratio to the floor). Target: sandbox ≥ 300 msgs/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiosmtplib

SENDER = "bench-sender@bench-corp.cn"
RECIPIENT = "bench-inbox@bench-corp.cn"
PASSWORD = "Bench-Main-Passw0rd!"
TARGET = 300.0


def sample_message(n: int) -> bytes:
    """A ~3 KB message like a business mail: Chinese subject, plain text body."""
    body = ("您好，附件是本月的报价单，请查收。Please find the quotation attached.\r\n" * 40).encode()
    head = (
        f"From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: =?UTF-8?B?5oql5Lu35Y2V?= #{n}\r\n"
        f"Message-ID: <bench-{n}@bench-corp.cn>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode()
    return head + body


# ---- the server side (child process) ------------------------------------------------------------------


class NoopHandler:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def serve(kind: str, data_dir: Path) -> None:
    """Start one setup's server, print its port as JSON, run until stdin closes."""
    from mailhub.sandbox.sandbox import Sandbox

    loop = asyncio.get_running_loop()
    sandbox = Sandbox(data_dir)
    stop: object
    if kind == "sandbox":
        try:
            from mailhub.sandbox.service import SandboxService
        except ImportError:  # the IMAP side is not there yet: serve SMTP alone
            from mailhub.sandbox.smtp import SmtpServer

            smtp = SmtpServer(sandbox)
            port = (await smtp.start("127.0.0.1", 0, None))["smtps"]
            stop = smtp.close
        else:
            service = SandboxService(sandbox, "127.0.0.1", {"smtps": 0})
            port = (await service.start())["smtps"]
            stop = service.stop
    else:
        from aiosmtpd.smtp import SMTP

        context = sandbox.tls.server_context() if kind == "aiosmtpd-tls" else None
        server = await loop.create_server(
            lambda: SMTP(NoopHandler(), hostname="bench.test", ident="bench", loop=loop),
            "127.0.0.1",
            0,
            ssl=context,
        )
        port = server.sockets[0].getsockname()[1]

        async def stop() -> None:
            server.close()

    print(json.dumps({"port": port}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes our stdin when it is done
    await stop()  # type: ignore[operator]
    sandbox.close()


# ---- the load side (parent process) -------------------------------------------------------------------


def prepare_sandbox(data_dir: Path) -> str:
    """The seed's admin and user steps for the bench users; returns the sender's client password."""
    from mailhub.sandbox.sandbox import Sandbox

    sandbox = Sandbox(data_dir)
    try:
        sandbox.directory.add_domain("bench-corp.cn", "aliyun-standard")
        sandbox.security.set_policy("bench-corp.cn", third_party="all")
        for address in (SENDER, RECIPIENT):
            sandbox.add_user(address, PASSWORD, "13800138000")
            sandbox.directory.set_imap_smtp(address, True)
        security = sandbox.security
        security.enable_client_passwords(SENDER)
        security.request_code(SENDER)
        code = security.sms_messages(SENDER)[-1].code
        _info, secret = security.create_client_password(SENDER, code, "bench")
        sandbox.tls.server_context()
        return secret
    finally:
        sandbox.close()


def inbox_count(data_dir: Path) -> int:
    """Messages in the recipient's INBOX after the run, read back through the mail store."""
    from mailhub.sandbox.sandbox import Sandbox

    sandbox = Sandbox(data_dir)
    try:
        return sandbox.mail.count(sandbox.mail.mailbox(RECIPIENT, "INBOX").id)
    finally:
        sandbox.close()


async def send_load(
    port: int, tls: ssl.SSLContext | None, secret: str | None, messages: list[bytes], senders: int
) -> float:
    """Connect (and log in) every sender first, then time only the sending."""
    clients = []
    for _ in range(senders):
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, use_tls=tls is not None, tls_context=tls)
        await client.connect()
        if secret is not None:
            await client.login(SENDER, secret)
        clients.append(client)
    queue = list(reversed(messages))

    async def work(client: aiosmtplib.SMTP) -> None:
        while queue:
            await client.sendmail(SENDER, [RECIPIENT], queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(work(c) for c in clients))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.quit()
    return elapsed


def run_setup(kind: str, data_dir: Path, secret: str | None, messages: list[bytes], senders: int) -> float:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--data-dir", str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        port = json.loads(child.stdout.readline())["port"]
        tls = None
        if kind != "aiosmtpd":
            tls = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.pem"))
        return asyncio.run(send_load(port, tls, secret if kind == "sandbox" else None, messages, senders))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--serve", choices=["sandbox", "aiosmtpd-tls", "aiosmtpd"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.data_dir))
        return

    messages = [sample_message(n) for n in range(args.messages)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mailhub-smtp-bench-") as tmp:
        data_dir = Path(tmp) / "sandbox"
        secret = prepare_sandbox(data_dir)
        for kind, label in (
            ("aiosmtpd", "bare aiosmtpd, no TLS, no-op handler (floor)"),
            ("aiosmtpd-tls", "bare aiosmtpd, implicit TLS, no-op handler"),
            ("sandbox", "sandbox: 465 TLS + AUTH gate + MAIL FROM check + INBOX delivery"),
        ):
            seconds = run_setup(kind, data_dir, secret, messages, args.senders)
            rows.append((label, len(messages), seconds))
        delivered = inbox_count(data_dir)

    floor = rows[0][1] / rows[0][2]
    print(f"\nSMTP ingest, {args.senders} senders, ~{len(messages[0]) // 1024} KB messages, cpus={os.cpu_count()}\n")
    print("| setup | messages | seconds | msgs/s | ratio to floor |")
    print("|---|---:|---:|---:|---:|")
    for label, count, seconds in rows:
        rate = count / seconds
        print(f"| {label} | {count} | {seconds:.2f} | {rate:.0f} | {rate / floor:.2f} |")
    sandbox_rate = rows[-1][1] / rows[-1][2]
    verdict = "meets" if sandbox_rate >= TARGET else "MISSES"
    print(f"\nsandbox {sandbox_rate:.0f} msgs/s {verdict} the target of {TARGET:.0f} msgs/s", end="")
    print(f"; INBOX holds {delivered} of {len(messages)} messages")


if __name__ == "__main__":
    main()
