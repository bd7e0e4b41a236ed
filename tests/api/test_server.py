"""The real server: ``python -m api.cli serve`` on a free loopback port, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.serving import running_server

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running ``stufenlos serve`` on the centre graph (stopped afterwards)."""
    with running_server(centre_graph_dir, tmp_path_factory.mktemp("server")) as base:
        yield base


def test_health_over_http(server: str) -> None:
    response = httpx.get(f"{server}/health", timeout=10.0)
    assert response.status_code == 200
    assert (
        "server" not in response.headers
    )  # no software banner (api.http_protocol.uvicorn_options)
    assert response.headers["date"].endswith(" GMT")  # the real HTTP server's
    body = response.json()
    assert body["status"] == "ok"
    assert body["graph"]["nodes"] > 0
    assert "© OpenStreetMap contributors" in body["attribution"]


def test_route_over_http(server: str) -> None:
    request = {
        "origin": {"lat": 49.4444, "lon": 7.7712},
        "destination": {"lat": 49.4417, "lon": 7.7617},
        "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 4}},
        "language": "en",
    }
    with httpx.Client(base_url=server, timeout=30.0) as client:
        response = client.post("/routes", json=request, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert response.headers["content-encoding"] == "gzip"
    body = response.json()
    assert "© OpenStreetMap contributors" in body["attribution"]
    assert body["profile"]["name"] == "wheelchair"
    assert body["profile"]["max_kerb_height_cm"] == 4
    route = body["routes"][0]
    assert 600 < route["distance_m"] < 1500
    coords = route["geometry"]["coordinates"]
    assert route["geometry"]["type"] == "LineString"
    assert all(7.76 < lon < 7.78 and 49.43 < lat < 49.45 for lon, lat in coords)
    assert route["steps"][0]["type"] == "depart"
    assert route["steps"][-1]["type"] == "arrive"


def test_error_over_http_has_no_traceback(server: str) -> None:
    response = httpx.post(
        f"{server}/routes", json={"origin": {"lat": 91, "lon": 7.77}}, timeout=10.0
    )
    assert response.status_code == 422
    assert set(response.json()) == {"code", "message", "details"}
    assert "Traceback" not in response.text


def test_without_the_kernels_build_the_jit_serves_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``stufenlos serve`` makes the kernels' ahead-of-time build first; where that fails (no C
    compiler) the JIT serves, with a warning, unless the build was asked for."""
    import routing.kernel_build
    from accessibility_rules.kernel_loading import KernelBuildError
    from api.preload import prepare_kernels

    def fail(**_: object) -> Path:
        raise KernelBuildError("the kernels' ahead-of-time build failed:\ncc: not found")

    monkeypatch.setattr(routing.kernel_build, "ensure_built", fail)
    monkeypatch.setenv("STUFENLOS_KERNELS", "auto")
    prepare_kernels()
    err = capsys.readouterr().err
    assert "cc: not found" in err
    assert "numba's JIT serves instead" in err
    monkeypatch.setenv("STUFENLOS_KERNELS", "compiled")
    with pytest.raises(KernelBuildError):
        prepare_kernels()
    monkeypatch.setenv("STUFENLOS_KERNELS", "jit")
    prepare_kernels()  # nothing to build
    assert capsys.readouterr().err == ""
