"""kill -9 at random moments of a send, then a restart: how many messages were lost or sent twice.

    python bench/kill_send.py                     # 40 trials, 400 messages each, 4 connections
    python bench/kill_send.py --trials 100 --connections 1
    python bench/kill_send.py --edition tencent-exmail   # a provider that files sent mail itself

Each trial binds a fresh Alibaba mailbox in the sandbox (its own process), queues ``--messages`` messages,
starts ``mailhub outbox run --once`` and kills it (SIGKILL) as soon as the sandbox has accepted a randomly
chosen number of them, plus a random 0–2 ms, so the kill lands at every phase of the connections' work.
A second run then finishes the queue, and every Message-ID is counted where the sandbox keeps foreign mail.
``tests/outbox/test_kill.py`` proves the protocol at its worst moment; this measures what a random moment
costs, i.e. the one gap left: the microseconds between the end-of-DATA commit and the final "." leaving.
At a provider whose Sent the outbox must fill itself (Alibaba, the default) a kill in that gap loses the
message; at one that files sent mail itself (``--edition tencent-exmail``) Sent decides, and nothing is lost.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]

from sandbox_process import SandboxProcess  # noqa: E402

DOMAIN = "bench-trade.cn"
FOREIGN = "buyer.example"


def _outbox_run(connections: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mailhub", "outbox", "run", "--once", "--connections", str(connections)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _queue(running: SandboxProcess, edition: str, local: str, count: int) -> dict[str, int]:
    """A bound account with ``count`` queued messages: their Message-IDs and outbox ids."""
    import asyncio

    from mailhub.accounts import AccountService, ServerOverrides
    from mailhub.outbox import Draft, compose, enqueue_many, list_entries, set_limits

    address = f"{local}@{edition}.{DOMAIN}"
    running.bind_user(address, "Main-Passw0rd!", edition=edition)
    password = running.new_client_password(address)
    service = AccountService.open()
    try:
        result = asyncio.run(service.add(address, password, overrides=ServerOverrides(edition)))
        assert result.ok, result.diagnosis
        set_limits(service.store, result.account.id, per_minute=None, per_day=None)
        body = "第 {0} 封\n" * 30
        messages = [
            compose(Draft(address, to=[f"b{i}@{FOREIGN}"], subject=f"报价 {i}", text=body.format(i)))
            for i in range(count)
        ]
        enqueue_many(service.store, result.account.id, messages)
        entries = list_entries(service.store, account_id=result.account.id, limit=count + 1)
        return {entry.message_id: entry.id for entry in entries}
    finally:
        service.close()


def trial(running: SandboxProcess, args: argparse.Namespace, index: int, rng: random.Random) -> dict[str, int]:
    count, connections = args.messages, args.connections
    message_ids = _queue(running, args.edition, f"kill{index}", count)
    outbound = running.sandbox.outbound
    before = outbound.count()
    kill_after = rng.randint(1, count - 1)
    first = _outbox_run(connections)
    while first.poll() is None and outbound.count() - before < kill_after:
        time.sleep(0.0005)
    time.sleep(rng.uniform(0, 0.002))
    killed = first.poll() is None
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    accepted_at_kill = outbound.count() - before
    second = _outbox_run(connections)
    _out, errors = second.communicate(timeout=600)
    assert second.returncode == 0, errors.decode(errors="replace")
    counts = {m: outbound.count_message_id(m) for m in message_ids}
    wrong = [message_ids[m] for m, n in counts.items() if n != 1]
    if wrong:
        _explain(wrong)
    return {
        "killed": int(killed),
        "accepted_at_kill": accepted_at_kill,
        "lost": sum(1 for n in counts.values() if n == 0),
        "doubled": sum(1 for n in counts.values() if n > 1),
    }


def _explain(outbox_ids: list[int]) -> None:
    """What the outbox recorded for each message lost or sent twice (to stderr)."""
    from mailhub.accounts import AccountService
    from mailhub.outbox import get_entry

    service = AccountService.open()
    try:
        for outbox_id in outbox_ids:
            entry = get_entry(service.store, outbox_id)
            steps = [(a.outcome, a.phase, a.reply) for a in entry.history]
            print(f"  outbox {outbox_id} {entry.message_id}: {entry.state.value}, {steps}", file=sys.stderr)
    finally:
        service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--edition", default="aliyun-standard", help="the sandbox edition (= catalog provider)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="mailhub-kill-bench-") as tmp:
        running = SandboxProcess(Path(tmp) / "sandbox")
        running.start()
        os.environ["MAILHUB_HOME"] = str(Path(tmp) / "home")
        os.environ["MAILHUB_RESOLVE"] = running.resolve_env(args.edition)
        os.environ["MAILHUB_CA_FILE"] = str(running.ca_file)
        for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY"):
            os.environ.pop(name, None)
        try:
            for index in range(args.trials):
                result = trial(running, args, index, rng)
                results.append(result)
                print(f"trial {index + 1}: {result}", file=sys.stderr)
        finally:
            running.stop()

    killed = [r for r in results if r["killed"]]
    lost, doubled = sum(r["lost"] for r in results), sum(r["doubled"] for r in results)
    print(f"\nkill -9 at a random moment, then a restart; seed {seed}\n")
    print("| provider | connections | trials | killed mid-send | messages | lost | sent twice |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    sent = len(results) * args.messages
    print(f"| {args.edition} | {args.connections} | {len(results)} | {len(killed)} | {sent:,} | {lost} | {doubled} |")
    return 0 if lost == doubled == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
