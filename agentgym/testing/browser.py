"""Headless Chromium for page tests (the system browser and chromedriver, driven by Selenium).

The flags keep Chromium off the network it cannot reach here (background networking, updates, sync) and
give every session a fresh profile.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


def missing_browser() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return None
    return f"{CHROMIUM} and {CHROMEDRIVER} are needed; run `bash .ci/provision_browser.sh` (as root)"


@contextlib.contextmanager
def headless_chromium(page_load_timeout_s: float = 60) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="agentgym-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_timeout_s)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def follow(driver: Any, action: Callable[[], object], timeout_s: float = 20) -> None:
    """Do what loads a new page (a click on a link, a row, a form button) and wait until it has loaded.

    A click returns before a script- or form-driven navigation has replaced the document, so reading the
    page straight after can read the old one or hit a stale element; waiting for the old root to detach
    and the new document to complete removes that race.
    """
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    action()
    wait = WebDriverWait(driver, timeout_s)
    wait.until(expected_conditions.staleness_of(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
