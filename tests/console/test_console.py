"""The web console in a real browser: what issue 13 says it must show.

Written against the ids of ``console/src/index.html`` (``data-testid`` attributes, documented in
``console/README.md``). The tests open the console on a real ``stufenlos serve`` on the
Kaiserslautern centre graph and check what the page shows against the HTTP API's own answer; each
view is audited with axe-core (no serious or critical WCAG 2.1 AA violation) and screenshotted
into the test output folder (``docs/console-routes.png`` and ``docs/console-staff.png`` are
copies of two of them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.console.conftest import Server, wait_until

pytestmark = pytest.mark.slow

#: Two points in the centre extract, a 700 m walk north-west → south-east (route form: lat,lon).
ORIGIN = (49.4447, 7.7690)
DESTINATION = (49.4400, 7.7720)
#: The map canvas is audited through its text lists beside it; Leaflet's panes are not.
MAP_EXCLUDE = (".leaflet-pane",)
LONG_MS = 60_000


def staff_headers(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.staff_key}"}


def api_route(server: Server, profile: str) -> dict[str, Any]:
    """The first route of ``POST /routes`` for the test's two points (what the page must show)."""
    body = {
        "origin": {"lat": ORIGIN[0], "lon": ORIGIN[1]},
        "destination": {"lat": DESTINATION[0], "lon": DESTINATION[1]},
        "profile": {"name": profile},
    }
    answer = httpx.post(f"{server.url}/routes", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["routes"][0]


def open_console(page: Any, url: str, tab: str | None = None) -> None:
    """Load the console, wait until its script has wired everything, open ``tab``."""
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']")
    wait_until(page, "() => document.querySelectorAll('#route-preset option').length > 0")
    if tab:
        page.get_by_test_id(f"tab-{tab}").click()
        page.wait_for_selector(f"#panel-{tab}:not([hidden])")


def log_in(page: Any, server: Server) -> None:
    page.get_by_test_id("api-key").fill(server.staff_key)
    page.get_by_test_id("key-save").click()
    wait_until(page, "() => sessionStorage.getItem('stufenlos.key') !== null")


@pytest.fixture
def record(audit: Callable[..., Any], shoot: Callable[..., Any]) -> Callable[[Any, str], None]:
    """``record(page, name)``: the view as it is now, screenshotted and audited with axe-core
    (Leaflet's panes left out: the map is audited through the text lists beside it)."""

    def run(page: Any, name: str) -> None:
        shoot(page, name)
        audit(page, name, MAP_EXCLUDE)

    return run


def fill_trip(page: Any) -> None:
    """The test's two points into the route form."""
    page.get_by_test_id("route-origin").fill(f"{ORIGIN[0]},{ORIGIN[1]}")
    page.get_by_test_id("route-destination").fill(f"{DESTINATION[0]},{DESTINATION[1]}")


def plan(page: Any, profile: str) -> str:
    """Fill the route form, plan, wait for the verdict; return the summary line."""
    fill_trip(page)
    page.get_by_test_id("route-preset").select_option(profile)
    page.evaluate("document.getElementById('route-summary').textContent = ''")
    page.get_by_test_id("route-submit").click()
    wait_until(page, "() => document.getElementById('route-summary').textContent.length > 0")
    return str(page.get_by_test_id("route-summary").inner_text())


def settle_map(page: Any) -> None:
    """Let the map re-fetch the network for its new view (350 ms after it stops moving)."""
    page.wait_for_timeout(800)
    wait_until(page, "() => document.querySelectorAll('#map path.leaflet-interactive').length > 10")
    wait_until(page, "() => /\\d/.test(document.getElementById('network-status').textContent)")


def distance_in(summary: str) -> float:
    """The metres of a route summary line ("Distance: 1,234 m · …")."""
    match = re.search(r"([\d.,\u202f\u00a0]+)\s*m\b", summary)
    assert match, summary
    return float(re.sub(r"[^\d]", "", match.group(1)))


def test_map_view_shows_network_and_attribution(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    open_console(page, console_url)
    wait_until(page, "() => /\\d/.test(document.getElementById('network-status').textContent)")
    assert "OpenStreetMap" in page.get_by_test_id("osm-attribution").inner_text()
    assert page.locator("#map path.leaflet-interactive").count() > 0
    record(page, "console-map")
    assert page.console_errors == []


def test_wheelchair_route_and_its_verdict(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    expected = api_route(server, "wheelchair")
    open_console(page, console_url, "routes")
    summary = plan(page, "wheelchair")
    verdict = page.get_by_test_id("route-verdict")
    assert verdict.get_attribute("data-verdict") == expected["accessibility"]["verdict"]
    assert verdict.inner_text().strip()
    assert distance_in(summary) == pytest.approx(expected["distance_m"], abs=1.0)
    assert page.locator("#route-steps li").count() == len(expected.get("steps") or [])
    # the incline profile: a chart, and the same stretches as a table (one row each + header)
    assert page.locator("#route-incline svg line").count() >= 1
    rows = page.locator("[data-testid=incline-table] tr").count()
    assert rows == len(expected["incline_profile"]) + 1
    settle_map(page)
    record(page, "console-routes")


def test_compare_two_profiles(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    open_console(page, console_url, "routes")
    fill_trip(page)
    for box in page.locator("#compare-presets input[type=checkbox]").all():
        box.set_checked(box.get_attribute("value") in ("walk", "wheelchair"))
    page.get_by_test_id("compare-submit").click()
    table = page.get_by_test_id("compare-table")
    table.wait_for()
    for profile in ("walk", "wheelchair"):
        expected = api_route(server, profile)
        row = table.locator(f"tr[data-profile='{profile}']")
        assert (
            row.locator("td[data-verdict]").get_attribute("data-verdict")
            == (expected["accessibility"]["verdict"])
        )
    record(page, "console-compare")


def test_staff_closure_changes_the_route_and_is_deleted(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    route = api_route(server, "wheelchair")
    coords = route["geometry"]["coordinates"]
    middle = len(coords) // 2
    (lon1, lat1), (lon2, lat2) = coords[middle - 1][:2], coords[middle][:2]

    open_console(page, console_url, "routes")
    before = distance_in(plan(page, "wheelchair"))

    log_in(page, server)
    page.get_by_test_id("tab-staff").click()
    page.get_by_test_id("obs-geomtype").select_option("LineString")
    page.get_by_test_id("obs-coords").fill(f"{lat1},{lon1}\n{lat2},{lon2}")
    page.get_by_test_id("obs-effect").select_option("closed")
    page.get_by_test_id("obs-reason").fill("Baustelle (Konsolen-Test)")
    page.get_by_test_id("obs-save").click()
    wait_until(page, "() => document.getElementById('obs-id').value !== ''")
    obstacle_id = page.get_by_test_id("obs-id").input_value()
    item = page.get_by_test_id(f"obstacle-{obstacle_id}")
    item.wait_for()
    assert "Baustelle (Konsolen-Test)" in item.inner_text()
    settle_map(page)
    record(page, "console-staff")

    page.get_by_test_id("tab-routes").click()
    after = distance_in(plan(page, "wheelchair"))
    assert after != before  # the closed stretch is avoided
    rerouted = api_route(server, "wheelchair")
    assert distance_in(f"{rerouted['distance_m']:.0f} m") == pytest.approx(after, abs=1.0)
    assert rerouted["obstacles"]["avoided"], rerouted["obstacles"]

    page.get_by_test_id("tab-staff").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id(f"obstacle-delete-{obstacle_id}").click()
    page.get_by_test_id(f"obstacle-{obstacle_id}").wait_for(state="detached")
    listed = httpx.get(f"{server.url}/obstacles", headers=staff_headers(server), timeout=10)
    assert obstacle_id not in {o["id"] for o in listed.json()["obstacles"]}
    page.get_by_test_id("tab-routes").click()
    assert distance_in(plan(page, "wheelchair")) == pytest.approx(before, abs=1.0)


def test_staff_accepts_a_citizen_report(
    server: Server, console_url: str, page: Any, record: Callable[[Any, str], None]
) -> None:
    report = httpx.post(
        f"{server.url}/reports",
        json={
            "geometry": {"type": "Point", "coordinates": [7.7705, 49.4430]},
            "description": "Aufzug am Rathaus defekt (Konsolen-Test)",
        },
        timeout=10,
    )
    assert report.status_code in (200, 201, 202), report.text
    report_id = report.json()["id"]

    open_console(page, console_url)
    log_in(page, server)
    page.get_by_test_id("tab-staff").click()
    page.get_by_test_id(f"report-{report_id}").wait_for()
    page.get_by_test_id("report-effect").select_option("closed")
    page.get_by_test_id(f"report-accept-{report_id}").click()
    page.get_by_test_id(f"report-{report_id}").wait_for(state="detached")
    wait_until(
        page,
        "() => [...document.querySelectorAll('#obs-list li')]"
        ".some(li => li.textContent.includes('Konsolen-Test'))",
    )
    shown = httpx.get(f"{server.url}/reports/{report_id}", headers=staff_headers(server))
    if shown.status_code == 200:
        assert shown.json()["status"] == "accepted"
    record(page, "console-reports")


def test_small_benchmark_runs_and_opens(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    open_console(page, console_url)
    log_in(page, server)
    page.get_by_test_id("tab-testers").click()
    page.get_by_test_id("bench-pairs").fill("3")
    page.get_by_test_id("bench-seed").fill("1")
    page.get_by_test_id("bench-start").click()
    wait_until(
        page,
        "() => /\\b(done|failed|interrupted|error)\\b/"
        ".test(document.getElementById('bench-message').textContent)",
        timeout_ms=LONG_MS * 3,
    )
    message = page.get_by_test_id("bench-message").inner_text()
    assert "fail" not in message, message
    assert "error" not in message, message
    detail = page.get_by_test_id("bench-detail")
    assert detail.locator("table tr").count() > 0
    runs = httpx.get(f"{server.url}/bench/runs", headers=staff_headers(server), timeout=10).json()
    runs = runs if isinstance(runs, list) else runs["runs"]
    assert page.get_by_test_id(f"bench-open-{runs[0]['id']}").count() == 1
    page.get_by_test_id(f"bench-open-{runs[0]['id']}").click()
    detail.locator("h3").wait_for()
    # every plot the page shows has loaded: fetched with the key, shown as blob:, decoded (the
    # view may be drawn again while a run's figures arrive, so all is checked in one condition)
    wait_until(
        page,
        "() => { const imgs = [...document.querySelectorAll('#bench-detail img')];"
        " return imgs.length > 0 && imgs.every(i => i.src.startsWith('blob:') && i.complete"
        " && i.naturalWidth > 0); }",
        timeout_ms=LONG_MS,
    )
    assert page.console_errors == []
    record(page, "console-testers")


def test_priorities_view(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    open_console(page, console_url, "priorities")
    page.get_by_test_id("prio-trips").fill("20")
    page.get_by_test_id("prio-load").click()
    wait_until(page, "() => /^\\d+$/.test(document.getElementById('prio-message').textContent)")
    shown = int(page.get_by_test_id("prio-message").inner_text())
    assert page.locator("#prio-list li").count() == shown
    record(page, "console-priorities")
    # the blind preset's priorities hold nodes too: junctions drawn as points, named in the list
    page.get_by_test_id("prio-profile").select_option("blind")
    page.evaluate("document.getElementById('prio-message').textContent = ''")
    page.get_by_test_id("prio-load").click()
    wait_until(page, "() => /^\\d+$/.test(document.getElementById('prio-message').textContent)")
    junctions = page.locator('#prio-list li[data-kind="junction"]')
    assert junctions.count() > 0
    assert "junction where no crossing is mapped" in junctions.first.inner_text()
    assert page.console_errors == []


def test_language_switch(
    server: Server,
    console_url: str,
    page: Any,
    record: Callable[[Any, str], None],
) -> None:
    open_console(page, console_url)
    page.get_by_test_id("lang-select").select_option("en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_test_id("tab-routes").inner_text() == "Routes"
    page.get_by_test_id("lang-select").select_option("de")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.get_by_test_id("tab-routes").inner_text() == "Routen"
    assert "OpenStreetMap" in page.get_by_test_id("osm-attribution").inner_text()
    record(page, "console-de")


def test_tabs_work_with_the_keyboard(server: Server, console_url: str, page: Any) -> None:
    open_console(page, console_url)
    page.get_by_test_id("tab-map").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_test_id("tab-routes").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-routes"
    assert page.locator("#panel-routes").is_visible()
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.id") == "tab-testers"
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.id") == "tab-map"
    page.keyboard.press("Tab")  # focus leaves the tab list into the open panel
    assert page.evaluate("document.activeElement.closest('[role=tablist]') === null")


#: Text from the public and the staff (a citizen's report, an obstacle's reason) that would be
#: markup if a page put it into HTML: a bold element to find and a style sheet that hides the map.
MARKUP = '<b data-injected="1">fett</b><style>#map{visibility:hidden}</style>'


def test_texts_on_the_map_are_shown_as_text_not_markup(
    server: Server, console_url: str, page: Any
) -> None:
    """A citizen's report description and an obstacle's reason are shown in the map's tooltips
    as the characters they are: a report is public, so markup in it must not change the page
    a member of staff works on (the console's CSP already stops scripts; not styles or
    elements)."""
    report = httpx.post(
        f"{server.url}/reports",
        json={
            "geometry": {"type": "Point", "coordinates": [7.7700, 49.4440]},
            "description": MARKUP,
        },
        timeout=10,
    )
    assert report.status_code in (200, 201, 202), report.text
    coords = api_route(server, "walk")["geometry"]["coordinates"]
    obstacle = httpx.post(
        f"{server.url}/obstacles",
        json={
            "geometry": {"type": "Point", "coordinates": coords[len(coords) // 2][:2]},
            "effect": {"closed": True},
            "reason": MARKUP,
        },
        headers=staff_headers(server),
        timeout=10,
    )
    assert obstacle.status_code == 201, obstacle.text
    try:
        open_console(page, console_url)
        log_in(page, server)
        page.get_by_test_id("show-reports").check()
        for colour, label in (("#762a83", "Report"), ("#b00020", "Obstacle")):
            markers = page.locator(f"#map path.leaflet-interactive[fill='{colour}']")
            shown: list[str] = []
            for _ in range(3):  # the map may redraw its layers between the look and the hovers
                markers.first.wait_for()
                for marker in markers.all():  # other tests' reports and obstacles too
                    # the pointer's events, dispatched on the marker itself: another layer's
                    # line may lie over it, or the marker outside the map's view
                    marker.dispatch_event("mouseover")
                    page.locator(".leaflet-tooltip").first.wait_for()
                    shown += page.locator(".leaflet-tooltip").all_inner_texts()
                    marker.dispatch_event("mouseout")
                if f"{label}: {MARKUP}" in shown:
                    break
            assert f"{label}: {MARKUP}" in shown, shown
        assert page.locator("[data-injected]").count() == 0
        assert page.evaluate("getComputedStyle(document.getElementById('map')).visibility") == "visible"  # fmt: skip
    finally:
        httpx.delete(
            f"{server.url}/obstacles/{obstacle.json()['id']}",
            headers=staff_headers(server),
            timeout=10,
        )
