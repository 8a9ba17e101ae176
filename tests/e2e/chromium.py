"""Debian's Chromium and chromium-driver for the console's browser tests: installed with apt-get on first use
(as infra/postgres.py installs PostgreSQL), never a browser download, and started so it cannot hang on the
closed network (no first-run page, no background fetches, no component updates)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: The browser, its driver, and a small font with Simplified Chinese glyphs so screenshots are legible.
PACKAGES = ("chromium", "chromium-driver", "fonts-wqy-microhei")
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN")


class ChromiumMissing(RuntimeError):
    """Chromium could not be installed: the browser tests fail with this message, never skip."""


def ensure_installed() -> None:
    """Install the packages with apt-get unless the browser, its driver and the font are all there."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists() and FONT.exists():
        return
    started = time.monotonic()
    log.info("installing %s with apt-get (first run only)…", ", ".join(PACKAGES))
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends",
               *PACKAGES]
    if _run(install).returncode != 0:
        _run([*sudo, "apt-get", "update"])
        result = _run(install)
        if result.returncode != 0:
            raise ChromiumMissing(f"apt-get install -y {' '.join(PACKAGES)} failed (exit {result.returncode}):\n"
                                  f"{result.stdout}{result.stderr}".rstrip())
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER, FONT) if not p.exists()]
    if missing:
        raise ChromiumMissing(f"still missing after apt-get install: {', '.join(missing)}")
    log.info("installed Chromium in %.1f s", time.monotonic() - started)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)


class Browser:
    """One headless Chromium with a fresh profile, removed again on close."""

    def __init__(self) -> None:
        ensure_installed()
        self.profile = Path(tempfile.mkdtemp(prefix="gb-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        # Downloads (the CSV export) land in the profile, where the test reads them.
        self.downloads = self.profile / "downloads"
        self.downloads.mkdir()
        options.add_experimental_option("prefs", {"download.default_directory": str(self.downloads),
                                                  "download.prompt_for_download": False})
        # selenium-manager would try to download a driver: name Debian's instead.
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
        self.driver.set_page_load_timeout(60)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
