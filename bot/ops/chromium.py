"""Debian's Chromium (/usr/bin/chromium) as the browser tests and scripts/bench_widget.py start it
with Playwright: `executable_path=CHROMIUM, args=CHROMIUM_ARGS` (never `playwright install`)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
