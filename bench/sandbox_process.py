"""The sandbox service in a process of its own, for benchmarks: its own core and GIL, so what is measured in
the benchmark's process is the client alone."""

from __future__ import annotations

import subprocess
import sys

from conftest import RunningSandbox

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
