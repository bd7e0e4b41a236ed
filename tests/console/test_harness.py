"""Self-test of the real-browser harness: server, system chromium, axe-core and screenshots work
on the API docs page (Swagger UI from the console's build: skipped without it) and on a page
the test writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.console.conftest import Server, format_violations


def test_staff_key_is_accepted(server: Server) -> None:
    anonymous = httpx.get(f"{server.url}/obstacles", timeout=10)
    staff = httpx.get(
        f"{server.url}/obstacles",
        headers={"Authorization": f"Bearer {server.staff_key}"},
        timeout=10,
    )
    assert staff.status_code == 200, staff.text
    assert anonymous.status_code in (200, 401)


@pytest.mark.usefixtures("console_built")  # /docs serves the build's Swagger UI
def test_docs_page_loads_audits_and_screenshots(
    server: Server, page: Any, audit: Callable[..., Any], shoot: Callable[..., Any]
) -> None:
    page.goto(f"{server.url}/docs")
    page.wait_for_selector("#swagger-ui .swagger-ui")  # Swagger UI ran (local files, no CDN)
    assert "stufenlos" in page.title()
    path = shoot(page, "harness-docs")
    assert path.stat().st_size > 5_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the audit runs and reports (Swagger UI 5 itself, a third-party page, has findings:
    # contrast and nested controls; the console's own views must have none, test_console.py)
    found = audit(page, "harness-docs", fail=False)
    assert isinstance(found, list)


@pytest.mark.usefixtures("console_built")
def test_docs_page_renders_the_api(server: Server, page: Any) -> None:
    """``/docs`` shows the operations (Swagger UI 5 from the console build reads OpenAPI 3.1;
    the PyPI bundle's Swagger UI 4 only said "Unable to render this definition")."""
    page.goto(f"{server.url}/docs")
    page.wait_for_selector("#swagger-ui .swagger-ui")
    page.wait_for_timeout(1_000)
    assert "Unable to render" not in page.inner_text("body")
    page.wait_for_selector(".opblock-tag", timeout=5_000)


def test_audit_reports_a_serious_violation_readably(
    server: Server, page: Any, audit: Callable[..., Any]
) -> None:
    """A page with an unlabelled text field and an image without alt text must be caught."""
    page.goto(f"{server.url}/health")
    page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
        "<input type='text'><img src='data:,'></main></body></html>"
    )
    violations = audit(page, "harness-bad", fail=False)
    rules = {v["id"] for v in violations}
    assert {"label", "image-alt"} <= rules
    text = format_violations(violations)
    assert "[critical] label" in text or "[serious] label" in text
    assert "<input" in text
