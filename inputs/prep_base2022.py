#!/usr/bin/python3
"""Backtest inputs: South Korea starting from 2022-12-31 (inputs/korea/base2022/).

Usage
-----
    /usr/bin/python3 inputs/prep_base2022.py RAW_DIR [--out inputs/korea/base2022]

RAW_DIR is laid out like shared/data/korea (FACTS.md, section 11).  The script
writes a second configuration whose base population is the registered state of
December 2022 and whose rates are the 2023 ones of inputs/korea (fertility,
mortality, migration and the other rate tables are referenced as ../*.csv), so
that a one-year projection 2022 -> 2023 can be compared with the registered
residents of December 2023 (analysis/score.py).  The rates are in-sample for
2023: the backtest measures the engine's accounting and its distribution of the
events over regions, sexes and ages, not the forecasting of the rates.

Tables written (formats of inputs/korea, see inputs/korea/README.md):
  baseline.toml, population_age5.csv, population.csv, population_foreign.csv,
  households.csv, assumptions_medium.csv, README.md

Deterministic (no random numbers; byte-identical on re-runs).  A raw file that
is missing or malformed stops the script with the file and what was expected.
It imports inputs/prep_population.py and inputs/prep_foreign.py and reuses
their methods; it reads inputs/korea/{regions,population,households,
assumptions_medium,baseline}.{csv,toml} (the 2023 configuration).
"""
import argparse
import os
import re
import sys

import numpy as np
import pandas as pd

from prep_common import InputError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import prep_foreign as pf  # noqa: E402
import prep_population as pp  # noqa: E402

YEAR = 2022
REF_DATE = "2022-12-31"
TOTAL_2022 = 51_200_910                       # MOIS residents (거주자), 2022-12-31 (FACTS.md 11)
KOREA = os.path.join(HERE, "korea")
HH_FILE_H1 = "mois_resident_registration/2023_first_half_registered_population_and_household_monthly.csv"
# observed rows of the assumptions (KOSTAT headline values, rounded as in inputs/korea)
OBS = {
    2022: dict(tfr=0.78, e0=(79.9, 85.6), nim=88_000,
               status="observed TFR and e0 (KOSTAT 2022); NIM observed (KOSTAT international migration 2022); row not used by a run from 2022"),
    2023: dict(tfr=0.72, e0=(80.6, 86.4), nim=121_000,
               status="observed TFR and e0 (KOSTAT 2023); NIM observed (KOSTAT international migration 2023 +121000)"),
}
NIM_NATIONALS = -444       # as in inputs/korea/assumptions_medium.csv (mean 2022-2023 of the nationals' own net)
# tables of this folder; every other [inputs] table of the configuration is ../name.  The household
# tables living_alone, living_alone_national and households_by_size of Dec 2022 are written here by
# inputs/prep_households.py.
LOCAL_TABLES = ("population", "population_age5", "population_foreign", "households", "assumptions",
                "living_alone", "living_alone_national", "households_by_size")


def _expect(cond, path, what):
    if not cond:
        raise InputError(f"malformed {path}: expected {what}")


def _recode(c):
    """Dec-2022 MOIS code -> Dec-2023 code (Gangwon 42xx -> 51xx, Gunwi-gun -> Daegu)."""
    if c == "4772000000":
        return "2772000000"
    return "51" + c[2:] if c.startswith("42") else c


def _repo_table(name, required):
    path = os.path.join(KOREA, name)
    if not os.path.isfile(path):
        raise InputError(f"missing table: {path}")
    try:
        df = pd.read_csv(path, comment="#", dtype={"region": str, "code": str})
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot parse {path}: {exc}") from exc
    miss = [c for c in required if c not in df.columns]
    _expect(not miss, path, f"columns {miss}")
    return df


def write_table(out, name, header_lines, df):
    """Same conventions as prepare_korea.write_table: '# ' comment lines, one header row, no quoting."""
    assert 3 <= len(header_lines) <= 12 and header_lines[1].startswith("source: ") \
        and header_lines[2].startswith("method: "), name
    lines = ["# " + h.replace("\n", " ") for h in header_lines] + [",".join(df.columns)]
    for row in df.itertuples(index=False):
        line = ",".join(str(v) for v in row)
        assert '"' not in line and line.count(",") == len(df.columns) - 1, f"{name}: {line}"
        lines.append(line)
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------------
# 1. nationals, Dec 2022
# ----------------------------------------------------------------------------------------
def population_age5_2022(raw, codes):
    """Published Dec-2022 residents by unit x sex x 5-year group, recoded to the Dec-2023 codes."""
    rel = pp.UNITS_FILE
    u = pp._read_csv(raw, rel, ["adm_code", "y2022"], dtype={"adm_code": str})
    old = sorted(u.loc[u.y2022 == 1, "adm_code"])
    _expect(len(old) == pp.N_REGIONS, rel, f"{pp.N_REGIONS} units flagged y2022, got {len(old)}")
    _expect("4772000000" in old and "2772000000" not in old, rel, "Gunwi-gun as 4772000000 in 2022")
    _expect(sum(c.startswith("42") for c in old) == 18 and not any(c.startswith("51") for c in old), rel,
            "the 18 Gangwon units under 42xx in 2022")
    a5 = pp._age5_wide(raw, YEAR, old)
    a5["region"] = a5.region.map(_recode)
    _expect(sorted(a5.region.unique()) == codes, pp.RESIDENTS_FILE,
            "2022 codes mapping one-to-one to the 229 codes of inputs/korea/regions.csv")
    a5["_s"] = a5.sex.map({"M": 0, "F": 1})
    a5 = a5.sort_values(["region", "_s"], kind="stable").drop(columns="_s").reset_index(drop=True)
    tot = int(a5[pp.AGE5_COLS].to_numpy().sum())
    _expect(tot == TOTAL_2022, pp.RESIDENTS_FILE, f"2022 total {TOTAL_2022:,}, got {tot:,}")
    return a5


def shapes_2022(raw, codes):
    """Dec-2022 single-year shapes: the Dec-2023 ones of prep_population shifted one cohort back.

    The Sep-2023 dong counts are moved to 31 Dec 2023 and corrected by province exactly as in
    prep_population (_shift_to_dec31, _sido_dec31_factors); then Dec-2022 age a takes the
    Dec-2023 age a+1 of the same birth cohort (age 99 <- Dec-2023 age 100, whose province
    factor is taken as that of age 99: the sido file's 100 is 100+).  A year of deaths and
    moves is ignored: it changes levels but hardly the shape inside a 5-year group, which is
    all that is used (the groups are the published Dec-2022 cells).  Smoothing toward the
    province and national shape as in prep_population (PSEUDO_COUNT)."""
    sep = pp._load_dong_by_region(raw, codes)
    dec = {s: pp._shift_to_dec31(sep[s]) for s in ("M", "F")}
    fac = pp._sido_dec31_factors(raw, codes, dec)                 # (229, 100), ages 0..99
    fac101 = np.concatenate([fac, fac[:, 99:100]], axis=1)        # age 100 -> factor of 99
    sido = np.array([c[:2] for c in codes])
    out = {}
    for s in ("M", "F"):
        corr23 = dec[s][:, :101] * fac101                          # Dec 2023, ages 0..100
        corr = corr23[:, 1:101]                                    # Dec 2022 age a = Dec 2023 age a+1
        nat = corr.sum(axis=0)
        shapes = np.zeros((len(codes), 100))
        for lo in pp.GROUP_LO:
            sl = slice(lo, lo + 5)
            nat_shape = nat[sl] / nat[sl].sum()
            for p in np.unique(sido):
                rows = np.where(sido == p)[0]
                prov_shape = pp._group_shape(corr[rows, sl].sum(axis=0), nat_shape)
                shapes[rows, sl] = pp._group_shape(corr[rows, sl], prov_shape)
        out[s] = dict(region=shapes)
    return out


def population_single_2022(raw, a5, codes):
    single = pp._split_groups(a5, shapes_2022(raw, codes))
    v = single[pp.AGE1_COLS].to_numpy()
    assert (v >= 0).all() and (pp._to_age5(v) == a5[pp.AGE5_COLS].to_numpy()).all(), "5-year groups not exact"
    assert int(v.sum()) == TOTAL_2022
    return single


# ----------------------------------------------------------------------------------------
# 2. foreign residents, end of 2022
# ----------------------------------------------------------------------------------------
def foreign_profile_2022(raw, nationals_2023):
    """prep_foreign.foreign_profile stopped one year earlier: the census 2021 stock ungrouped
    and aged ONE year (Nov 2021 -> end 2022; age 0 refilled at the 2021 level), plus the 2022
    foreign net migration (not aged), minus the 2022 naturalisations.  The 2023 profile is this
    one aged a further year plus the 2023 net and naturalisations.  The migration age profile
    is the one of inputs/korea (labour shape weighted by the Dec-2023 nationals)."""
    groups, male_share, info = pf._census2021_groups(raw)
    C = pf.comp_matrix(pf.NIM_GROUP_EDGES, pf.MAXAGE + 1)
    offset = np.where(pf.AGES < 70, 0.0, -0.12 * (pf.AGES - 70))
    both = pf._rescale_groups(pf.pclm(groups, C, offset, pf.STOCK_PCLM_LAMBDA), C, groups)
    mf, plateau = pf._stock_male_fraction(male_share, both)
    stock = {"M": both * mf, "F": both * (1 - mf)}
    for s in pf.SEXES:
        x = stock[s]
        aged = np.zeros_like(x)
        aged[1:] = x[:-1]
        aged[pf.MAXAGE] += x[pf.MAXAGE]
        aged[0] = x[0]
        stock[s] = aged
    mig, _ = pf._migration_nationality(raw, nationals_2023, "foreign")
    nets = pf._net_by_nationality(raw)
    for s in pf.SEXES:
        stock[s] = stock[s] + nets[2022]["foreign"] * mig[s]
    n_nat = float(pf._naturalisations(raw)[2022])
    for s, w in (("M", 1 - pf.NATURALISED_FEMALE_SHARE), ("F", pf.NATURALISED_FEMALE_SHARE)):
        band = np.where((pf.AGES >= 20) & (pf.AGES <= 59), stock[s], 0.0)
        stock[s] = stock[s] - n_nat * w * band / band.sum()
    assert all((stock[s] > 0).all() for s in pf.SEXES)
    tot = stock["M"].sum() + stock["F"].sum()
    return stock["M"] / tot, stock["F"] / tot, dict(net2022=nets[2022]["foreign"], n_nat=n_nat)


def foreign_population_2022(raw, codes, nationals_2023):
    """Foreign residents at 2022-12-31 by region x sex x age and their households."""
    k = pf._foreign_by_region(raw)
    _, get = pf._statements(raw)
    base = int(k.y2022_foreign_nationals.sum())
    stated = int(float(get("2022-11-01", "MOIS 외국인주민", "한국국적 미취득 (foreign nationals)").value))
    _expect(base == stated, "foreign/mois_foreign_residents_sigungu_2010_2022.csv",
            f"2022 foreign nationals summing to the published {stated}")
    moj = pf._stay_statistics(raw)
    g = float(moj.loc[2023, "long_term_moj"]) / float(moj.loc[2022, "long_term_moj"])
    total = int(round(base * g ** (2.0 / 12.0)))
    missing = sorted(set(codes) - set(k.region))
    _expect(not missing, "foreign/mois_foreign_residents_*.csv", f"the 229 codes (unmatched {missing[:5]})")
    k = k.set_index("region").loc[codes]
    weights = k.y2022_foreign_nationals.astype(float).to_numpy()
    _expect((weights > 0).all(), "foreign/mois_foreign_residents_sigungu_2010_2022.csv",
            "foreign nationals in every region")
    reg_tot = pf.largest_remainder(weights, total)
    pM, pF, diag = foreign_profile_2022(raw, nationals_2023)
    prof = np.concatenate([pM, pF])
    rows = []
    for r, T in zip(codes, reg_tot):
        cells = pf.largest_remainder(prof, int(T))
        rows.append([r, "M"] + cells[:pf.MAXAGE + 1].tolist())
        rows.append([r, "F"] + cells[pf.MAXAGE + 1:].tolist())
    df = pd.DataFrame(rows, columns=["region", "sex"] + pf.AGE_COLS)
    assert int(df[pf.AGE_COLS].to_numpy().sum()) == total
    # households: the census 2020 ratio of foreign-only households per foreign resident (prep_foreign)
    ratio = pf.FOREIGN_HOUSEHOLDS_2020 / pf.CENSUS_FOREIGN_2020
    adults = df.groupby("region", sort=True)[[f"age_{a}" for a in range(18, pf.MAXAGE + 1)]].sum().sum(axis=1)
    persons = df.groupby("region", sort=True)[pf.AGE_COLS].sum().sum(axis=1)
    hh = pf.largest_remainder(persons.to_numpy(float), int(round(ratio * total)))
    hh = np.minimum(np.maximum(hh, 1), adults.to_numpy())
    assert (hh >= 1).all()
    info = dict(base=base, growth=g, total=total, households=int(hh.sum()), ratio=ratio,
                men=int(df[df.sex == "M"][pf.AGE_COLS].to_numpy().sum()), **diag)
    return df, pd.Series(hh.astype(np.int64), index=list(adults.index)), persons, info


# ----------------------------------------------------------------------------------------
# 3. households, Dec 2022
# ----------------------------------------------------------------------------------------
def _num(x):
    return pd.to_numeric(pd.Series(x).astype(str).str.replace(",", "").str.strip(), errors="coerce")


def households_2022(raw, codes, single, hh23):
    """Registered households (세대, 거주자 basis) at 2022-12-31, estimated from the month-end
    series of 2023: the data folder has no Dec-2022 household count; it has end-Jan 2023 and
    end-Dec 2023 for every unit.  Dec 2022 = Jan 2023 - (Dec 2023 - Jan 2023) / 11 (one month
    back at the region's mean monthly change of 2023), rounded, kept within 1..adults 18+."""
    path = os.path.join(raw, HH_FILE_H1)
    if not os.path.isfile(path):
        raise InputError(f"missing raw file: {path}")
    try:
        d = pd.read_csv(path, skiprows=3, header=None, dtype=str)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot parse {path}: {exc}") from exc
    try:
        months = pd.read_csv(path, skiprows=1, nrows=1, header=None, dtype=str).iloc[0].tolist()
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot parse {path}: {exc}") from exc
    _expect(len(months) > 3 and str(months[2]).strip() == "2023년01월", path,
            "the first month column '2023년01월' (columns 총 거주자수, 세대수, ...)")
    d[0] = d[0].astype(str).str.strip()
    d = d[d[0].isin([c for c in set(map(_old_code, codes))] + codes)]
    d = d.assign(region=d[0].map(_recode), persons=_num(d[2]).to_numpy(), hh=_num(d[3]).to_numpy())
    d = d.dropna(subset=["hh"])
    _expect(not d.region.duplicated().any() and sorted(d.region) == codes, path,
            "one Jan-2023 row with households for each of the 229 units (old or new codes)")
    d = d.set_index("region").loc[codes]
    jan = d.hh.to_numpy(np.int64)
    dec23 = hh23.set_index("region").loc[codes, "households"].to_numpy(np.int64)
    est = np.rint(jan - (dec23 - jan) / 11.0).astype(np.int64)
    adults = single.groupby("region", sort=True)[[f"age_{a}" for a in range(18, 101)]].sum().sum(axis=1)
    adults = adults.loc[codes].to_numpy()
    est = np.minimum(np.maximum(est, 1), adults)
    persons22 = single.groupby("region", sort=True)[pp.AGE1_COLS].sum().sum(axis=1).loc[codes].to_numpy()
    persons23 = hh23.set_index("region").loc[codes, "persons"].to_numpy()
    scaled = np.rint(dec23 * persons22 / persons23).astype(np.int64)
    info = dict(jan=int(jan.sum()), dec23=int(dec23.sum()), est=int(est.sum()), scaled=int(scaled.sum()),
                jan_persons=int(d.persons.sum()), mean_abs_diff_scaled=float(np.mean(np.abs(scaled - est) / est)))
    return est, persons22, info


def _old_code(c):
    if c == "2772000000":
        return "4772000000"
    return "42" + c[2:] if c.startswith("51") else c


# ----------------------------------------------------------------------------------------
# 4. assumptions, 2022..2123
# ----------------------------------------------------------------------------------------
def assumptions_2022():
    path = os.path.join(KOREA, "assumptions_medium.csv")
    if not os.path.isfile(path):
        raise InputError(f"missing table: {path}")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = [l for l in lines if l.startswith("#")]
    body = [l for l in lines if not l.startswith("#")]
    cols = "year,tfr,e0_male,e0_female,net_international_migration,net_international_migration_nationals,status"
    _expect(body[0] == cols, path, f"the header row {cols}")
    rows = body[1:]
    _expect(rows[0].startswith("2023,"), path, "a first row for 2023")
    years = [int(r.split(",")[0]) for r in rows]
    _expect(years == list(range(2023, 2023 + len(rows))), path, "consecutive years from 2023")
    _expect(rows[0].split(",")[5] == str(NIM_NATIONALS), path, f"nationals' net {NIM_NATIONALS} in 2023")
    out = []
    for y in (2022, 2023):
        o = OBS[y]
        out.append(f"{y},{o['tfr']:.4f},{o['e0'][0]:.3f},{o['e0'][1]:.3f},{o['nim']},{NIM_NATIONALS},{o['status']}")
    out += rows[1:]
    hdr = [
        "Projection assumptions for the backtest from 2022-12-31: 2022-2123",
        "source: 2022 and 2023 rows = observed (KOSTAT birth statistics TFR 0.78 / 0.72, complete life tables "
        "2022 / 2023 e0 79.9 / 85.6 and 80.6 / 86.4, KOSTAT international migration statistics net +88,000 / "
        "+121,000); 2024-2123 rows copied from inputs/korea/assumptions_medium.csv (KOSTAT 2022-2072 medium)",
        "method: observed values as published (rounded as in inputs/korea); nationals' net international "
        f"migration {NIM_NATIONALS} as in inputs/korea; 2024+ rows copied verbatim",
        "status: 2022-2023 observed (confirmed); later rows per their status column",
        "note: a run from 2022 projects 2023 with the 2023 row (in-sample: the observed 2023 values); "
        "the 2022 row is the base year's and is not used for a transition",
    ] + [h[2:] for h in header if h.startswith("# note")]
    return hdr, out, cols


# ----------------------------------------------------------------------------------------
# 5. baseline.toml
# ----------------------------------------------------------------------------------------
TOML_TOP = """\
# popsim configuration: South Korea, BACKTEST from 2022-12-31 (inputs/prep_base2022.py writes it).
# Purpose: project one year, 2022 -> 2023, and compare with the registered residents of 2023-12-31
# (analysis/score.py). The base population (population*.csv, households.csv here) is the state
# observed up to December 2022; every rate table is the 2023 one of inputs/korea (../*.csv) and
# assumptions_medium.csv carries the OBSERVED 2023 TFR, e0 and net international migration, so the
# rates of the projected year are in-sample: the backtest tests the accounting and the distribution
# of births, deaths and moves over regions, sexes and ages, not the forecast of the rates.
# Everything below is inputs/korea/baseline.toml with start_year = 2022 and these tables; the
# comments are the original ones (where they say 2023 about the base population, read 2022).
"""


def baseline_toml():
    path = os.path.join(KOREA, "baseline.toml")
    if not os.path.isfile(path):
        raise InputError(f"missing configuration: {path}")
    with open(path, encoding="utf-8") as f:
        src = f.read().splitlines()
    out, in_inputs, seen_start = [], False, False
    i = 0
    while i < len(src) and src[i].startswith("#"):      # drop the original title line only
        if i == 0:
            i += 1
            continue
        out.append(src[i])
        i += 1
    for line in src[i:]:
        s = line.strip()
        if s.startswith("["):
            in_inputs = s == "[inputs]"
        if s.startswith("# (MOIS resident registration, 2023-12-31)"):
            line = "# (MOIS resident registration, 2022-12-31: the backtest's base)."
        if re.match(r"^start_year\s*=", s):
            _expect(s == "start_year = 2023", path, "start_year = 2023")
            line = "start_year = 2022"
            seen_start = True
        m = re.match(r'^(\w+)(\s*=\s*)"([^"]+)"(.*)$', line)
        if in_inputs and m:
            key, eq, fname, rest = m.groups()
            if key not in LOCAL_TABLES:
                fname = "../" + fname
                rest = rest[3:] if rest.startswith("   ") else rest
            line = f'{key}{eq}"{fname}"{rest}'
        out.append(line)
    _expect(seen_start, path, "a start_year key")
    return TOML_TOP + "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", help="raw data folder laid out like shared/data/korea")
    ap.add_argument("--out", default=os.path.join(KOREA, "base2022"))
    a = ap.parse_args(argv)
    if not os.path.isdir(a.raw):
        raise InputError(f"raw folder not found: {a.raw}")
    os.makedirs(a.out, exist_ok=True)
    regions = _repo_table("regions.csv", ["code"])
    codes = sorted(regions.code.astype(str))
    _expect(len(codes) == pp.N_REGIONS, os.path.join(KOREA, "regions.csv"), f"{pp.N_REGIONS} regions")
    pop23 = _repo_table("population.csv", ["region", "sex"] + pp.AGE1_COLS)
    hh23 = _repo_table("households.csv", ["region", "households", "persons"])

    raw = a.raw
    a5 = population_age5_2022(raw, codes)
    single = population_single_2022(raw, a5, codes)
    fdf, fhh, fpersons, finfo = foreign_population_2022(raw, codes, pop23)
    hh, persons22, hinfo = households_2022(raw, codes, single, hh23)

    # ---- write
    write_table(a.out, "population_age5.csv", [
        "Resident population by region, sex and 5-year age group, 2022-12-31 (constraint table; backtest base)",
        "source: MOIS resident registration statistics 2022-12 (jumin.mois.go.kr 연령별 인구현황; 거주자 basis) "
        "by si/gun/gu x sex x 5-year age, re-published in iju298/REFrame@3d474bbf (FACTS.md section 11)",
        "method: copied from the published 5-year groups of the 229 si/gun/gu-level units of Dec 2022, recoded to "
        "the Dec-2023 codes (Gangwon 42xx -> 51xx, Gunwi-gun 4772000000 -> 2772000000); age_100p = 100 and over",
        f"status: confirmed (published MOIS figures); total {TOTAL_2022}",
        "note: 거주자 = Korean nationals registered as resident (excludes 거주불명자, overseas nationals and foreigners)",
    ], a5)
    write_table(a.out, "population.csv", [
        "Resident population by region, sex and single year of age, 2022-12-31 (backtest base)",
        "source: MOIS resident registration 2022-12 (거주자) by si/gun/gu x sex x 5-year age (iju298/REFrame@3d474bbf); "
        "MOIS registration by eup/myeon/dong x sex x single year 2023-09-30 (data.go.kr 15097972) and by sido x single year 2023-12",
        "method: each published Dec-2022 5-year group split by the Dec-2023 single-year shape of inputs/prep_population.py "
        "(dong counts, quarter-year shift, province Dec-31 correction) moved one cohort back: Dec-2022 age a = Dec-2023 "
        f"age a+1 of the same birth cohort; smoothing ({pp.PSEUDO_COUNT:g} pseudo-persons) and largest-remainder integers as there",
        "status: DERIVED; every 5-year group and the 100+ group are exact (published MOIS figures); single years within a group are estimated",
        "note: age_100 = 100 and over; a year of deaths and moves between the cohort's two ages is ignored (shape only)",
    ], single)
    write_table(a.out, "population_foreign.csv", [
        "Foreign residents (foreign nationals resident 3+ months) by region, sex and single year of age, 2022-12-31 (backtest base)",
        "source: as inputs/korea/population_foreign.csv: MOIS 외국인주민 2022-11-01 by si/gun/gu (한국국적 미취득); MOJ "
        "long-term stays 2022-2023; KOSTAT census 2021 foreign population; KOSTAT international migration 2022; MOJ naturalisations 2022",
        f"method: level = 2022-11-01 foreign nationals {finfo['base']:,} x (MOJ long-term stays 2023/2022 = "
        f"{finfo['growth']:.5f})^(2/12) = {finfo['total']}; regional shares of the 2022 column (as for 2023); age-sex "
        "profile of inputs/prep_foreign.py stopped a year earlier: census 2021 stock aged one year, plus the 2022 foreign "
        "net migration, minus the 2022 naturalisations; largest-remainder integers",
        "status: DERIVED; level and regional shares confirmed; age profile UNCONFIRMED in parts (see inputs/korea/README.md)",
        f"note: men {finfo['men'] / finfo['total']:.1%}; foreign households {finfo['households']} = "
        f"{finfo['ratio']:.4f} per foreign resident (census 2020), as in inputs/korea",
    ], fdf)
    hdf = pd.DataFrame(dict(region=codes, households=hh, persons=persons22,
                            foreign_households=fhh.loc[codes].to_numpy(),
                            foreign_persons=fpersons.loc[codes].to_numpy()))
    write_table(a.out, "households.csv", [
        "Households by region, 2022-12-31 (backtest base): the nationals' registered households (세대) and "
        "residents, and the foreign residents' own households",
        "source: MOIS 주민등록 인구 및 세대현황 month-end 2023-01 and 2023-12 (거주자 basis; "
        "2023_first_half_registered_population_and_household_monthly.csv, inputs/korea/households.csv); "
        "population.csv and population_foreign.csv of this folder",
        "method: households = Jan 2023 - (Dec 2023 - Jan 2023) / 11 per region (one month back at the region's "
        "mean monthly change of 2023; no Dec-2022 count in the data folder), rounded, within 1..adults 18+; "
        "persons = region total of population.csv; foreign_households = 0.3176 x foreign residents (census 2020 "
        "ratio, as inputs/korea) within 1..foreign adults",
        f"status: households DERIVED (one-month back-extrapolation of confirmed counts); national {int(hh.sum())} "
        f"households, {TOTAL_2022 / hh.sum():.2f} persons per household; {int(fhh.sum())} foreign households",
        f"note: the Dec-2023 households scaled by each region's persons ratio 2022/2023 would give "
        f"{hinfo['scaled']} (+{hinfo['scaled'] - hinfo['est']:,}): households grew while persons fell",
    ], hdf)
    ahdr, arows, acols = assumptions_2022()
    with open(os.path.join(a.out, "assumptions_medium.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(["# " + h for h in ahdr] + [acols] + arows) + "\n")
    with open(os.path.join(a.out, "baseline.toml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(baseline_toml())

    # ---- checks and summary
    assert (hdf.persons.to_numpy() == single.groupby("region", sort=True)[pp.AGE1_COLS].sum().sum(axis=1)
            .loc[codes].to_numpy()).all()
    assert int(hdf.foreign_persons.sum()) == finfo["total"]
    print(f"wrote {a.out}: nationals {TOTAL_2022:,}; foreign {finfo['total']:,} "
          f"(growth^(2/12) {finfo['growth'] ** (2 / 12):.5f}); households {int(hh.sum()):,} "
          f"(Jan 2023 {hinfo['jan']:,}, Dec 2023 {hinfo['dec23']:,}, persons-ratio alternative {hinfo['scaled']:,}); "
          f"foreign households {finfo['households']:,}; Jan-2023 residents {hinfo['jan_persons']:,}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
