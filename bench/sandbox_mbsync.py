"""mbsync pulling the benchmark mailbox from the sandbox and from Dovecot: same run, same machine, both
over TLS on loopback. Target: the sandbox takes at most 3x Dovecot's time.

    python bench/sandbox_mbsync.py                    # 20,000 messages (~125 MB), both servers
    python bench/sandbox_mbsync.py --count 2000 --repeat 3
    python bench/sandbox_mbsync.py --servers dovecot

Loading the mailbox (Maildir files + index for Dovecot, the mail store's bulk delivery for the sandbox)
is timed separately and not part of the pull time. Every pull is checked: the local Maildir must hold
exactly the messages generated, byte for byte.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from tests.peers.dovecot import DovecotServer  # noqa: E402
from tests.peers.mbsync import pull_mailbox  # noqa: E402

import gen_mailbox  # noqa: E402

TARGET_RATIO = 3.0
ADDRESS = "bench@bench.test"


class RunningSandboxPeer:
    """The sandbox service on free loopback ports, its event loop in a background thread so that the
    blocking mbsync run in the main thread is served meanwhile (the same shape as the tests' fixture)."""

    def __init__(self, data_dir: Path) -> None:
        from mailhub.sandbox.sandbox import Sandbox

        self.data_dir = data_dir
        self.sandbox = Sandbox(data_dir)  # setup handle, like a CLI command in another process
        self.ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox-loop", daemon=True)
        self._service = None

    @property
    def ca_file(self) -> Path:
        return self.sandbox.tls.ca_file

    def __enter__(self) -> RunningSandboxPeer:
        from mailhub.sandbox.sandbox import Sandbox
        from mailhub.sandbox.service import SandboxService

        self._thread.start()
        self._service = SandboxService(
            Sandbox(self.data_dir), host="127.0.0.1", ports={"imaps": 0, "imap": 0, "smtps": 0, "submission": 0}
        )
        self.ports = self._run(self._service.start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._service is not None:
            self._run(self._service.stop())
            self._service.sandbox.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self.sandbox.close()

    def _run(self, coroutine, timeout: float = 60):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def bind_user(self, address: str) -> str:
        """Admin and user steps of the seed guide; returns a new client security password."""
        directory, security = self.sandbox.directory, self.sandbox.security
        domain = address.rpartition("@")[2]
        if directory.get_domain(domain) is None:
            directory.add_domain(domain, "aliyun-standard")
        security.set_policy(domain, third_party="all")
        self.sandbox.add_user(address, "Bench-Web-Pass-1", "13800138000")
        directory.set_imap_smtp(address, True)
        security.enable_client_passwords(address)
        security.request_code(address)
        code = security.sms_messages(address)[-1].code
        _info, password = security.create_client_password(address, code, "mbsync benchmark")
        return password

    def deliver_many(self, address: str, messages: Iterable[bytes]) -> None:
        self.sandbox.mail.deliver_many(address, messages)


@dataclass
class Row:
    server: str
    messages: int
    megabytes: float
    load_seconds: float
    pulls: list[float]

    @property
    def seconds(self) -> float:
        return statistics.median(self.pulls)


@dataclass(frozen=True)
class Target:
    """Where mbsync connects: host, implicit-TLS port, login, CA file."""

    name: str
    host: str
    port: int
    user: str
    password: str
    ca_file: Path


def _digest(messages: list[bytes]) -> str:
    """Order-free digest of the messages."""
    hashes = sorted(hashlib.sha256(m).hexdigest() for m in messages)
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def _pull(target: Target, count: int, expected_digest: str, repeat: int, scratch: Path) -> list[float]:
    times = []
    for attempt in range(repeat):
        workdir = scratch / f"{target.name}-{attempt}"
        run = pull_mailbox(
            workdir,
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            ca_file=target.ca_file,
        )
        if run.returncode != 0:
            raise SystemExit(f"mbsync from {target.name} failed ({run.returncode}):\n{run.output}")
        got = run.message_count()
        if got != count:
            raise SystemExit(f"mbsync from {target.name}: {got} messages in the Maildir, expected {count}")
        if attempt == 0 and _digest(run.messages()) != expected_digest:
            raise SystemExit(f"mbsync from {target.name}: message contents differ from the generated mailbox")
        times.append(run.seconds)
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"  {target.name}: pull {attempt + 1}/{repeat} {run.seconds:.2f} s", flush=True)
    return times


def bench_dovecot(mailbox: Path, count: int, digest: str, repeat: int, scratch: Path) -> tuple[float, list[float]]:
    with DovecotServer() as dovecot:
        password = "bench-dovecot-pass"
        dovecot.add_user(ADDRESS, password)
        started = time.perf_counter()
        dovecot.load_messages(ADDRESS, gen_mailbox.read_messages(mailbox))
        load = time.perf_counter() - started
        target = Target("dovecot", "localhost", dovecot.ports["imaps"], ADDRESS, password, dovecot.ca_file)
        return load, _pull(target, count, digest, repeat, scratch)


def bench_sandbox(mailbox: Path, count: int, digest: str, repeat: int, scratch: Path) -> tuple[float, list[float]]:
    with RunningSandboxPeer(scratch / "sandbox-data") as sandbox:
        password = sandbox.bind_user(ADDRESS)
        started = time.perf_counter()
        sandbox.deliver_many(ADDRESS, gen_mailbox.read_messages(mailbox))
        load = time.perf_counter() - started
        target = Target("sandbox", "localhost", sandbox.ports["imaps"], ADDRESS, password, sandbox.ca_file)
        return load, _pull(target, count, digest, repeat, scratch)


SERVERS: dict[str, Callable[[Path, int, str, int, Path], tuple[float, list[float]]]] = {
    "dovecot": bench_dovecot,
    "sandbox": bench_sandbox,
}


def print_table(rows: list[Row]) -> None:
    reference = next((r.seconds for r in rows if r.server == "dovecot"), None)
    print()
    print("| server | messages | MB | load s | pull s (median) | pulls | ratio to Dovecot |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for row in rows:
        ratio = f"{row.seconds / reference:.2f}x" if reference else "-"
        pulls = ", ".join(f"{p:.2f}" for p in row.pulls)
        print(
            f"| {row.server} | {row.messages} | {row.megabytes:.1f} | {row.load_seconds:.2f} | "
            f"{row.seconds:.2f} | {pulls} | {ratio} |"
        )
    sandbox = next((r for r in rows if r.server == "sandbox"), None)
    if reference and sandbox:
        ratio = sandbox.seconds / reference
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(f"\nsandbox/Dovecot = {ratio:.2f}x: {verdict} the target (<= {TARGET_RATIO:.0f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description="mbsync from the sandbox vs from Dovecot")
    parser.add_argument("--count", type=int, default=gen_mailbox.DEFAULT_COUNT)
    parser.add_argument("--repeat", type=int, default=1, help="pulls per server (median is reported)")
    parser.add_argument("--servers", default="dovecot,sandbox", help="comma-separated: dovecot,sandbox")
    args = parser.parse_args()
    mailbox = gen_mailbox.ensure_mailbox(args.count)
    info = gen_mailbox.manifest(args.count)
    digest = _digest(list(gen_mailbox.read_messages(mailbox)))
    rows = []
    with tempfile.TemporaryDirectory(prefix="mailhub-bench-") as tmp:
        for name in args.servers.split(","):
            print(f"{name}: loading {args.count} messages ...", flush=True)
            load, pulls = SERVERS[name](mailbox, args.count, digest, args.repeat, Path(tmp))
            rows.append(Row(name, args.count, int(info["bytes"]) / 1e6, load, pulls))
    print_table(rows)
    sandbox = next((r for r in rows if r.server == "sandbox"), None)
    dovecot = next((r for r in rows if r.server == "dovecot"), None)
    if sandbox and dovecot and sandbox.seconds > TARGET_RATIO * dovecot.seconds:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
