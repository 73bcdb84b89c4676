"""Shipping routes for the open-ended task: the rules a route must meet, its emulated effect, and a route search.

A route is a list of (latitude, longitude) waypoints joined by great-circle
arcs. It is valid when it starts and ends at the ports, consecutive points are
at least ``MIN_SPACING_KM`` apart, every waypoint between the ports is at sea,
the arcs stay at sea away from the ports, and it is no longer than the stated
maximum. Its effect is the global-mean temperature change from the emulator
(``toolwise.tools.climate._aerosol``), the same numbers the route tool returns.

The search finds a good route on a 1-degree sea graph with Dijkstra: when the
species warms at the margin it minimises the efficiency-weighted length, when it
cools it maximises it within the length limit (a sweep of Lagrangian weights
``r + nu`` or ``mu - r``), then thins each node path to waypoints that keep the
rules and returns the best.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from toolwise.tools.climate import _aerosol
from toolwise.tools.climate._geo import densify_route, distance_km, from_xyz, is_land, to_xyz, wrap_longitude
from toolwise.tools.climate._pattern import land_fraction

MIN_SPACING_KM = 200.0
PORT_TOLERANCE_KM = 50.0  # the first/last point must be this close to the port
PORT_EXEMPT_KM = 150.0  # arcs may cross land this close to a port (harbours, estuaries, coarse coastlines)
GRID_STEP = 1.0
GRID_LAT_RANGE = (-75.0, 85.0)
PORT_LINK_KM = 350.0
COASTAL_LAND_FRACTION = 0.35  # search nodes keep off coasts and narrow straits


@dataclass
class RouteCheck:
    valid: bool
    reason: str = ""
    length_km: float = 0.0
    delta_t: float = 0.0  # K, global mean
    extra: dict = field(default_factory=dict)


def route_delta_t(
    lat: np.ndarray, lon: np.ndarray, scenario: str, species: str, year: int, percent: float
) -> tuple[float, float]:
    """(global-mean temperature change in K, length in km) of a route, exactly as the route tool computes it."""
    length, fraction, eff = _aerosol.route_effect(np.asarray(lat, float), wrap_longitude(np.asarray(lon, float)))
    return _aerosol.regional_change(scenario, species, year, percent, fraction, eff), length


def check_route(
    lat: np.ndarray,
    lon: np.ndarray,
    port_a: tuple[float, float],
    port_b: tuple[float, float],
    max_length_km: float,
) -> RouteCheck:
    """Apply the route rules; the reason names the first one broken."""
    lat, lon = np.asarray(lat, float), wrap_longitude(np.asarray(lon, float))
    if len(lat) < 2:
        return RouteCheck(False, "a route needs at least two points")
    if np.any(np.abs(lat) > 90):
        return RouteCheck(False, "a latitude is outside [-90, 90]")
    d_start = float(distance_km(lat[0], lon[0], *port_a))
    d_end = float(distance_km(lat[-1], lon[-1], *port_b))
    if d_start > PORT_TOLERANCE_KM or d_end > PORT_TOLERANCE_KM:
        return RouteCheck(
            False,
            f"the route must start and end at the ports (start is {d_start:.0f} km from the first port, "
            f"end is {d_end:.0f} km from the second; at most {PORT_TOLERANCE_KM:.0f} km allowed)",
        )
    gaps = distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    if np.any(gaps < MIN_SPACING_KM):
        k = int(np.argmin(gaps))
        return RouteCheck(False, f"points {k} and {k + 1} are {gaps[k]:.0f} km apart (minimum {MIN_SPACING_KM:.0f} km)")
    inner_land = np.nonzero(is_land(lat[1:-1], lon[1:-1]))[0]
    if len(inner_land):
        k = int(inner_land[0]) + 1
        return RouteCheck(False, f"point {k} (latitude {lat[k]:.2f}, longitude {lon[k]:.2f}) is on land")
    crossing, mid_lat, mid_lon, seg = land_crossings(lat, lon, port_a, port_b)
    if np.any(crossing):
        k = int(np.nonzero(crossing)[0][0])
        return RouteCheck(False, f"the route crosses land near latitude {mid_lat[k]:.1f}, longitude {mid_lon[k]:.1f}")
    length = float(seg.sum())
    if length > max_length_km:
        return RouteCheck(
            False, f"the route is {length:.0f} km long (maximum {max_length_km:.0f} km)", length_km=length
        )
    return RouteCheck(True, "", length_km=length)


def land_crossings(lat, lon, port_a, port_b) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which 25 km sub-segments of the arcs lie on land away from the ports (and the samples themselves)."""
    mid_lat, mid_lon, seg = densify_route(lat, lon)
    near_port = (distance_km(mid_lat, mid_lon, *port_a) < PORT_EXEMPT_KM) | (
        distance_km(mid_lat, mid_lon, *port_b) < PORT_EXEMPT_KM
    )
    return is_land(mid_lat, mid_lon) & ~near_port, mid_lat, mid_lon, seg


# ----------------------------------------------------------------------------- search graph


@cache
def _sea_graph() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sea nodes (lat, lon) and edges (i, j, length km, midpoint efficiency per species)."""
    lats = np.arange(GRID_LAT_RANGE[0] + GRID_STEP / 2, GRID_LAT_RANGE[1], GRID_STEP)
    lons = np.arange(-180 + GRID_STEP / 2, 180, GRID_STEP)
    lat2d, lon2d = np.meshgrid(lats, lons, indexing="ij")
    sea = ~is_land(lat2d, lon2d) & (land_fraction(lat2d, lon2d) < COASTAL_LAND_FRACTION)
    node_id = -np.ones(sea.shape, dtype=int)
    node_id[sea] = np.arange(sea.sum())
    nlat = sea.shape[0]
    src, dst = [], []
    for di, dj in [(0, 1), (1, 0), (1, 1), (1, -1), (1, 2), (1, -2), (2, 1), (2, -1)]:
        i0 = np.arange(max(0, -di), nlat - max(0, di))
        a = node_id[i0][:, :]
        b = np.roll(node_id, -dj, axis=1)[i0 + di]
        ok = (a >= 0) & (b >= 0)
        src.append(a[ok])
        dst.append(b[ok])
    src_a, dst_a = np.concatenate(src), np.concatenate(dst)
    node_lat, node_lon = lat2d[sea], lon2d[sea]
    keep = _arcs_at_sea(node_lat[src_a], node_lon[src_a], node_lat[dst_a], node_lon[dst_a])
    src_a, dst_a = src_a[keep], dst_a[keep]
    length = distance_km(node_lat[src_a], node_lon[src_a], node_lat[dst_a], node_lon[dst_a])
    mid_lat, mid_lon = _midpoints(node_lat[src_a], node_lon[src_a], node_lat[dst_a], node_lon[dst_a])
    eff = _aerosol.efficiency(mid_lat, mid_lon)
    return node_lat, node_lon, src_a, dst_a, length, eff, sea


def _midpoints(lat1, lon1, lat2, lon2, t: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Points a fraction t along the arcs (normalised chord: exact at 0, 1/2, 1, close elsewhere)."""
    a, b = to_xyz(lat1, lon1), to_xyz(lat2, lon2)
    return from_xyz((1 - t) * a + t * b)


def _arcs_at_sea(
    lat1, lon1, lat2, lon2, samples: int = 8, exempt: list[tuple[float, float]] | None = None
) -> np.ndarray:
    ok = np.ones(np.shape(lat1), dtype=bool)
    for t in np.linspace(0, 1, samples):
        la, lo = _midpoints(lat1, lon1, lat2, lon2, t)
        land = is_land(la, lo)
        if exempt:
            for port in exempt:
                land &= distance_km(la, lo, *port) >= PORT_EXEMPT_KM
        ok &= ~land
    return ok


@dataclass
class SearchResult:
    lat: np.ndarray
    lon: np.ndarray
    length_km: float
    delta_t: float


def _port_edges(
    port: tuple[float, float], node_lat: np.ndarray, node_lon: np.ndarray, ports: list[tuple[float, float]]
):
    d = distance_km(port[0], port[1], node_lat, node_lon)
    near = np.nonzero(d < PORT_LINK_KM)[0]
    plat = np.full(len(near), port[0])
    plon = np.full(len(near), port[1])
    ok = _arcs_at_sea(plat, plon, node_lat[near], node_lon[near], samples=12, exempt=ports)
    near = near[ok]
    mid_lat, mid_lon = _midpoints(
        np.full(len(near), port[0]), np.full(len(near), port[1]), node_lat[near], node_lon[near]
    )
    return near, d[near], _aerosol.efficiency(mid_lat, mid_lon)


def search_route(
    port_a: tuple[float, float], port_b: tuple[float, float], direction: str, max_length_km: float | None
) -> list[tuple[float, float]] | None:
    """Waypoints (lat, lon) of a route that minimises (``direction="min"``) or maximises (``"max"``) sum(r * ds).

    ``max_length_km=None`` gives the shortest sea route instead. The temperature change of a route is
    sensitivity x sum(r * ds) up to constants, so "min" is right when the species warms at the margin and
    "max" when it cools.
    """
    node_lat, node_lon, src, dst, length, eff, _ = _sea_graph()
    n = len(node_lat)
    a_near, a_len, a_eff = _port_edges(port_a, node_lat, node_lon, [port_a, port_b])
    b_near, b_len, b_eff = _port_edges(port_b, node_lat, node_lon, [port_a, port_b])
    if not len(a_near) or not len(b_near):
        return None
    ia, ib = n, n + 1
    all_src = np.concatenate([src, dst, np.full(len(a_near), ia), b_near])
    all_dst = np.concatenate([dst, src, a_near, np.full(len(b_near), ib)])
    all_len = np.concatenate([length, length, a_len, b_len])
    all_eff = np.concatenate([eff, eff, a_eff, b_eff])

    def path_for(weights: np.ndarray) -> list[int] | None:
        graph = coo_matrix((weights, (all_src, all_dst)), shape=(n + 2, n + 2)).tocsr()
        _, pred = dijkstra(graph, directed=True, indices=ia, return_predecessors=True)
        if pred[ib] < 0:
            return None
        path = [ib]
        while path[-1] != ia:
            path.append(int(pred[path[-1]]))
        return path[::-1]

    def waypoints(path: list[int] | None) -> list[tuple[float, float]] | None:
        if path is None:
            return None
        la, lo = _coords(path, node_lat, node_lon, port_a, port_b)
        return _thin(la, lo, port_a, port_b)

    if max_length_km is None:
        return waypoints(path_for(all_len))
    # Lagrangian sweep: each multiplier gives a path on the trade-off between length and sum(r * ds);
    # keep the thinned routes that pass the rules and return the one with the best objective.
    if direction == "min":  # minimise sum(r * ds): weights r + nu, nu >= 0
        weights = [all_len * (all_eff + nu) for nu in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 4.0, 10.0)]
        sign = 1.0
    else:  # maximise sum(r * ds): weights mu - r with mu above the largest r
        top = float(all_eff.max())
        weights = [all_len * (top * f - all_eff) for f in (1.001, 1.01, 1.03, 1.06, 1.1, 1.2, 1.35, 1.5, 2, 3, 5, 10)]
        sign = -1.0
    best, best_value = None, np.inf
    for w in weights:
        route = waypoints(path_for(w))
        if route is None:
            continue
        lat, lon = np.array(route).T
        check = check_route(lat, lon, port_a, port_b, max_length_km)
        if not check.valid:
            continue
        length, _, eff = _aerosol.route_effect(lat, lon)
        value = sign * length * eff
        if value < best_value:
            best, best_value = route, value
    return best


def _coords(path, node_lat, node_lon, port_a, port_b) -> tuple[np.ndarray, np.ndarray]:
    n = len(node_lat)
    lat = np.array([port_a[0] if k == n else port_b[0] if k == n + 1 else node_lat[k] for k in path])
    lon = np.array([port_a[1] if k == n else port_b[1] if k == n + 1 else node_lon[k] for k in path])
    return lat, lon


def _thin(
    lat: np.ndarray, lon: np.ndarray, port_a, port_b, max_hop_km: float = 1500.0
) -> list[tuple[float, float]] | None:
    """Greedy: from each kept point jump to the farthest later node 200+ km away whose arc passes the route rules."""
    kept = [0]
    i, last = 0, len(lat) - 1
    while i < last:
        nxt = None
        for j in range(last, i, -1):
            d = float(distance_km(lat[i], lon[i], lat[j], lon[j]))
            if d > max_hop_km or d < MIN_SPACING_KM:
                continue
            crossing, *_ = land_crossings(lat[[i, j]], lon[[i, j]], port_a, port_b)
            if not crossing.any():
                nxt = j
                break
        if nxt is None:
            if distance_km(lat[i], lon[i], lat[last], lon[last]) < MIN_SPACING_KM and len(kept) > 1:
                # too close to the port for a last hop: re-aim the previous point at the port
                prev = kept[-2]
                crossing, *_ = land_crossings(lat[[prev, last]], lon[[prev, last]], port_a, port_b)
                if not crossing.any() and distance_km(lat[prev], lon[prev], lat[last], lon[last]) <= max_hop_km:
                    kept[-1] = last
                    break
            return None
        kept.append(nxt)
        i = nxt
    return [(float(lat[k]), float(lon[k])) for k in kept]


def great_circle_route(port_a, port_b) -> list[tuple[float, float]]:
    """Waypoints on the great circle between the ports, about every 500 km (at least MIN_SPACING apart)."""
    d = float(distance_km(*port_a, *port_b))
    n = max(1, int(d // 500))
    t = np.linspace(0, 1, n + 1)
    a, b = to_xyz(np.array(port_a[0]), np.array(port_a[1])), to_xyz(np.array(port_b[0]), np.array(port_b[1]))
    omega = d / 6371.0
    pts = (np.outer(np.sin((1 - t) * omega), a) + np.outer(np.sin(t * omega), b)) / np.sin(omega)
    la, lo = from_xyz(pts)
    return list(zip(la.tolist(), lo.tolist(), strict=True))


def straight_route(port_a, port_b) -> list[tuple[float, float]]:
    """Waypoints on the straight line in the longitude-latitude plane (shorter way round in longitude), every ~500 km."""
    dlon = float(wrap_longitude(port_b[1] - port_a[1]))
    d = float(distance_km(*port_a, *port_b))
    n = max(1, int(d // 500))
    t = np.linspace(0, 1, n + 1)
    la = port_a[0] + t * (port_b[0] - port_a[0])
    lo = wrap_longitude(port_a[1] + t * dlon)
    return list(zip(la.tolist(), lo.tolist(), strict=True))
