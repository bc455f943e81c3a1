"""A real headless Chromium (Debian's `chromium` package) driven over the DevTools protocol.

Started per test module with a fresh profile, loopback-only debugging port and every background
network feature off; stopped by its PID. No browser is ever downloaded.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0


class ChromiumError(RuntimeError):
    pass


def chromium_binary() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise ChromiumError("the Debian package 'chromium' is not installed (make test installs it)")
    return path


class Chromium:
    """One browser process and one page; collects console errors, exceptions and log errors."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="p06audit-chromium-"))
        self.process = subprocess.Popen(
            [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        try:
            self.ws = websocket.create_connection(
                self._page_url(), timeout=CALL_TIMEOUT, suppress_origin=True
            )
            for domain in ("Page", "Runtime", "Log", "DOM", "CSS"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _page_url(self) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChromiumError(f"chromium exited with code {self.process.returncode}")
            if port_file.exists() and port_file.read_text().strip():
                port = int(port_file.read_text().split()[0])
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                    pages = [t for t in json.load(answer) if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.05)
        raise ChromiumError(f"chromium did not open its DevTools port within {START_TIMEOUT:.0f} s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + CALL_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise ChromiumError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)
        raise ChromiumError(f"{method}: no answer within {CALL_TIMEOUT:.0f} s")

    def wait_event(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                self.events.remove(event)
                return event
        deadline = time.monotonic() + CALL_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("method") == method:
                return message
            self.events.append(message)
        raise ChromiumError(f"no {method} event within {CALL_TIMEOUT:.0f} s")

    def open(self, path: Path, width: int = 1280, height: int = 900) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise ChromiumError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, condition: str, timeout: float = 5.0) -> None:
        """Poll a JS condition (the page may update in a timer after an event)."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(condition):
            if time.monotonic() > deadline:
                raise ChromiumError(f"condition never became true: {condition}")
            time.sleep(0.02)

    def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (pressed + released), as a user would."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1
            )

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=full_page)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def clip_screenshot(self, selector: str) -> bytes:
        """PNG bytes of one element (for comparing how two strings render)."""
        rect = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; })()"
        )
        shot = self.call("Page.captureScreenshot", format="png", clip={**rect, "scale": 1})
        return base64.b64decode(shot["data"])

    def platform_fonts(self, selector: str) -> list[dict[str, Any]]:
        """The fonts Chromium actually used to draw the text of one element."""
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        fonts: list[dict[str, Any]] = self.call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        return fonts

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (CSP violations land here)."""
        self.evaluate("0")  # flush pending events into self.events
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # helpers left in the group we started
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
