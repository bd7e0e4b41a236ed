"""Real-browser tests of the web console: a real server, a headless system chromium, axe-core.

* ``server``: ``stufenlos serve`` on a free loopback port on the Kaiserslautern centre graph
  (``tests/api/serving.py``), with its own SQLite database, and a staff key made in it with
  ``stufenlos keys create`` (``server.staff_key``).
* ``browser`` / ``page``: Debian's ``/usr/bin/chromium`` driven by Playwright (never a downloaded
  browser), headless with the flags that keep it quiet on a closed network; a fresh context and
  page per test. Skipped with a reason when the chromium binary is absent (CI installs it).
* ``console_url``: ``{server}/console/``; skipped with a reason when ``console/dist`` is not built
  (``make test`` builds it with ``make console``).
* ``shoot(page, name)``: a full-page screenshot ``<output>/<name>.png``; the output folder is
  ``$STUFENLOS_TEST_OUTPUT`` or ``tests/console/output/`` (git-ignored).
* ``audit(page, name)``: injects axe-core and fails on any ``serious`` or ``critical`` violation
  of WCAG 2.0/2.1 A and AA, listing each rule, its help text and the offending elements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.serving import running_server

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIST = ROOT / "console" / "dist"
CHROMIUM = Path(os.environ.get("STUFENLOS_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = Path(os.environ.get("STUFENLOS_TEST_OUTPUT") or Path(__file__).parent / "output")
#: Where axe-core's browser bundle is looked for, first match wins (``$STUFENLOS_AXE_JS`` first).
AXE_CANDIDATES = (
    CONSOLE_DIST / "vendor" / "axe.min.js",
    ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js",
)
#: Chromium as root on a closed network: without the background-networking flags it stalls.
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
VIEWPORT = {"width": 1280, "height": 860}
#: axe-core impacts that fail a test.
FAILING_IMPACTS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass(frozen=True)
class Server:
    """A running ``stufenlos serve``: its base URL, a staff key and its work folder."""

    url: str
    staff_key: str
    workdir: Path


@pytest.fixture(scope="package")
def server(centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``stufenlos serve`` on the centre graph with a fresh database and a staff key in it."""
    workdir = tmp_path_factory.mktemp("console-server")
    database_url = f"sqlite:///{workdir}/stufenlos.db"
    cli = [sys.executable, "-m", "api.cli"]
    env = os.environ | {"STUFENLOS_DATABASE_URL": database_url}
    subprocess.run([*cli, "db", "upgrade"], check=True, env=env, capture_output=True)
    made = subprocess.run(
        [*cli, "keys", "create", "--name", "Konsole-Test", "--role", "staff"],
        check=True, env=env, capture_output=True, text=True,
    )  # fmt: skip
    staff_key = made.stdout.strip().splitlines()[-1]
    with running_server(centre_graph_dir, workdir) as url:
        yield Server(url=url, staff_key=staff_key, workdir=workdir)


@pytest.fixture(scope="package")
def console_built() -> Path:
    """``console/dist``, the web console's build, which also holds the Swagger UI 5 that
    ``/docs`` serves (npm's ``swagger-ui-dist``); skips when it is not built."""
    if not (CONSOLE_DIST / "index.html").is_file():
        pytest.skip(
            f"the web console's build is missing ({CONSOLE_DIST}: the console and the Swagger "
            "UI of /docs): run `make console`; in CI `.ci/browser.sh` installs Debian's nodejs "
            "and npm and `make test`, which .ci/run calls, builds it first with npm"
        )
    return CONSOLE_DIST


@pytest.fixture(scope="package")
def console_url(server: Server, console_built: Path) -> str:
    """The console's address; skips when ``console/dist`` is not built."""
    return f"{server.url}/console/"


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless system chromium for the console tests (closed after them, before other
    packages run); skips when it is not installed."""
    if not CHROMIUM.is_file():
        pytest.skip(
            f"no chromium at {CHROMIUM}: `apt-get install chromium chromium-driver` "
            "(.ci/browser.sh does it in CI) or set STUFENLOS_CHROMIUM"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (own storage, English, 1280×860) and page; console errors are collected
    in ``page.console_errors`` with every answer >= 400 but
    ``/favicon.ico`` (method and URL)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)  # failed loads are listed with their URL below

    def on_response(response: Any) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.request.method} {response.url}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("response", on_response)
    tab.console_errors = errors
    try:
        yield tab
    finally:
        context.close()


def _axe_source() -> str:
    override = os.environ.get("STUFENLOS_AXE_JS")
    candidates = (Path(override),) if override else AXE_CANDIDATES
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip(
        "axe-core is not available (looked in "
        + ", ".join(str(p) for p in candidates)
        + "): run `make console` (npm installs it; `make test`, which .ci/run calls, does) "
        "or set STUFENLOS_AXE_JS"
    )


def format_violations(violations: list[dict[str, Any]], limit: int = 5) -> str:
    """axe-core violations as readable lines: impact, rule, help, URL and the offending nodes."""
    lines = []
    for v in violations:
        lines.append(f"[{v.get('impact')}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:limit]:
            target = " ".join(json.dumps(t) for t in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v.get("nodes", [])) > limit:
            lines.append(f"    … and {len(v['nodes']) - limit} more")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def audit() -> Callable[..., list[dict[str, Any]]]:
    """``audit(page, name, exclude=(), fail=True)``: run axe-core (WCAG 2.1 A+AA) on the page as it
    is now; fail on serious/critical violations (printed readably), return all violations (also
    written to ``<output>/<name>-axe.json``). ``exclude``
    lists CSS selectors axe skips (e.g. the map canvas, which keeps its own text list)."""
    source = _axe_source()

    def run(
        page: Any, name: str, exclude: tuple[str, ...] = (), *, fail: bool = True
    ) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays on
            page.evaluate("source => { (0, eval)(source); }", source)
            assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core not loaded"
        context: dict[str, Any] = {"include": [["html"]]}
        if exclude:
            context["exclude"] = [[s] for s in exclude]
        result = page.evaluate(
            "([context, tags]) => axe.run(context, "
            "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            [context, AXE_TAGS],
        )
        violations: list[dict[str, Any]] = result["violations"]
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / f"{name}-axe.json").write_text(json.dumps(violations, indent=1), encoding="utf-8")
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        if failing and fail:
            pytest.fail(
                f"axe-core: {len(failing)} serious/critical violation(s) on {name} "
                f"({page.url}):\n{format_violations(failing)}",
                pytrace=False,
            )
        return violations

    return run


@pytest.fixture(scope="session")
def shoot() -> Callable[..., Path]:
    """``shoot(page, name, full_page=True)``: a screenshot ``<output>/<name>.png``; its path."""

    def run(page: Any, name: str, *, full_page: bool = True) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return run


def wait_until(page: Any, predicate: str, timeout_ms: float = 20_000, poll_ms: float = 100) -> Any:
    """Poll the JavaScript function ``predicate`` (e.g. ``"() => ..."``) until it returns a truthy
    value, which is returned. Unlike ``page.wait_for_function`` it works under the console's CSP
    (no ``unsafe-eval``): each poll is one DevTools evaluation."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_ms / 1000:.0f} s waiting for {predicate}")
        page.wait_for_timeout(poll_ms)
