"""kill -9 at random moments of a send, then a restart: how many messages were lost or sent twice.

    python bench/kill_send.py                     # 40 trials, 400 messages each, 4 connections
    python bench/kill_send.py --trials 100 --connections 1

Each trial binds a fresh Alibaba mailbox in the sandbox (its own process), queues ``--messages`` messages,
starts ``mailhub outbox run --once`` and kills it (SIGKILL) as soon as the sandbox has accepted a randomly
chosen number of them, plus a random 0–2 ms, so the kill lands at every phase of the connections' work.
A second run then finishes the queue, and every Message-ID is counted where the sandbox keeps foreign mail.
``tests/outbox/test_kill.py`` proves the protocol at its worst moment; this measures what a random moment
costs, i.e. the one gap left: the microseconds between the end-of-DATA commit and the final "." leaving.
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


def _queue(running: SandboxProcess, local: str, count: int) -> list[str]:
    """A bound account with ``count`` queued messages; their Message-IDs."""
    import asyncio

    from mailhub.accounts import AccountService, ServerOverrides
    from mailhub.outbox import Draft, compose, enqueue_many, set_limits

    address = f"{local}@{DOMAIN}"
    running.bind_user(address, "Main-Passw0rd!")
    password = running.new_client_password(address)
    service = AccountService.open()
    try:
        result = asyncio.run(service.add(address, password, overrides=ServerOverrides("aliyun-standard")))
        assert result.ok, result.diagnosis
        set_limits(service.store, result.account.id, per_minute=None, per_day=None)
        body = "第 {0} 封\n" * 30
        messages = [
            compose(Draft(address, to=[f"b{i}@{FOREIGN}"], subject=f"报价 {i}", text=body.format(i)))
            for i in range(count)
        ]
        enqueue_many(service.store, result.account.id, messages)
        return [m.message_id for m in messages]
    finally:
        service.close()


def trial(running: SandboxProcess, index: int, count: int, connections: int, rng: random.Random) -> dict[str, int]:
    message_ids = _queue(running, f"kill{index}", count)
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
    assert second.returncode == 0, errors.decode(errors="replace")[-2000:]
    counts = [outbound.count_message_id(m) for m in message_ids]
    return {
        "killed": int(killed),
        "accepted_at_kill": accepted_at_kill,
        "lost": sum(1 for n in counts if n == 0),
        "doubled": sum(1 for n in counts if n > 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="mailhub-kill-bench-") as tmp:
        running = SandboxProcess(Path(tmp) / "sandbox")
        running.start()
        os.environ["MAILHUB_HOME"] = str(Path(tmp) / "home")
        os.environ["MAILHUB_RESOLVE"] = running.resolve_env("aliyun-standard")
        os.environ["MAILHUB_CA_FILE"] = str(running.ca_file)
        for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY"):
            os.environ.pop(name, None)
        try:
            for index in range(args.trials):
                result = trial(running, index, args.messages, args.connections, rng)
                results.append(result)
                print(f"trial {index + 1}: {result}", file=sys.stderr)
        finally:
            running.stop()

    killed = [r for r in results if r["killed"]]
    lost, doubled = sum(r["lost"] for r in results), sum(r["doubled"] for r in results)
    print(f"\nkill -9 at a random moment, then a restart; seed {seed}\n")
    print("| connections | trials | killed mid-send | messages | lost | sent twice |")
    print("|---:|---:|---:|---:|---:|---:|")
    sent = len(results) * args.messages
    print(f"| {args.connections} | {len(results)} | {len(killed)} | {sent:,} | {lost} | {doubled} |")
    return 0 if lost == doubled == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
