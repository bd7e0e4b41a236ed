"""Terrain heights from a digital elevation model (DEM) and the inclines of graph edges.

The graph build uses the DEM only for ways whose incline is not tagged in OpenStreetMap: an
``incline=*`` tag measured on the ground is preferred to the model wherever it exists.

SRTM cells are about 90 m apart (3 arc-seconds; ~60 m east-west at Kaiserslautern's latitude), and
the heights are rounded to whole metres. Differencing the model at the two ends of a 5 m footway
would turn a cell boundary or a rounding step into a cliff. :func:`edge_inclines_percent` therefore
measures the slope over a baseline the model can resolve (at least ``baseline_m``, default 90 m)
centred on the edge, with a least-squares fit over several samples along it.

Readers: SRTM ``.hgt`` / ``.hgt.gz`` tiles (SRTM1 and SRTM3) and north-up GeoTIFFs in WGS84
degrees (via ``tifffile``). Heights are held as float32 with NaN for voids.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from numpy.typing import ArrayLike

from graphs.geodesy import METRES_PER_DEGREE

__all__ = ["Dem", "DemError", "edge_inclines_percent"]


_SRTM_SIZES = {1201: "SRTM3", 3601: "SRTM1"}
_SRTM_VOID = -32768
_SRTM_NAME = re.compile(r"([NS])(\d{2})([EW])(\d{3})", re.IGNORECASE)
_SAMPLES = 7  # the two baseline ends and five evenly spaced points between them
_ZERO_CHORD_M = 1e-3

# GeoTIFF tags and GeoKeys.
_TAG_PIXEL_SCALE = 33550
_TAG_TIEPOINT = 33922
_TAG_TRANSFORMATION = 34264
_TAG_GEOKEYS = 34735
_TAG_GDAL_NODATA = 42113
_KEY_MODEL_TYPE = 1024  # 1 projected, 2 geographic, 3 geocentric
_KEY_RASTER_TYPE = 1025  # 1 PixelIsArea (default), 2 PixelIsPoint
_KEY_GEOGRAPHIC_TYPE = 2048
_KEY_ANGULAR_UNITS = 2054
_KEY_PROJECTED_TYPE = 3072
_EPSG_WGS84 = 4326
_UNIT_DEGREE = 9102


class DemError(ValueError):
    """A DEM file cannot be used, or does not cover the area asked for (one-sentence message)."""


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True, eq=False)
class Dem:
    """A north-up height grid in WGS84 degrees.

    ``heights[r, c]`` (float32 metres, NaN = void) is the height at the cell centre
    lon = ``first_lon + c * cell_lon``, lat = ``first_lat - r * cell_lat`` (rows go southwards).
    """

    heights: np.ndarray
    first_lon: float
    first_lat: float
    cell_lon: float
    cell_lat: float
    path: Path | None = None

    def __post_init__(self) -> None:
        h = np.array(self.heights, dtype=np.float32)  # private, read-only copy
        if h.ndim != 2 or h.shape[0] < 2 or h.shape[1] < 2:
            raise DemError(
                f"{self._name()} must be a 2-D grid of at least 2×2 cells, not {h.shape}"
            )
        if not (self.cell_lon > 0 and self.cell_lat > 0):
            raise DemError(
                f"{self._name()} has non-positive cell sizes {self.cell_lon}, {self.cell_lat}"
            )
        h.setflags(write=False)
        object.__setattr__(self, "heights", h)
        object.__setattr__(self, "path", None if self.path is None else Path(self.path))

    def _name(self) -> str:
        return f"elevation model {self.path}" if self.path is not None else "elevation model"

    @classmethod
    def open(cls, path: str | Path) -> Dem:
        """Read an SRTM ``.hgt``/``.hgt.gz`` tile or a north-up WGS84 GeoTIFF ``.tif``/``.tiff``."""
        p = Path(path)
        name = p.name.lower()
        if not p.is_file():
            raise DemError(f"elevation model {p} does not exist or is not a file")
        if name.endswith((".hgt", ".hgt.gz")):
            return cls._open_hgt(p)
        if name.endswith((".tif", ".tiff")):
            return cls._open_geotiff(p)
        raise DemError(
            f"elevation model {p} has an unsupported file type "
            "(expected .hgt, .hgt.gz, .tif or .tiff)"
        )

    @classmethod
    def _open_hgt(cls, p: Path) -> Dem:
        m = _SRTM_NAME.search(p.name)
        if m is None:
            raise DemError(
                f"elevation model {p} has no SRTM tile name such as N49E007 "
                "giving its south-west corner"
            )
        lat_sw = int(m[2]) * (1 if m[1].upper() == "N" else -1)
        lon_sw = int(m[4]) * (1 if m[3].upper() == "E" else -1)
        if not (-90 <= lat_sw < 90 and -180 <= lon_sw < 180):
            raise DemError(f"elevation model {p} names an impossible tile corner {m[0]}")
        try:
            raw = (
                gzip.decompress(p.read_bytes())
                if p.name.lower().endswith(".gz")
                else p.read_bytes()
            )
        except (OSError, EOFError, zlib.error) as e:
            raise DemError(f"elevation model {p} cannot be read ({e})") from e
        n = next((k for k in _SRTM_SIZES if len(raw) == 2 * k * k), None)
        if n is None:
            raise DemError(
                f"elevation model {p} has {len(raw)} bytes of data, which is neither SRTM1 "
                f"(3601×3601 cells) nor SRTM3 (1201×1201 cells) 16-bit heights"
            )
        grid = np.frombuffer(raw, dtype=">i2").reshape(n, n)
        heights = grid.astype(np.float32)
        heights[grid == _SRTM_VOID] = np.nan
        cell = 1.0 / (n - 1)
        return cls(heights, float(lon_sw), float(lat_sw + 1), cell, cell, p)

    @classmethod
    def _open_geotiff(cls, p: Path) -> Dem:
        try:
            with tifffile.TiffFile(p) as tf:
                page = tf.pages.first
                tags = {t.code: t.value for t in page.tags}
                data = page.asarray()
        except Exception as e:  # tifffile raises many kinds of errors for broken files
            raise DemError(f"elevation model {p} cannot be read as a TIFF ({e})") from e
        if _TAG_TRANSFORMATION in tags:
            raise DemError(f"elevation model {p} is rotated or sheared (ModelTransformationTag)")
        if _TAG_PIXEL_SCALE not in tags or _TAG_TIEPOINT not in tags:
            raise DemError(
                f"elevation model {p} is a TIFF without GeoTIFF "
                "ModelPixelScale and ModelTiepoint tags"
            )
        keys = _geokeys(tags.get(_TAG_GEOKEYS))
        model = keys.get(_KEY_MODEL_TYPE, 2)
        if model != 2 or _KEY_PROJECTED_TYPE in keys:
            epsg = keys.get(_KEY_PROJECTED_TYPE)
            crs = f" (EPSG:{epsg})" if epsg is not None else ""
            raise DemError(
                f"elevation model {p} is not in geographic WGS84 degrees "
                f"but model type {model}{crs}"
            )
        geog = keys.get(_KEY_GEOGRAPHIC_TYPE, _EPSG_WGS84)
        if geog != _EPSG_WGS84:
            raise DemError(f"elevation model {p} uses geographic CRS {geog}, not WGS84 (EPSG:4326)")
        if keys.get(_KEY_ANGULAR_UNITS, _UNIT_DEGREE) != _UNIT_DEGREE:
            raise DemError(f"elevation model {p} does not use degrees as its angular unit")
        scale = tuple(float(v) for v in tags[_TAG_PIXEL_SCALE])
        tie = tuple(float(v) for v in tags[_TAG_TIEPOINT])
        if len(scale) < 2 or len(tie) != 6:
            raise DemError(f"elevation model {p} needs exactly one tiepoint and a pixel scale")
        sx, sy = scale[0], scale[1]
        if not (sx > 0 and sy > 0):
            raise DemError(f"elevation model {p} is not north-up (pixel scale {sx}, {sy})")
        if data.ndim != 2:
            raise DemError(f"elevation model {p} has {data.shape} samples; expected a single band")
        i, j, _, x, y, _ = tie
        lon0, lat0 = x - i * sx, y + j * sy
        if keys.get(_KEY_RASTER_TYPE, 1) != 2:  # PixelIsArea: the tiepoint is a pixel corner
            lon0, lat0 = lon0 + sx / 2, lat0 - sy / 2
        heights = data.astype(np.float32)
        nodata = tags.get(_TAG_GDAL_NODATA)
        if nodata is not None:
            try:
                nd = float(str(nodata).strip().strip("\x00"))
            except ValueError as e:
                raise DemError(
                    f"elevation model {p} has an unreadable nodata value {nodata!r}"
                ) from e
            heights[data == nd] = np.nan
        heights[~np.isfinite(heights)] = np.nan
        dem = cls(heights, lon0, lat0, sx, sy, p)
        west, south, east, north = dem.bounds
        if not (-180 - sx <= west and east <= 180 + sx and -90 - sy <= south and north <= 90 + sy):
            raise DemError(f"elevation model {p} has coordinates outside WGS84 degree ranges")
        return dem

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the cell centres: where heights are defined."""
        rows, cols = self.heights.shape
        return (
            self.first_lon,
            self.first_lat - (rows - 1) * self.cell_lat,
            self.first_lon + (cols - 1) * self.cell_lon,
            self.first_lat,
        )

    def elevation_m(self, lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
        """Bilinearly interpolated heights (float64 metres), NaN outside the grid or by voids;
        scalars give a 0-d array."""
        lon, lat = np.broadcast_arrays(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
        rows, cols = self.heights.shape
        c = (lon - self.first_lon) / self.cell_lon
        r = (self.first_lat - lat) / self.cell_lat
        tol = 1e-6  # forgive rounding at the exact grid edges
        ok = (c >= -tol) & (c <= cols - 1 + tol) & (r >= -tol) & (r <= rows - 1 + tol)
        c = np.clip(np.where(ok, c, 0.0), 0.0, cols - 1)
        r = np.clip(np.where(ok, r, 0.0), 0.0, rows - 1)
        c0 = np.minimum(c.astype(np.intp), cols - 2)
        r0 = np.minimum(r.astype(np.intp), rows - 2)
        fc, fr = c - c0, r - r0
        flat = self.heights.ravel()
        i00 = r0 * cols + c0
        h00 = flat[i00].astype(np.float64)
        h01 = flat[i00 + 1].astype(np.float64)
        h10 = flat[i00 + cols].astype(np.float64)
        h11 = flat[i00 + cols + 1].astype(np.float64)
        top = h00 * (1.0 - fc) + h01 * fc
        bottom = h10 * (1.0 - fc) + h11 * fc
        out = top * (1.0 - fr) + bottom * fr
        return np.where(ok, out, np.nan)

    def check_covers(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> None:
        """Raise :class:`DemError` unless the box lies inside :attr:`bounds`."""
        w, s, e, n = self.bounds
        eps = 1e-9
        if min_lon >= w - eps and max_lon <= e + eps and min_lat >= s - eps and max_lat <= n + eps:
            return
        raise DemError(
            f"{self._name()} does not cover the area (lat {_fmt(min_lat)}–{_fmt(max_lat)}, "
            f"lon {_fmt(min_lon)}–{_fmt(max_lon)}); it covers lat {_fmt(s)}–{_fmt(n)}, "
            f"lon {_fmt(w)}–{_fmt(e)}"
        )


def _geokeys(directory: object) -> dict[int, int]:
    """Short-valued GeoKeys (those stored in the directory itself) from a GeoKeyDirectoryTag."""
    if directory is None:
        return {}
    v = [int(x) for x in np.asarray(directory).ravel()]
    n = v[3] if len(v) >= 4 else 0
    keys: dict[int, int] = {}
    for k in range(n):
        entry = v[4 + 4 * k : 8 + 4 * k]
        if len(entry) == 4 and entry[1] == 0:
            keys[entry[0]] = entry[3]
    return keys


def edge_inclines_percent(
    dem: Dem,
    geom_first: np.ndarray,
    geom_lon: np.ndarray,
    geom_lat: np.ndarray,
    length_m: np.ndarray,
    *,
    baseline_m: float = 90.0,
) -> np.ndarray:
    """Signed incline of each edge in percent (float32), positive uphill from first to last vertex.

    Edge ``i`` is the polyline ``geom_lon[geom_first[i]:geom_first[i + 1]]`` (same for lat) with at
    least two vertices, and ``length_m[i]`` is its walked length.

    The DEM is not differenced at the edge's ends: with cells ~90 m apart, a 5 m edge lying across
    a cell boundary (or a whole-metre rounding step) would get a cliff. Instead the slope is fitted
    by least squares to ``7`` heights sampled evenly along the chord direction (first to last
    vertex) over a baseline ``max(length_m, baseline_m)`` centred on the chord's midpoint, which
    smooths over the grid. That slope is scaled by ``chord / length_m``, since a winding edge
    climbs less per metre walked than its chord does. Closed loops (zero chord) get 0. The result
    is NaN wherever a sample has no DEM value (outside the model or next to a void).
    """
    if not baseline_m > 0:
        raise ValueError(f"baseline_m must be positive, not {baseline_m}")
    first = np.asarray(geom_first, dtype=np.intp)
    lon = np.asarray(geom_lon, dtype=np.float64)
    lat = np.asarray(geom_lat, dtype=np.float64)
    length = np.asarray(length_m, dtype=np.float64)
    n = length.shape[0]
    if first.shape != (n + 1,):
        raise ValueError(
            f"geom_first must have len(length_m) + 1 = {n + 1} entries, not {first.shape}"
        )
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("geom_lon and geom_lat must be 1-D arrays of the same length")
    if n and (np.any(np.diff(first) < 2) or first[0] < 0 or first[-1] > lon.shape[0]):
        raise ValueError("geom_first must index at least 2 vertices per edge within geom_lon")

    a, b = first[:-1], first[1:] - 1
    mid_lon = (lon[a] + lon[b]) / 2
    mid_lat = (lat[a] + lat[b]) / 2
    m_per_lon = METRES_PER_DEGREE * np.cos(np.radians(mid_lat))  # as metres_per_degree()
    dx = (lon[b] - lon[a]) * m_per_lon
    dy = (lat[b] - lat[a]) * METRES_PER_DEGREE
    chord = np.hypot(dx, dy)
    loop = chord <= _ZERO_CHORD_M
    safe = np.where(loop, 1.0, chord)
    ux, uy = np.where(loop, 0.0, dx / safe), np.where(loop, 0.0, dy / safe)

    base = np.maximum(length, baseline_m)
    steps = np.linspace(-0.5, 0.5, _SAMPLES)  # symmetric, so the fit needs no mean of t
    t = base[:, None] * steps[None, :]  # metres along the chord from its midpoint
    s_lon = mid_lon[:, None] + t * (ux / m_per_lon)[:, None]
    s_lat = mid_lat[:, None] + t * (uy / METRES_PER_DEGREE)[:, None]
    h = dem.elevation_m(s_lon, s_lat)
    slope = (t * h).sum(axis=1) / (base * base * float(steps @ steps))

    ratio = np.where(length > chord, chord / np.where(length > 0, length, 1.0), 1.0)
    incline = slope * 100.0 * ratio
    incline = np.where(loop & np.isfinite(slope), 0.0, incline)
    return incline.astype(np.float32)
