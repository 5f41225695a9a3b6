"""mbsync pulling the benchmark mailbox from the sandbox and from Dovecot: same run, same machine, both
over TLS on loopback. Target: the sandbox takes at most 3x Dovecot's time.

    python bench/sandbox_mbsync.py                    # 20,000 messages (~125 MB), both servers
    python bench/sandbox_mbsync.py --count 2000 --repeat 3
    python bench/sandbox_mbsync.py --servers dovecot
    python bench/sandbox_mbsync.py --fsync --scratch /tmp   # mbsync as a desktop runs it, disk included

Both servers are started and loaded first, then pulled in turn, round after round, so the load others
put on the machine weighs on both alike. Loading (Maildir files + index for Dovecot, the mail store's
bulk delivery for the sandbox) is timed separately. Every first pull is checked byte for byte against the
generated mailbox. A second column times the client floor, stdlib imaplib downloading everything raw, which
shows the server's own speed when mbsync's work hides it. Files go to /dev/shm by default and mbsync does
not fsync: the numbers then compare servers, not disks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import imaplib
import shutil
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from tests.peers.dovecot import DovecotServer  # noqa: E402
from tests.peers.mbsync import pull_mailbox  # noqa: E402

import gen_mailbox  # noqa: E402

TARGET_RATIO = 3.0
ADDRESS = "bench@bench.test"
FETCH_BATCH = 500


class RunningSandboxPeer:
    """The sandbox service on free loopback ports, its event loop in a background thread so that the
    blocking mbsync run in the main thread is served meanwhile (the same shape as the tests' fixture)."""

    def __init__(self, data_dir: Path) -> None:
        from mailhub.sandbox.sandbox import Sandbox  # imported here: --servers dovecot needs no sandbox

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
    fetches: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(self.pulls)

    @property
    def fetch_seconds(self) -> float:
        return statistics.median(self.fetches)


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


@dataclass(frozen=True)
class Plan:
    """What every server is asked to serve, and how often it is pulled."""

    mailbox: Path
    count: int
    digest: str
    repeat: int
    scratch: Path
    fsync: bool  # with it, mbsync's 20,000 fsync() calls measure the disk rather than the server


def _pull_once(target: Target, plan: Plan, attempt: int) -> float:
    workdir = plan.scratch / f"{target.name}-{attempt}"
    run = pull_mailbox(
        workdir,
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password,
        ca_file=target.ca_file,
        fsync=plan.fsync,
    )
    if run.returncode != 0:
        raise SystemExit(f"mbsync from {target.name} failed ({run.returncode}):\n{run.output}")
    got = run.message_count()
    if got != plan.count:
        raise SystemExit(f"mbsync from {target.name}: {got} messages in the Maildir, expected {plan.count}")
    if attempt == 0 and _digest(run.messages()) != plan.digest:
        raise SystemExit(f"mbsync from {target.name}: message contents differ from the generated mailbox")
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"  {target.name}: pull {attempt + 1}/{plan.repeat} {run.seconds:.2f} s", flush=True)
    return run.seconds


def _fetch_once(target: Target, plan: Plan, expected_bytes: int) -> float:
    """The client floor: stdlib imaplib downloading every message raw, ``FETCH (UID FLAGS BODY.PEEK[])``
    in batches of 500 (as measured in imap-measured.md), nothing parsed or stored."""
    context = ssl.create_default_context(cafile=str(target.ca_file))
    started = time.perf_counter()
    received, total = 0, 0
    with imaplib.IMAP4_SSL(target.host, target.port, ssl_context=context) as imap:
        imap.login(target.user, target.password)
        imap.select("INBOX", readonly=True)
        for first in range(1, plan.count + 1, FETCH_BATCH):
            last = min(first + FETCH_BATCH - 1, plan.count)
            status, data = imap.fetch(f"{first}:{last}", "(UID FLAGS BODY.PEEK[])")
            if status != "OK":
                raise SystemExit(f"imaplib FETCH from {target.name} failed: {status}")
            literals = [part[1] for part in data if isinstance(part, tuple)]
            received += len(literals)
            total += sum(len(m) for m in literals)
    seconds = time.perf_counter() - started
    if received != plan.count or total != expected_bytes:
        raise SystemExit(f"imaplib from {target.name}: {received} messages / {total} bytes, expected {plan.count}")
    print(f"  {target.name}: imaplib FETCH {seconds:.2f} s", flush=True)
    return seconds


@contextlib.contextmanager
def dovecot_target(plan: Plan) -> Iterator[tuple[Target, float]]:
    """Dovecot with the mailbox loaded (Maildir files plus its index); yields the target and load time."""
    with DovecotServer(parent_dir=plan.scratch) as dovecot:
        password = "bench-dovecot-pass"
        dovecot.add_user(ADDRESS, password)
        started = time.perf_counter()
        dovecot.load_messages(ADDRESS, gen_mailbox.read_messages(plan.mailbox))
        load = time.perf_counter() - started
        yield Target("dovecot", "localhost", dovecot.ports["imaps"], ADDRESS, password, dovecot.ca_file), load


@contextlib.contextmanager
def sandbox_target(plan: Plan) -> Iterator[tuple[Target, float]]:
    """The sandbox with the mailbox delivered in bulk; mbsync logs in with a client security password."""
    with RunningSandboxPeer(plan.scratch / "sandbox-data") as sandbox:
        password = sandbox.bind_user(ADDRESS)
        started = time.perf_counter()
        sandbox.deliver_many(ADDRESS, gen_mailbox.read_messages(plan.mailbox))
        load = time.perf_counter() - started
        yield Target("sandbox", "localhost", sandbox.ports["imaps"], ADDRESS, password, sandbox.ca_file), load


SERVERS: dict[str, Callable[[Plan], contextlib.AbstractContextManager[tuple[Target, float]]]] = {
    "dovecot": dovecot_target,
    "sandbox": sandbox_target,
}


def run_plan(plan: Plan, servers: list[str], total_bytes: int) -> list[Row]:
    """Start and load every server, then pull from them in turn, round after round, so that whatever
    else the machine is doing weighs on all of them alike."""
    with contextlib.ExitStack() as stack:
        rows: list[tuple[Target, Row]] = []
        for name in servers:
            print(f"{name}: loading {plan.count} messages ...", flush=True)
            target, load = stack.enter_context(SERVERS[name](plan))
            rows.append((target, Row(name, plan.count, total_bytes / 1e6, load, [])))
        for attempt in range(plan.repeat):
            for target, row in rows:
                row.pulls.append(_pull_once(target, plan, attempt))
                row.fetches.append(_fetch_once(target, plan, total_bytes))
        return [row for _, row in rows]


def print_table(rows: list[Row]) -> None:
    mbsync_ref = next((r.seconds for r in rows if r.server == "dovecot"), None)
    fetch_ref = next((r.fetch_seconds for r in rows if r.server == "dovecot"), None)
    print()
    print("| server | messages | MB | load s | mbsync s (median) | ratio | imaplib FETCH s (median) | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ratio = f"{row.seconds / mbsync_ref:.2f}x" if mbsync_ref else "-"
        fetch_ratio = f"{row.fetch_seconds / fetch_ref:.2f}x" if fetch_ref else "-"
        print(
            f"| {row.server} | {row.messages} | {row.megabytes:.1f} | {row.load_seconds:.2f} | "
            f"{row.seconds:.2f} | {ratio} | {row.fetch_seconds:.2f} | {fetch_ratio} |"
        )
    for row in rows:
        mbsync_runs = ", ".join(f"{t:.2f}" for t in row.pulls)
        fetch_runs = ", ".join(f"{t:.2f}" for t in row.fetches)
        print(f"{row.server}: mbsync runs {mbsync_runs} s; imaplib runs {fetch_runs} s")
    sandbox = next((r for r in rows if r.server == "sandbox"), None)
    if mbsync_ref and sandbox:
        ratio = sandbox.seconds / mbsync_ref
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(f"mbsync sandbox/Dovecot = {ratio:.2f}x: {verdict} the target (<= {TARGET_RATIO:.0f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description="mbsync from the sandbox vs from Dovecot")
    parser.add_argument("--count", type=int, default=gen_mailbox.DEFAULT_COUNT)
    parser.add_argument("--repeat", type=int, default=1, help="pulls per server (median is reported)")
    parser.add_argument("--servers", default="dovecot,sandbox", help="comma-separated: dovecot,sandbox")
    parser.add_argument("--fsync", action="store_true", help="let mbsync fsync every message (default: off)")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None,
        help="where servers and mbsync keep their files (default: /dev/shm, so the disk does not add noise)",
    )
    args = parser.parse_args()
    mailbox = gen_mailbox.ensure_mailbox(args.count)
    info = gen_mailbox.manifest(args.count)
    digest = _digest(list(gen_mailbox.read_messages(mailbox)))
    with tempfile.TemporaryDirectory(prefix="mailhub-bench-", dir=args.scratch) as tmp:
        Path(tmp).chmod(0o711)  # Dovecot's unprivileged auth process must pass through it
        plan = Plan(mailbox, args.count, digest, args.repeat, Path(tmp), args.fsync)
        rows = run_plan(plan, args.servers.split(","), int(info["bytes"]))
    print_table(rows)
    sandbox = next((r for r in rows if r.server == "sandbox"), None)
    dovecot = next((r for r in rows if r.server == "dovecot"), None)
    if sandbox and dovecot and sandbox.seconds > TARGET_RATIO * dovecot.seconds:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
