"""Headless Chromium for the report tests: the flags that keep it off this machine's closed network."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def chromium_flags(profile: Path) -> list[str]:
    """The command start; skips the calling test, with the reason, when Chromium is not installed."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM Chromium builds from ``page`` (a local HTML file)."""
    flags = chromium_flags(profile)
    return subprocess.run(
        [*flags, "--dump-dom", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
