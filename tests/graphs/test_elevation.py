"""Tests for graphs.elevation: DEM readers, bilinear heights and baseline-smoothed edge inclines."""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.elevation import Dem, DemError, edge_inclines_percent
from graphs.geodesy import METRES_PER_DEGREE

N3 = 1201
CELL = 1.0 / 1200  # SRTM3 cell size in degrees
M_LAT = METRES_PER_DEGREE  # the one earth model (graphs.geodesy)
M_LON_EQ = METRES_PER_DEGREE


def _m_per_lon(lat: float) -> float:
    return M_LON_EQ * math.cos(math.radians(lat))


def _write_hgt(path: Path, grid: np.ndarray) -> Path:
    raw = np.asarray(grid, dtype=">i2").tobytes()
    path.write_bytes(gzip.compress(raw, compresslevel=1) if path.name.endswith(".gz") else raw)
    return path


def _srtm_plane() -> np.ndarray:
    """200 m + 3 m per column eastwards: ~5 % uphill to the east at lat 49.5 (cells ~60 m)."""
    cols = np.arange(N3, dtype=np.int16)
    return np.broadcast_to(200 + 3 * cols, (N3, N3))


def _plane_incline(lat: float) -> float:
    return 3.0 / (CELL * _m_per_lon(lat)) * 100.0


def _edges(*polylines: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (geom_first, geom_lon, geom_lat) of polylines given as (lon, lat) lists."""
    first = np.cumsum([0] + [len(p) for p in polylines])
    lon = np.array([v[0] for p in polylines for v in p])
    lat = np.array([v[1] for p in polylines for v in p])
    return first, lon, lat


def _east(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lon + metres / _m_per_lon(lat), lat


def _north(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lon, lat + metres / M_LAT


def _geotiff(
    path: Path,
    data: np.ndarray,
    *,
    corner: tuple[float, float] = (7.0, 50.0),
    scale: tuple[float, float] = (0.01, 0.01),
    extra: list[tuple] | None = None,
    geo: bool = True,
) -> Path:
    tags = []
    if geo:
        tags = [
            (33550, "d", 3, (scale[0], scale[1], 0.0), True),
            (33922, "d", 6, (0.0, 0.0, 0.0, corner[0], corner[1], 0.0), True),
        ]
    tifffile.imwrite(path, data, extratags=tags + (extra or []))
    return path


@pytest.fixture(scope="module")
def plane_hgt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_hgt(tmp_path_factory.mktemp("plane") / "N49E007.hgt", _srtm_plane())


@pytest.fixture(scope="module")
def plane_dem(plane_hgt: Path) -> Dem:
    return Dem.open(plane_hgt)


@pytest.fixture(scope="module")
def random_grid() -> np.ndarray:
    return np.random.default_rng(1).integers(150, 450, size=(N3, N3), dtype=np.int16)


@pytest.fixture(scope="module")
def random_dem(tmp_path_factory: pytest.TempPathFactory, random_grid: np.ndarray) -> Dem:
    return Dem.open(_write_hgt(tmp_path_factory.mktemp("rand") / "N49E007.hgt", random_grid))


# --- reading -------------------------------------------------------------------------------------


def test_hgt_and_gzip_give_the_same_grid(plane_hgt: Path, tmp_path: Path) -> None:
    gz = _write_hgt(tmp_path / "srtm3-N49E007.hgt.gz", _srtm_plane())
    a, b = Dem.open(plane_hgt), Dem.open(str(gz))
    assert a.heights.dtype == np.float32
    assert a.heights.shape == (N3, N3)
    np.testing.assert_array_equal(a.heights, b.heights)
    assert b.path == gz
    assert a.bounds == pytest.approx((7.0, 49.0, 8.0, 50.0), abs=1e-12)


def test_tile_name_sets_the_corner_with_south_and_west_negative(tmp_path: Path) -> None:
    dem = Dem.open(_write_hgt(tmp_path / "S12W077.hgt", np.zeros((N3, N3))))
    assert dem.bounds == pytest.approx((-77.0, -12.0, -76.0, -11.0), abs=1e-12)


def test_srtm1_size_is_recognised(tmp_path: Path) -> None:
    dem = Dem.open(_write_hgt(tmp_path / "N49E007.hgt", np.zeros((3601, 3601))))
    assert dem.heights.shape == (3601, 3601)
    assert dem.cell_lon == pytest.approx(1 / 3600)
    assert dem.bounds == pytest.approx((7.0, 49.0, 8.0, 50.0), abs=1e-12)


def test_elevation_at_grid_points_equals_the_grid(random_dem: Dem, random_grid: np.ndarray) -> None:
    r = np.array([0, 0, 1200, 1200, 17, 600, 999])
    c = np.array([0, 1200, 0, 1200, 433, 601, 5])
    h = random_dem.elevation_m(7.0 + c * CELL, 50.0 - r * CELL)
    assert h.dtype == np.float64
    np.testing.assert_allclose(h, random_grid[r, c], atol=1e-6)


def test_elevation_is_bilinear_between_grid_points(
    random_dem: Dem, random_grid: np.ndarray
) -> None:
    r, c, fr, fc = 300, 700, 0.75, 0.25
    g = random_grid.astype(np.float64)
    expected = (
        g[r, c] * (1 - fr) * (1 - fc)
        + g[r, c + 1] * (1 - fr) * fc
        + g[r + 1, c] * fr * (1 - fc)
        + g[r + 1, c + 1] * fr * fc
    )
    lon = 7.0 + (c + fc) * CELL
    lat = 50.0 - (r + fr) * CELL
    assert random_dem.elevation_m(np.array([lon]), np.array([lat]))[0] == pytest.approx(expected)
    mid = random_dem.elevation_m(7.0 + (c + 0.5) * CELL, 50.0 - (r + 0.5) * CELL)
    assert float(mid) == pytest.approx(g[r : r + 2, c : c + 2].mean())


def test_elevation_is_nan_outside_the_grid(plane_dem: Dem) -> None:
    lon = np.array([6.999, 8.001, 7.5, 7.5, 7.0, 8.0])
    lat = np.array([49.5, 49.5, 50.001, 48.999, 49.0, 50.0])
    h = plane_dem.elevation_m(lon, lat)
    assert np.isnan(h[:4]).all()
    assert h[4:] == pytest.approx([200.0, 200.0 + 3 * 1200])


def test_voids_become_nan(tmp_path: Path) -> None:
    grid = np.full((N3, N3), 300, dtype=np.int16)
    grid[600, 600] = -32768
    dem = Dem.open(_write_hgt(tmp_path / "N49E007.hgt", grid))
    assert np.isnan(dem.heights[600, 600])
    near = dem.elevation_m(7.0 + 600.5 * CELL, 50.0 - 599.5 * CELL)  # a cell touching the void
    far = dem.elevation_m(7.0 + 300.5 * CELL, 50.0 - 300.5 * CELL)
    assert np.isnan(near)
    assert float(far) == pytest.approx(300.0)
    lat = 50.0 - 600 * CELL
    across = [_east(lat, 7.0 + 599 * CELL, 0), _east(lat, 7.0 + 599 * CELL, 120)]
    away = [_east(lat - 0.1, 7.2, 0), _east(lat - 0.1, 7.2, 30)]
    first, lon, lat_ = _edges(across, away)
    inc = edge_inclines_percent(dem, first, lon, lat_, np.array([120.0, 30.0]))
    assert np.isnan(inc[0])
    assert inc[1] == pytest.approx(0.0, abs=1e-6)


def test_geotiff_is_read_with_pixel_is_area_tiepoint(tmp_path: Path) -> None:
    data = np.arange(20, dtype=np.float32).reshape(4, 5) + 100
    dem = Dem.open(_geotiff(tmp_path / "dem.tif", data, corner=(7.0, 50.0), scale=(0.01, 0.02)))
    assert dem.first_lon == pytest.approx(7.005)
    assert dem.first_lat == pytest.approx(49.99)
    assert dem.bounds == pytest.approx((7.005, 49.93, 7.045, 49.99))
    h = dem.elevation_m(np.array([7.005, 7.045, 7.015]), np.array([49.99, 49.93, 49.97]))
    assert h == pytest.approx([100.0, 119.0, 106.0])


def test_geotiff_pixel_is_point_and_nodata(tmp_path: Path) -> None:
    data = np.full((4, 5), 250.0, dtype=np.float32)
    data[0, 0] = -9999.0
    geokeys = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4326)
    extra = [(34735, "H", len(geokeys), geokeys, True), (42113, "s", 0, "-9999", True)]
    dem = Dem.open(_geotiff(tmp_path / "dem.tiff", data, extra=extra))
    assert (dem.first_lon, dem.first_lat) == pytest.approx((7.0, 50.0))
    assert np.isnan(dem.heights[0, 0])
    assert np.isnan(dem.elevation_m(7.005, 49.995))
    assert float(dem.elevation_m(7.025, 49.975)) == pytest.approx(250.0)


def test_geotiff_float_plane_gives_exact_incline(tmp_path: Path) -> None:
    lat0, step = 49.45, 0.001
    rows, cols = 200, 300
    centre_lats = lat0 - (np.arange(rows) + 0.5) * step
    east_m = (np.arange(cols) + 0.5) * step * M_LON_EQ
    # 4 % per metre east at each row's own latitude.
    grid = 250 + 0.04 * east_m[None, :] * np.cos(np.radians(centre_lats))[:, None]
    tif = _geotiff(
        tmp_path / "plane.tif", grid.astype(np.float32), corner=(7.7, lat0), scale=(step, step)
    )
    dem = Dem.open(tif)
    lat = 49.4
    first, lon, lat_ = _edges([(7.8, lat), _east(lat, 7.8, 40)])
    inc = edge_inclines_percent(dem, first, lon, lat_, np.array([40.0]))
    assert inc[0] == pytest.approx(4.0, abs=0.02)


# --- errors --------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DemError, match=r"does not exist"):
        Dem.open(tmp_path / "N49E007.hgt")


def test_wrong_size(tmp_path: Path) -> None:
    (tmp_path / "N49E007.hgt").write_bytes(b"\0" * 1000)
    with pytest.raises(DemError, match=r"1000 bytes.*SRTM1.*SRTM3"):
        Dem.open(tmp_path / "N49E007.hgt")


def test_corrupt_gzip(tmp_path: Path) -> None:
    (tmp_path / "N49E007.hgt.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DemError, match=r"cannot be read"):
        Dem.open(tmp_path / "N49E007.hgt.gz")


def test_bad_tile_name(tmp_path: Path) -> None:
    path = _write_hgt(tmp_path / "kaiserslautern.hgt", np.zeros((N3, N3)))
    with pytest.raises(DemError, match=r"no SRTM tile name"):
        Dem.open(path)


def test_unsupported_extension(tmp_path: Path) -> None:
    (tmp_path / "dem.asc").write_text("ncols 2\n")
    with pytest.raises(DemError, match=r"unsupported file type"):
        Dem.open(tmp_path / "dem.asc")


def test_geotiff_without_geo_tags(tmp_path: Path) -> None:
    path = _geotiff(tmp_path / "plain.tif", np.zeros((3, 3), np.float32), geo=False)
    with pytest.raises(DemError, match=r"without GeoTIFF ModelPixelScale and ModelTiepoint"):
        Dem.open(path)


def test_geotiff_projected_is_rejected(tmp_path: Path) -> None:
    geokeys = (1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 25832)
    extra = [(34735, "H", len(geokeys), geokeys, True)]
    path = _geotiff(tmp_path / "utm.tif", np.zeros((3, 3), np.float32), extra=extra)
    with pytest.raises(DemError, match=r"not in geographic WGS84 degrees.*EPSG:25832"):
        Dem.open(path)


def test_geotiff_rotated_is_rejected(tmp_path: Path) -> None:
    matrix = (0.01, 0.001, 0, 7, 0.001, -0.01, 0, 50, 0, 0, 0, 0, 0, 0, 0, 1)
    extra = [(34264, "d", 16, matrix, True)]
    path = _geotiff(tmp_path / "rot.tif", np.zeros((3, 3), np.float32), geo=False, extra=extra)
    with pytest.raises(DemError, match=r"rotated"):
        Dem.open(path)


def test_check_covers_names_both_boxes(plane_dem: Dem) -> None:
    plane_dem.check_covers(7.717, 49.418, 7.821, 49.457)
    with pytest.raises(DemError) as err:
        plane_dem.check_covers(13.42, 52.47, 13.45, 52.49)
    msg = str(err.value)
    assert "lat 52.47–52.49, lon 13.42–13.45" in msg
    assert "it covers lat 49–50, lon 7–8" in msg
    assert str(plane_dem.path) in msg
    with pytest.raises(DemError):  # partly outside
        plane_dem.check_covers(7.9, 49.9, 8.1, 50.0)


def test_bad_edge_layout_is_rejected(plane_dem: Dem) -> None:
    lon, lat = np.array([7.5, 7.6]), np.array([49.5, 49.5])
    with pytest.raises(ValueError, match="at least 2 vertices"):
        edge_inclines_percent(plane_dem, np.array([0, 1, 2]), lon, lat, np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="entries"):
        edge_inclines_percent(plane_dem, np.array([0, 2]), lon, lat, np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="baseline_m"):
        edge_inclines_percent(plane_dem, np.array([0, 2]), lon, lat, np.array([1.0]), baseline_m=0)


# --- inclines ------------------------------------------------------------------------------------


def test_inclines_on_a_plane(plane_dem: Dem) -> None:
    lat, lon = 49.5, 7.5
    a = (lon, lat)
    east, north = _east(lat, lon, 70), _north(lat, lon, 70)
    chord = 200.0
    b = _east(lat, lon, chord)
    # A zig-zag whose walked length is twice its chord.
    apex = (b[0] * 0.5 + a[0] * 0.5, lat + math.sqrt(3) / 2 * chord / M_LAT)
    first, glon, glat = _edges([a, east], [east, a], [a, north], [a, apex, b], [a, (7.51, 49.5), a])
    length = np.array([70.0, 70.0, 70.0, 2 * chord, 1500.0])
    inc = edge_inclines_percent(plane_dem, first, glon, glat, length)
    assert inc.dtype == np.float32
    assert inc.shape == (5,)
    expected = _plane_incline(lat)
    assert abs(inc[0] - 5.0) < 0.2
    assert inc[0] == pytest.approx(expected, abs=0.01)
    assert inc[1] == pytest.approx(-expected, abs=0.01)
    assert inc[2] == pytest.approx(0.0, abs=0.01)
    assert inc[3] == pytest.approx(expected / 2, abs=0.01)
    assert inc[4] == 0.0  # closed loop


def test_short_edge_across_a_step_gets_no_cliff(tmp_path: Path) -> None:
    grid = np.full((N3, N3), 200, dtype=np.int16)
    grid[:, 601:] = 210  # a 10 m step between columns 600 and 601
    dem = Dem.open(_write_hgt(tmp_path / "N49E007.hgt", grid))
    lat = 49.5
    centre = 7.0 + 600.5 * CELL
    a, b = _east(lat, centre, -2.5), _east(lat, centre, 2.5)
    first, lon, lat_ = _edges([a, b], [b, a])
    inc = edge_inclines_percent(dem, first, lon, lat_, np.array([5.0, 5.0]))
    assert 0 < inc[0] < 15
    assert inc[1] == pytest.approx(-inc[0])
    # Differencing the DEM at the ends of the 5 m edge would be steeper, and nearest-cell
    # heights would give 10 m / 5 m = 200 %.
    h = dem.elevation_m(np.array([a[0], b[0]]), np.array([lat, lat]))
    assert (h[1] - h[0]) / 5.0 * 100 > 15


def test_outside_the_dem_is_nan(plane_dem: Dem) -> None:
    first, lon, lat = _edges([(7.9999, 49.5), (8.0005, 49.5)], [(9.0, 49.5), (9.0, 49.5)])
    inc = edge_inclines_percent(plane_dem, first, lon, lat, np.array([40.0, 0.0]))
    assert np.isnan(inc).all()


def test_no_edges(plane_dem: Dem) -> None:
    inc = edge_inclines_percent(plane_dem, np.array([0]), np.array([]), np.array([]), np.array([]))
    assert inc.shape == (0,)
    assert inc.dtype == np.float32


@settings(max_examples=50, deadline=None)
@given(
    lon=st.floats(7.1, 7.9),
    lat=st.floats(49.1, 49.9),
    bearing=st.floats(0, 2 * math.pi),
    metres=st.floats(1.0, 500.0),
)
def test_reversing_an_edge_negates_its_incline(
    random_dem: Dem, lon: float, lat: float, bearing: float, metres: float
) -> None:
    b = (
        lon + metres * math.sin(bearing) / _m_per_lon(lat),
        lat + metres * math.cos(bearing) / M_LAT,
    )
    first, glon, glat = _edges([(lon, lat), b], [b, (lon, lat)])
    inc = edge_inclines_percent(random_dem, first, glon, glat, np.array([metres, metres]))
    assert np.isfinite(inc).all()
    assert inc[1] == pytest.approx(-inc[0], abs=1e-3)


# --- real data -----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_srtm_tile_covers_kaiserslautern(shared_file: Callable[[str], Path]) -> None:
    dem = Dem.open(shared_file("srtm3-N49E007.hgt.gz"))
    assert dem.bounds == pytest.approx((7.0, 49.0, 8.0, 50.0), abs=CELL / 2)
    h = float(dem.elevation_m(7.7690, 49.4447))
    assert 200 < h < 300
    dem.check_covers(7.717, 49.418, 7.821, 49.457)
    with pytest.raises(DemError, match=r"lat 52.47–52.49, lon 13.42–13.45.*lat 49–50, lon 7–8"):
        dem.check_covers(13.42, 52.47, 13.45, 52.49)
