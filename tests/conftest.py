"""Shared fixtures of the project's own tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    """A chromium executable: $MCONF_CHROMIUM, /usr/bin/chromium, or one on PATH."""
    candidates = [os.environ.get("MCONF_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture
def page() -> Iterator[Any]:
    """A headless Chromium page (playwright driving the system browser)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright not installed")
    executable = chromium()
    if executable is None:
        pytest.skip("no chromium executable (set MCONF_CHROMIUM or install chromium)")
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


def _save(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    folder = os.environ.get("MCONF_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)
    return path


@pytest.fixture
def screenshot() -> Callable[[Any, Path], Path]:
    """Saves a full-page PNG of a page (checked), copied to $MCONF_SCREENSHOT_DIR when set."""
    return _save
