"""Where mailhub keeps its data: ``MAILHUB_HOME`` if set, else the platform's user data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def mailhub_home() -> Path:
    """The hub's data directory, created on first use."""
    env = os.environ.get("MAILHUB_HOME")
    home = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("mailhub"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def sandbox_home() -> Path:
    """The sandbox mail service's default data directory (inside the hub's home)."""
    path = mailhub_home() / "sandbox"
    path.mkdir(parents=True, exist_ok=True)
    return path
