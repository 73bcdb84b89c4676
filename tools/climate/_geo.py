"""Sphere geometry, grid lookups and the land mask. Longitudes in degrees east, latitudes north."""

from __future__ import annotations

import numpy as np

from toolwise.tools.climate._data import land_mask

EARTH_RADIUS_KM = 6371.0
EARTH_AREA_KM2 = 4 * np.pi * EARTH_RADIUS_KM**2


def wrap_longitude(lon: np.ndarray | float) -> np.ndarray:
    """Longitudes mapped into [-180, 180)."""
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def to_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.deg2rad(lat), np.deg2rad(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def from_xyz(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xyz = xyz / np.linalg.norm(xyz, axis=-1, keepdims=True)
    lat = np.rad2deg(np.arcsin(np.clip(xyz[..., 2], -1, 1)))
    lon = np.rad2deg(np.arctan2(xyz[..., 1], xyz[..., 0]))
    return lat, lon


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (haversine)."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dp, dl = p2 - p1, np.deg2rad(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def densify_route(
    lat: np.ndarray, lon: np.ndarray, spacing_km: float = 25.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample points along the great-circle arcs joining consecutive waypoints.

    Returns the midpoints of sub-segments at most ``spacing_km`` long, and each
    sub-segment's length: a route integral is ``sum(f(lat_mid, lon_mid) * length)``.
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    mids_lat, mids_lon, lengths = [], [], []
    xyz = to_xyz(lat, lon)
    for k in range(len(lat) - 1):
        seg = float(distance_km(lat[k], lon[k], lat[k + 1], lon[k + 1]))
        if seg == 0:
            continue
        n = max(1, int(np.ceil(seg / spacing_km)))
        omega = seg / EARTH_RADIUS_KM
        t = (np.arange(n) + 0.5) / n
        a, b = xyz[k], xyz[k + 1]
        if np.sin(omega) < 1e-12:
            pts = np.outer(1 - t, a) + np.outer(t, b)
        else:
            pts = (np.outer(np.sin((1 - t) * omega), a) + np.outer(np.sin(t * omega), b)) / np.sin(omega)
        la, lo = from_xyz(pts)
        mids_lat.append(la)
        mids_lon.append(lo)
        lengths.append(np.full(n, seg / n))
    if not lengths:
        return np.empty(0), np.empty(0), np.empty(0)
    return np.concatenate(mids_lat), np.concatenate(mids_lon), np.concatenate(lengths)


def is_land(lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """True where the point lies on land in the Natural Earth 1:110m outlines (0.1 degree cells)."""
    mask, step = land_mask()
    lat = np.clip(np.asarray(lat, float), -90, 90)
    i = np.clip(((90.0 - lat) / step).astype(int), 0, mask.shape[0] - 1)
    j = np.clip(((wrap_longitude(lon) + 180.0) / step).astype(int), 0, mask.shape[1] - 1)
    return mask[i, j]


def bilinear(field: np.ndarray, step: float, lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """Bilinear interpolation of a global grid whose rows start at 90N and columns at 0E (periodic)."""
    nlat, nlon = field.shape
    y = (90.0 - np.clip(np.asarray(lat, float), -90, 90)) / step
    x = (np.asarray(lon, float) % 360.0) / step
    i0 = np.clip(np.floor(y).astype(int), 0, nlat - 2)
    fy = np.clip(y - i0, 0, 1)
    j0 = np.floor(x).astype(int) % nlon
    fx = x - np.floor(x)
    j1 = (j0 + 1) % nlon
    top = field[i0, j0] * (1 - fx) + field[i0, j1] * fx
    bottom = field[i0 + 1, j0] * (1 - fx) + field[i0 + 1, j1] * fx
    return top * (1 - fy) + bottom * fy


def cell_area_weights(lats: np.ndarray, nlon: int) -> np.ndarray:
    """Area weights (proportional to cos latitude) of a regular grid, rows = latitudes."""
    return np.cos(np.deg2rad(lats))[:, None] * np.ones((1, nlon))


def points_in_polygon(lat: np.ndarray, lon: np.ndarray, poly_lat: np.ndarray, poly_lon: np.ndarray) -> np.ndarray:
    """Even-odd rule in the longitude-latitude plane (the polygon must not cross the 180th meridian)."""
    inside = np.zeros(np.shape(lat), dtype=bool)
    n = len(poly_lat)
    for k in range(n):
        y1, x1 = poly_lat[k], poly_lon[k]
        y2, x2 = poly_lat[(k + 1) % n], poly_lon[(k + 1) % n]
        crosses = (y1 > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (lon < x_at)
    return inside
