"""Headless Chromium driven over the DevTools protocol: open a page, wait until a text shows, take a screenshot."""
from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def _group_alive(group: int) -> bool:
    """Whether a process of process group `group` still runs (zombies waiting for their parent do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue  # ended while we looked
        if int(process_group) == group and state != "Z":
            return True
    return False


class Browser:
    """One headless Chromium with one page; `open(url, until=[texts])` waits for every text in the page's text."""

    def __init__(self, executable: str, window: tuple[int, int] = (1600, 1000)) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="funnelhouse-chromium-")
        self._process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}", "--remote-debugging-port=0",
             f"--window-size={window[0]},{window[1]}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: its helper processes are stopped with it
        )
        self._ids = itertools.count(1)
        self._socket = None

    def __enter__(self) -> Browser:
        from websockets.sync.client import connect

        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("chromium did not start its DevTools server")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [t for t in json.load(response) if t["type"] == "page"]
        self._socket = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._socket is not None:
            self._socket.close()
        self._stop(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._stop(signal.SIGKILL)
            self._process.wait(timeout=30)
        # the browser is gone, its helpers (renderers, GPU, crashpad) may still be writing the profile: the profile
        # is removed only once the whole process group has exited
        if not self._wait_for_group(timeout=30):
            self._stop(signal.SIGKILL)
            self._wait_for_group(timeout=30)
        self._profile.cleanup()

    def _wait_for_group(self, timeout: float) -> bool:
        """Wait until no live process is left in Chromium's process group; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while _group_alive(self._process.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _stop(self, signum: int) -> None:
        """Send `signum` to Chromium's whole process group (the browser, its renderers and helpers)."""
        try:
            os.killpg(self._process.pid, signum)
        except ProcessLookupError:
            pass

    def _call(self, method: str, **params: object) -> dict:
        message_id = next(self._ids)
        self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=60))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def text(self) -> str:
        result = self._call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''",
                            returnByValue=True)
        return result.get("result", {}).get("value", "")

    def open(self, url: str, until: list[str], timeout: float = 60) -> str:
        """Navigate and wait until every text of `until` is on the page; returns the page's text."""
        self._call("Page.enable")
        self._call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if all(item in text for item in until) or time.monotonic() > deadline:
                return text
            time.sleep(0.5)

    def click_buttons(self, label: str) -> None:
        """Click every button whose text is `label` (e.g. to dismiss a dialog)."""
        self._call("Runtime.evaluate", expression=(
            f"[...document.querySelectorAll('button')].filter(b => b.innerText.trim() === {json.dumps(label)})"
            ".forEach(b => b.click())"))

    def screenshot(self, path: Path) -> Path:
        data = self._call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
