"""Precompute the FaIR ensemble runs the climate tools read at run time.

Run once by a maintainer (not at import, not in tests)::

    python -m toolwise.tools.climate.prepare.fair_runs --shared ../shared/data/climate

It needs ``fair`` (Apache-2.0) and three inputs that users never need:
the RCMIP v5.1.0 SSP emissions (CC-BY-4.0) and the FaIR calibration 1.4.1
constrained ensemble with its solar/volcanic forcing (Apache-2.0, from the
FaIR repository). The output, ``data/fair_responses.npz``, holds ensemble-mean
global surface air temperature (GSAT) anomalies relative to 1850-1900:

* ``baseline[ssp, year]`` for the four SSPs;
* ``no_aerosol[ssp, year]``: aerosol precursors (SO2, BC, OC, NH3) held at 1750
  levels, so ``baseline - no_aerosol`` is the aerosol-driven part;
* ``scaled[ssp, species, percent, year]``: one species' emissions multiplied by
  ``1 + percent/100`` in every year from 2015 on (CO2 = fossil + AFOLU);
* ``combo[ssp, year]``: CO2 +50 %, CH4 -50 %, SO2 -50 %, BC +50 % at once, to check
  that the tools may add single-species responses;
* ``*_half0`` / ``*_half1``: the same means over two disjoint halves of the members,
  to check that answer keys do not hinge on ensemble sampling;
* the 5/50/95 % ensemble range of 2081-2100 and 2011-2020 warming for the docs.

Every config of one fixed random subset of the 841 calibrated members is run
for every case, so differences between cases are free of sampling noise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

SSPS = ("ssp126", "ssp245", "ssp370", "ssp585")
SCALED_SPECIES = ("CO2", "CH4", "SO2", "BC")
PERCENT_GRID = tuple(range(-100, 101, 10))
PERTURBATION_START = 2015
AEROSOL_PRECURSORS = ("Sulfur", "BC", "OC", "NH3")
COMBO = {"CO2": 50, "CH4": -50, "SO2": -50, "BC": 50}  # one joint perturbation, to check additivity
FAIR_SPECIES = {"CO2": ("CO2 FFI", "CO2 AFOLU"), "CH4": ("CH4",), "SO2": ("Sulfur",), "BC": ("BC",)}
START, END = 1750, 2101  # FaIR timebounds; timepoints are the mid-years 1750.5 ... 2100.5
OUT_YEARS = np.arange(1850, 2101)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def _rcmip_name(specie: str) -> str:
    special = {"CO2 FFI": "CO2|MAGICC Fossil and Industrial", "CO2 AFOLU": "CO2|MAGICC AFOLU"}
    return special.get(specie, specie.replace("-", ""))


def emission_table(rcmip_csv: Path, species: list[str], input_modes: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Per SSP: rows = FaIR emitted species, columns = years 1750-2100, gaps interpolated, RCMIP units."""
    df = pd.read_csv(rcmip_csv)
    df = df[df["Region"] == "World"]
    years = [str(y) for y in range(START, END)]
    tables = {}
    for ssp in SSPS:
        block = df[df["Scenario"] == ssp]
        rows, units = {}, {}
        for specie in species:
            if input_modes[specie] != "emissions":
                continue
            match = block[block["Variable"].str.endswith("|" + _rcmip_name(specie))]
            if len(match) != 1:
                raise ValueError(f"{ssp}: expected one RCMIP row for {specie}, found {len(match)}")
            values = match[years].astype(float).interpolate(axis=1, limit_direction="both").to_numpy()[0]
            rows[specie] = values
            units[specie] = match["Unit"].iloc[0]
        table = pd.DataFrame.from_dict(rows, orient="index", columns=years)
        table.insert(0, "unit", pd.Series(units))
        tables[ssp] = table
    return tables


def cases() -> list[tuple[str, str, str, int]]:
    """(case name, ssp, kind, percent) for every run: baseline, no_aerosol, scaled species."""
    out = []
    for ssp in SSPS:
        out.append((f"{ssp}|baseline", ssp, "baseline", 0))
        out.append((f"{ssp}|no_aerosol", ssp, "no_aerosol", 0))
        out.append((f"{ssp}|combo", ssp, "combo", 0))
        for species in SCALED_SPECIES:
            for pct in PERCENT_GRID:
                if pct != 0:
                    out.append((f"{ssp}|{species}|{pct}", ssp, species, pct))
    return out


def case_frame(tables: dict[str, pd.DataFrame], batch: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """The emissions of a batch of cases in FaIR's ``fill_from_pandas`` layout (timepoints as columns)."""
    frames = []
    year_cols = [str(y) for y in range(START, END)]
    start_col = year_cols.index(str(PERTURBATION_START))
    for name, ssp, kind, pct in batch:
        table = tables[ssp].copy()
        values = table[year_cols].to_numpy(copy=True)
        if kind == "no_aerosol":
            for specie in AEROSOL_PRECURSORS:
                i = table.index.get_loc(specie)
                values[i, :] = values[i, 0]
        elif kind != "baseline":
            factors = COMBO if kind == "combo" else {kind: pct}
            for species_name, percent in factors.items():
                for specie in FAIR_SPECIES[species_name]:
                    i = table.index.get_loc(specie)
                    values[i, start_col:] *= 1.0 + percent / 100.0
        frame = pd.DataFrame(values, columns=[f"{y}.5" for y in range(START, END)])
        frame.insert(0, "unit", table["unit"].to_numpy())
        frame.insert(0, "variable", table.index.to_numpy())
        frame.insert(0, "region", "World")
        frame.insert(0, "scenario", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_batch(shared: Path, configs: list[int], batch: list[tuple[str, str, str, int]], tables) -> np.ndarray:
    """GSAT anomaly (case, config, year 1850-2100) relative to each config's 1850-1900 mean."""
    from fair import FAIR
    from fair.interface import fill, initialise
    from fair.io import read_properties

    params = shared / "fair-calibrated_constrained_parameters_calibration1.4.1.csv"
    species_file = shared / "fair-species_configs_properties_calibration1.4.1.csv"
    f = FAIR(ch4_method="Thornhill2021")
    f.define_time(START, END, 1)
    f.define_scenarios([c[0] for c in batch])
    f.define_configs(configs)
    species, properties = read_properties(filename=str(species_file))
    f.define_species(species, properties)
    f.allocate()
    f.fill_from_pandas("emissions", case_frame(tables, batch))

    df_cfg = pd.read_csv(params, index_col=0).loc[configs]
    forcing = pd.read_csv(shared / "fair-volcanic_solar.csv", encoding="utf-8-sig")
    bounds = [str(y) for y in range(START, END + 1)]
    for specie in ("Volcanic", "Solar"):
        row = forcing[forcing["Variable"] == specie].iloc[0]
        series = row[bounds].astype(float).to_numpy()
        scale = df_cfg[f"forcing_scale[{specie}]"].to_numpy()
        fill(f.forcing, series[:, None, None] * scale[None, None, :], specie=specie)

    f.fill_species_configs(str(species_file))
    f.override_defaults(str(params))
    initialise(f.concentration, f.species_configs["baseline_concentration"])
    initialise(f.forcing, 0)
    initialise(f.temperature, 0)
    initialise(f.cumulative_emissions, 0)
    initialise(f.airborne_emissions, 0)
    initialise(f.ocean_heat_content_change, 0)
    f.run(progress=False)

    # surface layer temperature on timebounds; annual means = average of the two bounds of each year
    t = f.temperature.sel(layer=0).to_numpy()  # (timebounds, scenario, config)
    annual = 0.5 * (t[:-1] + t[1:])  # years 1750..2100
    years = np.arange(START, END)
    ref = annual[(years >= 1850) & (years <= 1900)].mean(axis=0)
    anomaly = annual - ref[None]
    keep = (years >= OUT_YEARS[0]) & (years <= OUT_YEARS[-1])
    return np.transpose(anomaly[keep], (1, 2, 0))  # (case, config, year)


def ensemble_means(results: dict[str, np.ndarray], members: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(baseline, no_aerosol, scaled) means over the selected members."""
    n_years = len(OUT_YEARS)
    baseline = np.stack([results[f"{s}|baseline"][members].mean(axis=0) for s in SSPS])
    no_aerosol = np.stack([results[f"{s}|no_aerosol"][members].mean(axis=0) for s in SSPS])
    scaled = np.zeros((len(SSPS), len(SCALED_SPECIES), len(PERCENT_GRID), n_years))
    for a, ssp in enumerate(SSPS):
        for b, species_name in enumerate(SCALED_SPECIES):
            for c, pct in enumerate(PERCENT_GRID):
                key = f"{ssp}|baseline" if pct == 0 else f"{ssp}|{species_name}|{pct}"
                scaled[a, b, c] = results[key][members].mean(axis=0)
    return baseline, no_aerosol, scaled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, required=True, help="folder with the RCMIP and FaIR calibration files")
    parser.add_argument("--members", type=int, default=200, help="calibrated members to run (random subset of 841)")
    parser.add_argument("--seed", type=int, default=20241104)
    parser.add_argument("--batch", type=int, default=21, help="cases per FaIR object (memory bound)")
    parser.add_argument("--out", type=Path, default=DATA_DIR / "fair_responses.npz")
    args = parser.parse_args()

    from fair.io import read_properties

    species, properties = read_properties(
        filename=str(args.shared / "fair-species_configs_properties_calibration1.4.1.csv")
    )
    modes = {s: properties[s]["input_mode"] for s in species}
    tables = emission_table(args.shared / "rcmip-emissions-annual-means-v5-1-0-ssp-only.csv", species, modes)
    all_configs = pd.read_csv(
        args.shared / "fair-calibrated_constrained_parameters_calibration1.4.1.csv", index_col=0
    ).index.to_list()
    rng = np.random.default_rng(args.seed)
    configs = sorted(int(c) for c in rng.choice(all_configs, size=args.members, replace=False))

    all_cases = cases()
    results: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    for i in range(0, len(all_cases), args.batch):
        batch = all_cases[i : i + args.batch]
        runs = run_batch(args.shared, configs, batch, tables)
        for (name, *_), run in zip(batch, runs, strict=True):
            results[name] = run
        print(f"{i + len(batch)}/{len(all_cases)} cases, {time.perf_counter() - start:.0f} s", flush=True)

    # the full ensemble mean, and the means of two disjoint halves (even / odd members) for robustness checks
    members = {"mean": slice(None), "half0": slice(0, None, 2), "half1": slice(1, None, 2)}
    arrays = {name: ensemble_means(results, sel) for name, sel in members.items()}
    baseline, no_aerosol, scaled = arrays["mean"]
    late = (OUT_YEARS >= 2081) & (OUT_YEARS <= 2100)
    recent = (OUT_YEARS >= 2011) & (OUT_YEARS <= 2020)
    pct_levels = np.array([5.0, 50.0, 95.0])
    late_range = np.stack([np.percentile(results[f"{s}|baseline"][:, late].mean(axis=1), pct_levels) for s in SSPS])
    recent_range = np.percentile(results["ssp245|baseline"][:, recent].mean(axis=1), pct_levels)
    np.savez_compressed(
        args.out,
        years=OUT_YEARS,
        ssps=np.array(SSPS),
        species=np.array(SCALED_SPECIES),
        percent_grid=np.array(PERCENT_GRID, dtype=float),
        perturbation_start=np.array(PERTURBATION_START),
        baseline=baseline.astype(np.float32),
        no_aerosol=no_aerosol.astype(np.float32),
        scaled=scaled.astype(np.float32),
        configs=np.array(configs),
        **{
            f"{part}_{name}": arr.astype(np.float32)
            for name in ("half0", "half1")
            for part, arr in zip(("baseline", "no_aerosol", "scaled"), arrays[name], strict=True)
        },
        combo=np.stack([results[f"{s}|combo"].mean(axis=0) for s in SSPS]).astype(np.float32),
        combo_percents=np.array([COMBO[k] for k in SCALED_SPECIES], dtype=float),
        late_century_percentiles=late_range,
        recent_decade_percentiles=recent_range,
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
