"""``make explorer`` as a person meets it: Voilà serves notebook 05, Debian's Chromium drives the page.

Voilà runs on a free port of 127.0.0.1 behind a token, reading the shipped example; headless
Chromium is driven over the DevTools protocol (a websocket), so nothing downloads a browser
or a driver. The test changes a limit in the form and waits for the recommendation text to
change; it also checks that the page logged no console error, that no label is cut off, that
the page is refused without the token and that nothing was measured (the workspace stays
empty). The screenshot is kept in the test's temp folder.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench import proc

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "05_which_strategy.ipynb"
EXAMPLE = REPO / "examples" / "classroom"
#: What 'make explorer' gives Voilà: its settings (voila.json) and the offline page template.
SETTINGS = REPO / "notebooks" / "explorer"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1800"]
#: Kernel start and the notebook's first run take a few seconds idle, far more on a loaded machine.
PAGE_TIMEOUT_S = 120
CHANGE_TIMEOUT_S = 30
RPO_LABEL = "most work you can lose"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (Debian 'chromium'; 'make test' "
                                                     "installs it)"),
    pytest.mark.skipif(not (EXAMPLE / "results.csv").exists(), reason="needs the shipped examples/classroom"),
    pytest.mark.slow,
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout_s: float, failure: str) -> Any:
    """``check()``'s first truthy value, polled until ``timeout_s``; else fail with ``failure``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(failure)


@pytest.fixture
def explorer_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Voilà serving notebook 05 as 'make explorer' does; the page's URL with its token."""
    port, token = free_port(), secrets.token_urlsafe(16)
    env = {**os.environ, "WORKBENCH_RESULTS": str(EXAMPLE), "WORKBENCH_HOME": str(tmp_path / "ws"),
           "WORKBENCH_QUIET": "1", "JUPYTER_PATH": str(SETTINGS)}
    log = (tmp_path / "voila.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "voila"), f"--Voila.config_file_paths={SETTINGS}",
                               f"--port={port}", f"--token={token}", str(NOTEBOOK)],
                              stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    request.addfinalizer(log.close)
    request.addfinalizer(lambda: proc.terminate(server, wait_s=15))

    def listening() -> bool:
        assert server.poll() is None, f"Voilà exited: {(tmp_path / 'voila.log').read_text()[-2000:]}"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_for(listening, 60, f"Voilà did not listen on 127.0.0.1:{port} within 60 s; see {tmp_path / 'voila.log'}")
    return f"http://127.0.0.1:{port}/?token={token}"


class DevTools:
    """One page of headless Chromium, driven over the DevTools protocol; keeps every event it saw."""

    def __init__(self, socket_url: str) -> None:
        import websocket  # websocket-client, the [dev] extra

        self.connection = websocket.create_connection(socket_url, timeout=PAGE_TIMEOUT_S, suppress_origin=True)
        self.events: list[dict] = []
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict:
        self.next_id += 1
        self.connection.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.connection.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message["result"]
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, f"{expression}: {result['exceptionDetails']}"
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """What the page logged as an error: console.error, uncaught exceptions, failed loads."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
        return found


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[DevTools]:
    profile = tmp_path / "profile"
    browser = subprocess.Popen([str(CHROMIUM), *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        active = wait_for(lambda: (profile / "DevToolsActivePort").exists() and
                          (profile / "DevToolsActivePort").read_text().split(), 30, "Chromium opened no DevTools port")
        with urllib.request.urlopen(f"http://127.0.0.1:{active[0]}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        page = DevTools(pages[0]["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page"):
            page.call(f"{domain}.enable")
        yield page
        page.connection.close()
    finally:
        proc.terminate(browser, wait_s=15)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


RECOMMENDATION = "document.querySelector('.workbench-recommendation')?.innerText || ''"
SET_RPO = f"""(() => {{
  const label = [...document.querySelectorAll('label')].find(l => l.textContent.startsWith({RPO_LABEL!r}));
  const input = label.parentElement.querySelector('input');
  input.focus(); input.value = '1';
  input.dispatchEvent(new Event('input', {{bubbles: true}}));
  input.dispatchEvent(new Event('change', {{bubbles: true}}));
  return input.value;
}})()"""
CUT_LABELS = """[...document.querySelectorAll('.widget-label')]
  .filter(l => l.textContent.trim() && l.scrollWidth > l.clientWidth + 1).map(l => l.textContent)"""


@pytest.mark.timeout(300)
def test_changing_a_limit_changes_the_recommendation_in_the_served_page(explorer_url: str, chromium: DevTools,
                                                                        tmp_path: Path):
    with pytest.raises(urllib.error.HTTPError) as refused:  # without the token: sent to the login page
        urllib.request.build_opener(NoRedirect).open(explorer_url.split("?")[0], timeout=30)
    assert refused.value.code == 302 and "/login" in refused.value.headers["Location"]

    chromium.call("Page.navigate", url=explorer_url)
    before = wait_for(lambda: chromium.evaluate(RECOMMENDATION), PAGE_TIMEOUT_S,
                      f"no recommendation on the page within {PAGE_TIMEOUT_S} s (Voilà starts a kernel and runs "
                      f"the notebook first; slow under load?): see {tmp_path / 'voila.log'}")
    assert before.startswith("Recommendation:")
    assert chromium.evaluate(f"document.body.innerText.indexOf({RPO_LABEL!r}) < "
                             "document.body.innerText.indexOf('Recommendation:')"), "the form is not first"
    assert chromium.evaluate(CUT_LABELS) == [], "labels cut off"

    assert chromium.evaluate(SET_RPO) == "1"  # an hour of work at most: no daily copy's RPO fits
    after = wait_for(lambda: (text := chromium.evaluate(RECOMMENDATION)) != before and text, CHANGE_TIMEOUT_S,
                     f"the recommendation did not change within {CHANGE_TIMEOUT_S} s of setting the RPO to 1 h")
    assert after.startswith("Recommendation:") and after != before

    shot = tmp_path / "explorer.png"
    shot.write_bytes(base64.b64decode(chromium.call("Page.captureScreenshot", format="png")["data"]))
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    assert chromium.errors() == [], "\n".join(chromium.errors())
    workspace = tmp_path / "ws"
    assert not workspace.exists() or not any(workspace.iterdir()), "the explorer measured without the button"
