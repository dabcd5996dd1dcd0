"""Shared setup for the real-browser tests: Debian's Chromium driven by Playwright.

Playwright's own browser download cannot work here, so the tests launch
/usr/bin/chromium. Without it they skip, saying how to install it; with
SIGNPOST_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser is a failure instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL = "install Chromium: apt-get install -y chromium"


def need_browser() -> None:
    """Skip (or fail, under SIGNPOST_REQUIRE_BROWSER=1) when the browser cannot run."""
    problem = ""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        problem = "Playwright for Python is missing: pip install -e '.[test]'; then " + INSTALL
    if not problem and not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found; {INSTALL}"
    if problem:
        if os.environ.get("SIGNPOST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (SIGNPOST_REQUIRE_BROWSER=1): {problem}")
        pytest.skip(problem)
