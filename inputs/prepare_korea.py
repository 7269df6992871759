#!/usr/bin/python3
"""Prepare the South Korea input tables for popsim (reference date 2023-12-31).

Usage
-----
    /usr/bin/python3 inputs/prepare_korea.py RAW_DIR [--out inputs/korea]

RAW_DIR is a folder laid out like shared/data/korea (see its FACTS.md).  Every
table is derived deterministically (no random numbers).  The script stops with
a clear message when a raw file is missing or malformed, and asserts the key
invariants (229 regions, 51,090,859 residents, exact 10-year bins, 89
population-declining areas, row counts).  It also writes README.md in the
output folder with the validation and fit reports.

Refreshing the inputs for a new reference year
----------------------------------------------
Download these public files and put them where RAW_DIR expects them:

* mois_resident_registration/DERIVED_sigungu_sex_age10_dec2023.csv
    MOIS resident registration statistics (jumin.mois.go.kr, 주민등록 인구통계):
    "연령별 인구현황" (monthly, 10-year age bins, 거주자) and "주민등록 인구 및 세대현황"
    (households) for the December of the reference year, at sido/sigungu/
    general-gu level; tidy them to one row per administrative unit with columns
    ref_month,adm_code10,sido_code2,name_ko,level(sido/sigungu/general_gu),
    pop_total,households,persons_per_household,pop_male,pop_female,
    m_0_9..m_100p,f_0_9..f_100p.
* provinces_2023.csv  - one row per sido: MOIS sido code, names, capital flag,
    sido TFR (KOSTAT birth statistics, 출생통계) with a confirmed/UNCONFIRMED flag.
* population_declining_areas_2021.csv - MOIS notice of population-declining areas
    (인구감소지역, notice 2021-66; re-designated every 5 years) with MOIS codes.
* codes/DERIVED_crosswalk_mois2023_to_kostat_map2018.csv, codes/adm_sgis_lookup_2024.csv,
  codes/lookup_district_code_2020.csv - code crosswalks MOIS 10-digit <-> KOSTAT/SGIS
    5-digit codes and English names (update when boundaries change).
* geo/DERIVED_municipalities_2018_centroids_area.csv - centroids/areas of the
    KOSTAT SGIS municipal boundary polygons (recompute from new boundaries).
* census2010/DERIVED_census2010_sigungu_sex_age5_tidy.csv - KOSIS census table
    "총조사인구 총괄(시군구/성/5세연령별)"; use the most recent census with 5-year
    ages by sigungu (the ageing-forward shift AGE_SHIFT below must then be updated).
* census_kosis_tidycensuskr/mortality_*.csv and census_population_*.csv - KOSIS
    age-standardised all-cause death rates by sigungu and sex (사망원인통계) and
    census populations by sigungu and sex.
* national_series.csv - national TFR, births, deaths by year (KOSTAT 인구동향).
* Scalar targets that are not in files are constants in this script (section
  "TARGETS"): the KOSTAT life-table figures (생명표), 5-year ASFRs and birth-order
  figures (출생통계), internal-migration rates by age (국내인구이동통계), the
  projection assumptions (장래인구추계: 2022-2072, KOSTAT 2023-12-14), census
  marital-status shares (인구주택총조사).  Update them with the new releases.
"""
import argparse
import os
import sys

import numpy as np
import pandas as pd
from scipy import optimize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prep_foreign  # noqa: E402
from prep_common import InputError, comp_matrix, pclm, read_csv  # noqa: E402
import prep_mortality  # noqa: E402
import prep_population  # noqa: E402

# ----------------------------------------------------------------------------------------
# TARGETS and constants (with status)
# ----------------------------------------------------------------------------------------
REF = "2023-12"
N_REGIONS = 229
TOTAL_POP = 51_090_859
N_DECLINING = 89
CAPITAL_SIDO = {"11", "28", "41"}
BINS = ["0_9", "10_19", "20_29", "30_39", "40_49", "50_59", "60_69", "70_79", "80_89", "90_99", "100p"]
BIN_LO = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
MAXAGE = 100          # open interval 100+
FIT_TOP = 110         # single ages 100..109 represent 100+ inside the ungrouping fit

# births by calendar year (KOSTAT birth statistics).  2015-2017, 2022-2023 are read from
# national_series.csv; the rest are best-known final counts NOT in the data folder (UNCONFIRMED).
BIRTHS_UNCONFIRMED = {2011: 471265, 2012: 484550, 2013: 436455, 2014: 435435,
                      2018: 326822, 2019: 302676, 2020: 272337, 2021: 260562}
AGE_SHIFT = 13        # census 2010-11-01 -> 2023-12-31 is 13.17 years

# life table 2023 (FACTS.md 4.2, confirmed)
LT_TARGETS = {"M": dict(e0=80.6, e40=41.6, e60=23.4, l80=0.636, l100=0.010),
              "F": dict(e0=86.4, e40=47.2, e60=28.2, l80=0.818, l100=0.046)}
DEATHS_2023 = {"M": 188921, "F": 163590}
RATE_1_9 = 9.5e-5          # both sexes, confirmed
RATE_80P = 8285.5e-5       # both sexes, confirmed
Q0 = {"M": 0.00262, "F": 0.00238}   # UNCONFIRMED: 2.5 per 1000 (2020) split with sex ratio 1.1

# fertility 2023 (FACTS.md 4.1)
ASFR5 = {15: None, 20: None, 25: 21.4, 30: 66.7, 35: 43.0, 40: 7.9, 45: 0.2}   # per 1000
TFR_2023 = 0.72
YOUNG_SPLIT = (0.3, 4.5)   # UNCONFIRMED split of the derived 4.8 per 1000 (15-19, 20-24)
MEAN_AGE_BIRTH = 33.6
SHARE_35P = 0.363
ORDER_SHARE = (0.602, 0.323, 0.075)
ORDER_MEAN = (33.0, 34.4, 35.6)
BIRTHS_2023 = 230000

# internal migration 2023 (FACTS.md 4.3): (lo, hi) -> rate
MIG_GROUPS = [((0, 9), 0.134), ((20, 29), 0.228), ((30, 39), 0.201), ((40, 49), 0.110),
              ((50, 59), 0.087), ((60, 69), 0.070), ((70, 79), 0.050)]
MIG_TOTAL, MIG_BETWEEN_SIDO = 0.120, 0.042
WITHIN_SIDO_CROSS_SIGUNGU = 0.30   # UNCONFIRMED share of within-sido moves that cross a sigungu border

# projection assumptions, KOSTAT "Population Projections for Korea: 2022-2072" (2023-12-14)
TFR_MED_ANNUAL = {2022: 0.78, 2023: 0.72, 2024: 0.68, 2025: 0.65, 2026: 0.68, 2027: 0.71, 2028: 0.75,
                  2029: 0.78, 2030: 0.82, 2031: 0.85, 2032: 0.88, 2037: 1.05, 2049: 1.08, 2072: 1.08}
E0_MED = {"base2022": (79.9, 85.6), "both2022": 82.7, "both2050": 88.6, "both2072": 91.1,
          "sex2072": (89.5, 92.7)}
NIM_MED = {2022: 155000, 2072: 61000}
HIGH_2072 = dict(tfr=1.34, e0_both=92.2, nim=113000)             # confirmed (press)
LOW_2072 = dict(tfr=0.82, e0_both=90.0, nim=9000)                # UNCONFIRMED / symmetric assumption
EXT_DECAY = 0.97

# census 2020 never-married shares (press coverage of the 2020 census sample results)
NM_2020 = {"20_29_both": 0.928, "30_39_M": 0.508, "30_39_F": 0.336, "40_49_both": 0.179,
           "50_59_both": 0.074}
NM_18P_2023 = {"M": 0.342, "F": 0.249}   # never married, Koreans 18+, 2023 register census (press)
MARRIED_18P_2023 = 0.566      # 유배우 share of Koreans 18+ (2023 register census, press)


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
def write_table(out, name, header_lines, df, floatfmt=None):
    assert 3 <= len(header_lines) <= 12, name
    assert header_lines[1].startswith("source: ") and header_lines[2].startswith("method: ")
    path = os.path.join(out, name)
    lines = ["# " + h.replace("\n", " ") for h in header_lines]
    lines.append(",".join(df.columns))
    fmts = floatfmt or {}
    cols = list(df.columns)
    for row in df.itertuples(index=False):
        cells = []
        for c, v in zip(cols, row):
            if c in fmts:
                cells.append(fmts[c] % v)
            elif isinstance(v, (float, np.floating)):
                cells.append(repr(float(v)))
            else:
                cells.append(str(v))
        line = ",".join(cells)
        assert '"' not in line
        lines.append(line)
    for i, l in enumerate(lines):
        if i < len(header_lines):
            continue
        assert l.count(",") == len(cols) - 1, f"{name}: comma inside a value: {l}"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return path




def exact_integerise(values, groups, totals):
    """Rescale `values` within each group to the integer group total and round by the
    largest-remainder method (ties: lower age first). Returns int array."""
    out = np.zeros(len(values), dtype=np.int64)
    for g, idx in enumerate(groups):
        v = np.asarray(values[idx], dtype=float)
        T = int(totals[g])
        if T == 0:
            continue
        v = np.where(v > 0, v, 0.0)
        v = v / v.sum() * T if v.sum() > 0 else np.full(len(idx), T / len(idx))
        fl = np.floor(v).astype(np.int64)
        rem = T - fl.sum()
        frac = v - fl
        order = sorted(range(len(idx)), key=lambda i: (-round(frac[i], 12), i))
        for i in order[:rem]:
            fl[i] += 1
        out[idx] = fl
    return out


# ----------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------
def load_mois(raw):
    cols = ["adm_code10", "sido_code2", "name_ko", "level", "pop_total", "households", "pop_male",
            "pop_female"] + [f"{s}_{b}" for s in "mf" for b in BINS]
    df = read_csv(raw, "mois_resident_registration/DERIVED_sigungu_sex_age10_dec2023.csv", cols,
                  dtype={"adm_code10": str, "sido_code2": str})
    if not (df["ref_month"].astype(str) == REF).all():
        raise InputError(f"MOIS file is not for {REF}")
    sg = df[df.level == "sigungu"].copy().sort_values("adm_code10").reset_index(drop=True)
    assert len(sg) == N_REGIONS, f"expected {N_REGIONS} sigungu, got {len(sg)}"
    assert sg.adm_code10.str.len().eq(10).all(), "MOIS codes must have 10 digits"
    assert int(sg.pop_total.sum()) == TOTAL_POP, f"resident total {sg.pop_total.sum()} != {TOTAL_POP}"
    for s, col in (("m", "pop_male"), ("f", "pop_female")):
        b = sg[[f"{s}_{x}" for x in BINS]].sum(axis=1)
        assert (b == sg[col]).all(), f"10-year bins do not add to {col}"
    assert (sg.pop_male + sg.pop_female == sg.pop_total).all()
    return sg


def load_crosswalk(raw):
    cw = read_csv(raw, "codes/DERIVED_crosswalk_mois2023_to_kostat_map2018.csv",
                  ["mois_code10", "name_ko_2023", "level", "name_en", "kostat_map2018_codes"], dtype=str)
    return cw[cw.level == "sigungu"].set_index("mois_code10")


# ----------------------------------------------------------------------------------------
# 1-2. regions and provinces
# ----------------------------------------------------------------------------------------
def table_regions(raw, sg, cw):
    geo = read_csv(raw, "geo/DERIVED_municipalities_2018_centroids_area.csv",
                   ["code", "centroid_lon", "centroid_lat", "area_km2_approx"], dtype={"code": str}).set_index("code")
    names = read_csv(raw, "codes/lookup_district_code_2020.csv",
                     ["sigungu_1_kr", "sigun_en", "sgg_industry"], dtype=str)
    en_by_code, ko_by_code = {}, {}
    for r in names.itertuples():
        if isinstance(r.sgg_industry, str):
            en_by_code.setdefault(r.sgg_industry, r.sigun_en)
            ko_by_code.setdefault(r.sgg_industry, r.sigungu_1_kr)
    dec = read_csv(raw, "population_declining_areas_2021.csv", ["mois_code_2023_12"], dtype={"mois_code_2023_12": str})
    dec_codes = set(dec.mois_code_2023_12)
    assert len(dec) == N_DECLINING and len(dec_codes) == N_DECLINING, "declining-area list must have 89 codes"
    assert dec_codes <= set(sg.adm_code10), "declining-area codes not among the 229 regions"
    rows, name_fixes = [], []
    for r in sg.itertuples():
        code = r.adm_code10
        if code not in cw.index:
            raise InputError(f"region {code} {r.name_ko} not in crosswalk")
        c = cw.loc[code]
        parts = r.name_ko.split(" ")
        name_ko = parts[-1] if len(parts) > 1 else parts[0]
        map_codes = c.kostat_map2018_codes.split(";")
        en = c.name_en
        first = map_codes[0] if len(map_codes) == 1 else map_codes[0][:4] + "0"
        alt = en_by_code.get(first) or en_by_code.get(map_codes[0])
        alt_ko = ko_by_code.get(map_codes[0])
        if alt and alt != en and len(map_codes) == 1 and alt_ko == name_ko:
            name_fixes.append(f"{en}->{alt}")
            en = alt
        g = geo.reindex(map_codes)
        if g.isna().any().any():
            raise InputError(f"no polygon for {code} ({map_codes})")
        area = g.area_km2_approx.sum()
        lon = (g.centroid_lon * g.area_km2_approx).sum() / area
        lat = (g.centroid_lat * g.area_km2_approx).sum() / area
        rows.append(dict(code=code, name_ko=name_ko, name_en=en, province_code=r.sido_code2,
                         capital_region=int(r.sido_code2 in CAPITAL_SIDO),
                         declining_area=int(code in dec_codes), centroid_lon=lon, centroid_lat=lat, area_km2=area))
    df = pd.DataFrame(rows)
    assert len(df) == N_REGIONS and df.declining_area.sum() == N_DECLINING
    assert df.centroid_lon.between(124, 132).all() and df.centroid_lat.between(33, 39).all()
    assert not df.name_ko.str.contains(",").any() and not df.name_en.str.contains(",").any()
    return df, name_fixes


def table_provinces(raw, sg):
    p = read_csv(raw, "provinces_2023.csv", ["mois_sido_code_2023", "name_ko_2023", "name_en", "capital_region",
                                             "tfr_2023", "tfr_2023_status", "pop_resident_mois_2023_12"],
                 dtype={"mois_sido_code_2023": str})
    assert len(p) == 17, "provinces_2023.csv must have 17 rows"
    assert set(p.mois_sido_code_2023) == set(sg.sido_code2), "sido codes differ from the MOIS 2023-12 file"
    assert int(p.pop_resident_mois_2023_12.sum()) == TOTAL_POP
    assert set(p.tfr_2023_status) <= {"confirmed", "UNCONFIRMED"}
    df = pd.DataFrame(dict(code=p.mois_sido_code_2023, name_ko=p.name_ko_2023,
                           name_en=p.name_en.str.replace(",", " "), capital_region=p.capital_region.astype(int),
                           tfr_2023=p.tfr_2023.astype(float), tfr_status=p.tfr_2023_status))
    df = df.sort_values("code").reset_index(drop=True)
    assert (df.capital_region == df.code.isin(CAPITAL_SIDO).astype(int)).all()
    return df


# ----------------------------------------------------------------------------------------
# 8. mortality (fitted first: the population prior uses its survival)
# ----------------------------------------------------------------------------------------
GRID_H = 0.01
GRID = np.arange(0, 130 + GRID_H / 2, GRID_H)


def hazard(theta, sex, child_A):
    la, b, lz, lh, F, E = theta
    a, z, H = np.exp(la), np.exp(lz), np.exp(lh)
    x = GRID
    t = np.exp(b * (x - 60.0))
    kann = a * t / (1.0 + a * t / z)
    xs = np.maximum(x, 1.0)
    hump = H * np.exp(-E * (np.log(xs) - np.log(F)) ** 2)
    child = child_A * np.exp(-0.45 * (xs - 1.0))
    mu = kann + hump + child + 1e-5
    mu = np.where(x < 1.0, -np.log(1.0 - Q0[sex]), mu)
    return mu


def life_table_from_hazard(mu):
    cum = np.concatenate([[0.0], np.cumsum((mu[1:] + mu[:-1]) / 2 * GRID_H)])
    lc = np.exp(-cum)
    step = int(round(1 / GRID_H))
    ages = np.arange(0, MAXAGE + 1)
    lx = lc[ages * step]
    # L_x by trapezoid on the fine grid
    seg = (lc[1:] + lc[:-1]) / 2 * GRID_H
    cs = np.concatenate([[0.0], np.cumsum(seg)])
    Lx = cs[(ages + 1) * step] - cs[ages * step]
    Lx[MAXAGE] = cs[-1] - cs[MAXAGE * step]
    dx = np.append(lx[:-1] - lx[1:], lx[-1])
    mx = dx / Lx
    qx = np.append(dx[:-1] / lx[:-1], 1.0)
    Tx = np.cumsum(Lx[::-1])[::-1]
    ex = Tx / lx
    return dict(lx=lx, Lx=Lx, dx=dx, mx=mx, qx=qx, ex=ex)


def child_level(theta, sex, w19):
    """Set the child component so that the population-weighted m(1..9) matches 9.5 per 100k
    (both sexes), with a male/female ratio of 1.2 (UNCONFIRMED).  w19: weights for ages 1..9."""
    target = RATE_1_9 * (2 * 1.2 / 2.2 if sex == "M" else 2 * 1.0 / 2.2)
    lo, hi = 0.0, 1e-3
    for _ in range(60):
        mid = (lo + hi) / 2
        lt = life_table_from_hazard(hazard(theta, sex, mid))
        if (lt["mx"][1:10] * w19).sum() / w19.sum() > target:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def fit_mortality(raw):
    births, _ = births_by_year(raw)
    w19 = np.array([births[2023 - a] for a in range(1, 10)], dtype=float)   # cohort sizes aged 1-9
    res = {}
    scale = dict(e0=0.05, e40=0.05, e60=0.05, l80=0.0005, l100=0.0005)
    for sex in ("M", "F"):
        tg = LT_TARGETS[sex]

        def lt_of(theta):
            A = child_level(theta, sex, w19)
            return life_table_from_hazard(hazard(theta, sex, A)), A

        def resid(theta):
            lt, _ = lt_of(theta)
            l = lt["lx"] / lt["lx"][0]
            fit = dict(e0=lt["ex"][0], e40=lt["ex"][40], e60=lt["ex"][60], l80=l[80], l100=l[100])
            reg = [(theta[5] - 4.0) / 20.0]   # weak prior on the hump width
            return np.array([(fit[k] - tg[k]) / scale[k] for k in scale] + reg)

        x0 = np.array([np.log(0.006 if sex == "M" else 0.003), 0.10, np.log(0.8), np.log(5e-4 if sex == "M" else 2e-4),
                       40.0, 4.0])
        sol = optimize.least_squares(resid, x0, method="trf", x_scale=[1, 0.01, 1, 1, 5, 1],
                                     bounds=([-9, 0.05, -3, -12, 18, 0.5], [-2, 0.18, 3.0, -4, 65, 20]))
        lt, A = lt_of(sol.x)
        l = lt["lx"] / lt["lx"][0]
        fit = dict(e0=lt["ex"][0], e40=lt["ex"][40], e60=lt["ex"][60], l80=l[80], l100=l[100])
        res[sex] = dict(theta=sol.x, child_A=A, lt=lt, fit=fit, target=tg)
    return res


# ----------------------------------------------------------------------------------------
# 4. single-year population: PCLM with a cohort-shape prior
# ----------------------------------------------------------------------------------------
def births_by_year(raw):
    ns = read_csv(raw, "national_series.csv", ["year", "births"])
    b = dict(BIRTHS_UNCONFIRMED)
    status = {y: "UNCONFIRMED" for y in b}
    for r in ns.itertuples():
        if pd.notna(r.births):
            b[int(r.year)] = float(r.births)
            status[int(r.year)] = "folder"
    need = range(2011, 2024)
    missing = [y for y in need if y not in b]
    if missing:
        raise InputError(f"births missing for {missing}")
    return b, status


def census2010(raw):
    c = read_csv(raw, "census2010/DERIVED_census2010_sigungu_sex_age5_tidy.csv",
                 ["kostat_code", "level", "age_group", "pop_male", "pop_female"], dtype={"kostat_code": str})
    groups = [f"{a}_{a + 4}" for a in range(0, 85, 5)] + ["85p"]
    c = c[c.age_group.isin(groups)]
    return c, groups


def national_prior(raw, mort):
    """Single-year national cohort sizes at 2023-12-31 (relative), ages 0..FIT_TOP-1, by sex.
    Ages 0-12: births of 2011-2023 (sex ratio 105) times survival; ages 13+: census 2010
    national 5-year counts ungrouped by PCLM, aged forward 13 years with the 2023 life table."""
    births, bstatus = births_by_year(raw)
    c, groups = census2010(raw)
    nat = c[c.level == "nation"].set_index("age_group")
    edges = list(range(0, 90, 5))
    C = comp_matrix(edges, FIT_TOP)
    prior = {}
    for s, col in (("M", "pop_male"), ("F", "pop_female")):
        lt = mort[s]["lt"]
        lx = np.concatenate([lt["lx"], lt["lx"][-1] * np.exp(-0.5 * np.arange(1, FIT_TOP - MAXAGE + 20))])
        y = nat.loc[groups, col].to_numpy(float)
        # offset: life-table survivorship shape (gives a sensible tail for the open 85+ group)
        single2010 = pclm(y, C, np.log(lx[:FIT_TOP] / lx[0]), lam=10.0)
        p = np.zeros(FIT_TOP)
        sr = 105 / 205 if s == "M" else 100 / 205
        for a in range(0, AGE_SHIFT):
            p[a] = births[2023 - a] * sr * lx[a] / lx[0]
        for a in range(AGE_SHIFT, FIT_TOP):
            src = a - AGE_SHIFT
            p[a] = single2010[src] * lx[a] / lx[src]
        prior[s] = p
    return prior, bstatus, single2010


def ungroup_population(sg, prior, lam):
    edges = BIN_LO
    C = comp_matrix(edges, FIT_TOP)
    groups = [list(range(lo, lo + 10)) for lo in BIN_LO[:-1]]
    out = []
    for r in sg.itertuples():
        for s in ("M", "F"):
            y = np.array([getattr(r, f"{s.lower()}_{b}") for b in BINS], dtype=float)
            gamma = pclm(y, C, np.log(prior[s]), lam=lam)
            vals = gamma[:MAXAGE]
            ints = exact_integerise(vals, groups, y[:-1])
            row = [r.adm_code10, s] + list(ints) + [int(y[-1])]
            out.append(row)
    df = pd.DataFrame(out, columns=["region", "sex"] + [f"age_{a}" for a in range(MAXAGE + 1)])
    return df


def validate_ungrouping(raw, mort, lams):
    """Census 2010 test: aggregate sigungu 5-year groups (0-79) to 10-year bins, ungroup,
    re-aggregate to 5-year groups and compare with the true 5-year counts."""
    c, groups = census2010(raw)
    sgc = c[c.level == "sigungu"]
    nat = c[c.level == "nation"].set_index("age_group")
    edges10 = list(range(0, 90, 10))     # 0-9 .. 70-79, 80+ (open)
    top = FIT_TOP
    C10 = comp_matrix(edges10, top)
    C5 = comp_matrix(list(range(0, 90, 5)), top)
    results = {}
    for s, col in (("M", "pop_male"), ("F", "pop_female")):
        lt = mort[s]["lt"]
        lx = np.concatenate([lt["lx"], lt["lx"][-1] * np.exp(-0.5 * np.arange(1, 30))])[:top]
        natsingle = pclm(nat.loc[groups, col].to_numpy(float), C5, np.log(lx / lx[0]), lam=10.0)
        for r_code, d in sgc.groupby("kostat_code"):
            d = d.set_index("age_group")
            y5 = d.loc[groups, col].to_numpy(float)
            y10 = np.array([y5[2 * i] + y5[2 * i + 1] for i in range(8)] + [y5[16] + y5[17]])
            for name, off, lam in [("uniform", None, None)] + \
                                  [(f"pclm_flat_l{l}", np.zeros(top), l) for l in lams] + \
                                  [(f"pclm_natprior_l{l}", np.log(natsingle), l) for l in lams]:
                if off is None:
                    est5 = np.array([y10[i // 2] / 2 for i in range(16)])
                else:
                    g = pclm(y10, C10, off, lam=lam)
                    e5 = C5 @ g
                    est5 = e5[:16].copy()
                    for i in range(8):   # exact bin preservation (as in production)
                        tot = est5[2 * i] + est5[2 * i + 1]
                        est5[2 * i:2 * i + 2] *= y10[i] / tot
                tru = y5[:16]
                err = results.setdefault(name, dict(abs=0.0, tot=0.0, ape=[]))
                err["abs"] += np.abs(est5 - tru).sum()
                err["tot"] += tru.sum()
                err["ape"].extend(list(np.abs(est5 - tru)[tru >= 500] / tru[tru >= 500]))
    summary = {k: dict(pct_misallocated=100 * v["abs"] / v["tot"] / 2,
                       mape=100 * float(np.mean(v["ape"])), p90=100 * float(np.percentile(v["ape"], 90)))
               for k, v in results.items()}
    return summary


# ----------------------------------------------------------------------------------------
# 3 and 5. households
# ----------------------------------------------------------------------------------------
def table_households(sg):
    df = pd.DataFrame(dict(region=sg.adm_code10, households=sg.households.astype(int),
                           persons=sg.pop_total.astype(int)))
    assert (df.households > 0).all()
    return df


# ----------------------------------------------------------------------------------------
# 6. projection assumptions
# ----------------------------------------------------------------------------------------
def interp_anchors(anchors, years):
    ys = sorted(anchors)
    return np.interp(years, ys, [anchors[y] for y in ys])


def tables_assumptions():
    years = np.arange(2023, 2124)
    proj = years[years <= 2072]
    # TFR medium: annual values 2022-2032, anchors 2037, 2049-2072; linear in between
    tfr = interp_anchors(TFR_MED_ANNUAL, proj)
    # e0 by sex: 2023 observed; 2050 sex values DERIVED from both-sex 88.6 (same share of the
    # 2022->2072 gain for each sex); 2072 confirmed; linear in between
    f50 = (E0_MED["both2050"] - E0_MED["both2022"]) / (E0_MED["both2072"] - E0_MED["both2022"])
    e0 = {}
    for i, s in enumerate(("M", "F")):
        base, end = E0_MED["base2022"][i], E0_MED["sex2072"][i]
        anchors = {2023: LT_TARGETS[s]["e0"], 2050: base + f50 * (end - base), 2072: end}
        e0[s] = interp_anchors(anchors, proj)
    nim = interp_anchors(NIM_MED, proj)

    def extend(series, hold=True):
        if hold:
            return np.concatenate([series, np.full(len(years) - len(proj), series[-1])])
        g = (series[-1] - series[-11]) / 10.0
        k = np.arange(1, len(years) - len(proj) + 1)
        return np.concatenate([series, series[-1] + g * np.cumsum(EXT_DECAY ** k)])

    def status_med(y):
        if y == 2023:
            return "observed TFR and e0 (KOSTAT 2023); NIM UNCONFIRMED (interpolated)"
        if y > 2072:
            return "extension"
        p = []
        p.append("TFR confirmed" if (y in TFR_MED_ANNUAL or y >= 2049) else "TFR UNCONFIRMED (linear between confirmed anchors)")
        p.append("e0 confirmed" if y == 2072 else "e0 UNCONFIRMED (linear between anchors)")
        p.append("NIM confirmed" if y == 2072 else "NIM UNCONFIRMED (linear 2022 155000 to 2072 61000)")
        return "; ".join(p)

    out = {}
    med = pd.DataFrame(dict(year=years, tfr=extend(tfr), e0_male=extend(e0["M"], False),
                            e0_female=extend(e0["F"], False), net_international_migration=np.round(extend(nim)).astype(int),
                            status=[status_med(y) for y in years]))
    out["medium"] = med
    both72 = E0_MED["both2072"]
    for name, v in (("high", HIGH_2072), ("low", LOW_2072)):
        ramp = np.clip((proj - 2023) / (2072 - 2023), 0, 1)
        ramp_tfr = np.clip((proj - 2023) / (2050 - 2023), 0, 1)
        t = tfr + (v["tfr"] - 1.08) * ramp_tfr
        em = e0["M"] + (v["e0_both"] - both72) * ramp
        ef = e0["F"] + (v["e0_both"] - both72) * ramp
        n = nim + (v["nim"] - NIM_MED[2072]) * ramp
        st = "assumption (2072 anchors confirmed: TFR 1.34 e0 92.2 NIM 113000; path and sex split assumed)" \
            if name == "high" else \
            "assumption UNCONFIRMED (low path not found: TFR 0.82 recollection; e0 and NIM mirror the high variant)"
        df = pd.DataFrame(dict(year=years, tfr=extend(t), e0_male=extend(em, False), e0_female=extend(ef, False),
                               net_international_migration=np.round(extend(n)).astype(int),
                               status=["observed TFR and e0 (KOSTAT 2023); NIM UNCONFIRMED" if y == 2023 else
                                       ("extension" if y > 2072 else st) for y in years]))
        out[name] = df
    for df in out.values():
        assert len(df) == 101 and df.year.iloc[0] == 2023 and df.year.iloc[-1] == 2123
        assert abs(df.tfr.iloc[0] - 0.72) < 1e-9 and abs(df.e0_male.iloc[0] - 80.6) < 1e-9
    return out, f50


# ----------------------------------------------------------------------------------------
# 7. fertility
# ----------------------------------------------------------------------------------------
def table_fertility(pop1):
    rates = dict(ASFR5)
    rates[15], rates[20] = YOUNG_SPLIT
    assert abs(sum(rates.values()) - TFR_2023 * 1000 / 5) < 0.05 + 1e-9
    edges = list(range(15, 50, 5))
    ages = np.arange(15, 50)
    C = np.zeros((7, 35))
    for g, lo in enumerate(edges):
        C[g, lo - 15:lo - 10] = 1.0
    y = np.array([rates[e] / 1000 * 5 for e in edges]) * 1e5   # pseudo-counts: 5*rate per 100k women per age
    g = pclm(y, C, np.zeros(35), lam=0.5) / 1e5
    # exact group means (simple mean over the 5 ages)
    for k, lo in enumerate(edges):
        sl = slice(lo - 15, lo - 10)
        g[sl] *= (rates[lo] / 1000) / g[sl].mean()
    asfr = g
    fem = pop1[pop1.sex == "F"][[f"age_{a}" for a in ages]].sum().to_numpy(float)
    births = asfr * fem
    rep = dict(tfr=asfr.sum(), mean_age=((ages + 0.5) * births).sum() / births.sum(),
               share35=births[ages >= 35].sum() / births.sum(), births=births.sum(),
               mean_age_rates=((ages + 0.5) * asfr).sum() / asfr.sum(),
               max_adj=0.0)
    # birth order: multinomial logit in age, fitted to order shares and order mean ages
    B = births / births.sum()
    x = ages + 0.5 - 33.6

    def shares(p):
        a2, a3, b2, b3 = p
        u = np.vstack([np.zeros_like(x), a2 + b2 * x, a3 + b3 * x])
        e = np.exp(u - u.max(axis=0))
        return e / e.sum(axis=0)

    def resid(p):
        sh = shares(p)
        r = []
        for k in range(3):
            w = B * sh[k]
            r.append((w.sum() - ORDER_SHARE[k]) / 0.001)
            r.append(((ages + 0.5) * w).sum() / w.sum() - ORDER_MEAN[k])
        return np.array(r)

    sol = optimize.least_squares(resid, [np.log(0.323 / 0.602), np.log(0.075 / 0.602), 0.1, 0.2])
    sh = shares(sol.x)
    order_fit = []
    for k in range(3):
        w = B * sh[k]
        order_fit.append((w.sum(), ((ages + 0.5) * w).sum() / w.sum()))
    rep["order_fit"] = order_fit
    df = pd.DataFrame(dict(age=ages, asfr=asfr, share_order1=sh[0], share_order2=sh[1], share_order3p=sh[2]))
    gm = {lo: asfr[lo - 15:lo - 10].mean() * 1000 for lo in edges}
    rep["group_means"] = gm
    assert all(abs(gm[lo] - rates[lo]) < 1e-9 for lo in edges)
    assert np.allclose(df[["share_order1", "share_order2", "share_order3p"]].sum(axis=1), 1.0)
    return df, rep, rates


# ----------------------------------------------------------------------------------------
# fertility by region
# ----------------------------------------------------------------------------------------
def table_fertility_regions(raw, regions):
    """Each si/gun/gu's 2023 TFR, shrunk toward its province's where births are few.

    A region with 30 births has a TFR whose sampling error alone is about 18 %; the engine
    carries the multiplier for decades, so the noise is removed by empirical Bayes on the log
    ratio to the province: y = log(tfr / tfr_province) with noise variance 1 / births, the
    between-region variance tau^2 by the method of moments, and y shrunk by tau^2 / (tau^2 + 1 / births).
    """
    df = read_csv(raw, "vital/kosis_sgg_births_tfr_2023.csv", ["kostat_code", "births_2023", "tfr_2023", "adm_code"],
                  dtype={"kostat_code": str, "adm_code": str})
    sido = df[df.kostat_code.str.len() == 2].set_index("kostat_code")
    sgg = df[df.adm_code.notna()].copy()
    codes = set(regions.code.astype(str))
    missing = sorted(codes - set(sgg.adm_code))
    if missing:
        raise InputError(f"vital/kosis_sgg_births_tfr_2023.csv: no TFR for regions {missing}")
    sgg = sgg[sgg.adm_code.isin(codes)].copy()
    assert len(sgg) == N_REGIONS and sgg.adm_code.is_unique
    if (sgg.births_2023 <= 0).any() or (sgg.tfr_2023 <= 0).any():
        raise InputError("vital/kosis_sgg_births_tfr_2023.csv: births and TFR must be positive for every region")
    national = float(df[df.kostat_code == "00"].tfr_2023.iloc[0])
    prov = sgg.kostat_code.str[:2].map(sido.tfr_2023).to_numpy(float)
    assert np.isfinite(prov).all(), "every region's province must have a TFR row"
    y = np.log(sgg.tfr_2023.to_numpy(float) / prov)
    v = 1.0 / sgg.births_2023.to_numpy(float)
    tau2 = max(0.0, float(np.mean(y ** 2) - np.mean(v)))
    factor = tau2 / (tau2 + v)
    sgg["tfr"] = prov * np.exp(factor * y)
    out = pd.DataFrame(dict(region=sgg.adm_code, births=sgg.births_2023.astype(int), tfr_published=sgg.tfr_2023,
                            tfr=sgg.tfr, status="confirmed births and tfr_published; tfr DERIVED (shrunk)"))
    out = out.sort_values("region").reset_index(drop=True)
    multiplier = out.tfr / national
    rep = dict(national=national, tau=tau2 ** 0.5, median_factor=float(np.median(factor)),
               min_factor=float(factor.min()), births=int(out.births.sum()),
               lowest=out.loc[out.tfr.idxmin()].to_dict(), highest=out.loc[out.tfr.idxmax()].to_dict(),
               multiplier_range=(float(multiplier.min()), float(multiplier.max())),
               largest_shrink=sgg.assign(f=factor).sort_values("f").head(3)[["kostat_name", "births_2023", "tfr_2023", "tfr"]].to_dict("records"))
    return out, rep


# ----------------------------------------------------------------------------------------
# 9. regional mortality multipliers
# ----------------------------------------------------------------------------------------
def table_mortality_regions(raw, sg, cw, pop1, mort):
    lk = read_csv(raw, "codes/adm_sgis_lookup_2024.csv", ["adm10_2023", "level", "sgis_2010", "sgis_2015",
                                                          "sgis_2020", "sgis_2022", "sgis_2023"], dtype=str)
    m20 = read_csv(raw, "census_kosis_tidycensuskr/mortality_2020_sigungu.csv",
                   ["adm2_code", "class2", "year", "value"], dtype={"adm2_code": str})
    m1015 = read_csv(raw, "census_kosis_tidycensuskr/mortality_2010_2015_sigungu.csv",
                     ["adm2_code", "class2", "year", "value"], dtype={"adm2_code": str})
    m = pd.concat([m20, m1015])
    m = m[m.class2.isin(["male", "female"])]
    rate = {(int(r.year), r.adm2_code, r.class2): float(r.value) for r in m.itertuples()}
    years = [2010, 2015, 2020]
    codes_by_year = {y: {k[1] for k in rate if k[0] == y} for y in years}
    lkd = lk[lk.level == "District"]
    # expected deaths 2023 = single-year population x national schedule (age structure)
    ages = [f"age_{a}" for a in range(MAXAGE + 1)]
    E = {}
    for s, k in (("M", "male"), ("F", "female")):
        mx = mort[s]["lt"]["mx"]
        sub = pop1[pop1.sex == s].set_index("region")[ages]
        E[k] = (sub.to_numpy(float) @ mx)
        E[k] = pd.Series(E[k], index=sub.index)
    # map each region to a KOSTAT code per year
    mapping = {}
    for code in sg.adm_code10:
        rows = lkd[lkd.adm10_2023 == code]
        for y in years:
            cands = []
            for col in (f"sgis_{y}", "sgis_2023", "sgis_2022"):
                for v in rows[col].dropna():
                    cands.append(v[:5])
            mapcodes = cw.loc[code].kostat_map2018_codes.split(";")
            cands += [mapcodes[0][:4] + "0"] if len(mapcodes) > 1 else mapcodes
            hit = next((c for c in cands if c in codes_by_year[y]), None)
            mapping[(code, y)] = hit
    logr = {}
    for k in ("male", "female"):
        L = np.full((len(sg), 3), np.nan)
        for i, code in enumerate(sg.adm_code10):
            for j, y in enumerate(years):
                c = mapping[(code, y)]
                if c is not None and (y, c, k) in rate:
                    L[i, j] = np.log(rate[(y, c, k)])
        w = E[k].reindex(sg.adm_code10).to_numpy()
        for j in range(3):   # national reference: expected-deaths-weighted mean (log scale)
            ok = ~np.isnan(L[:, j])
            L[:, j] -= np.sum(w[ok] * L[ok, j]) / w[ok].sum()
        logr[k] = (L, w)
    # empirical Bayes shrinkage of the time-averaged log ratio
    yw = np.array([1.0, 2.0, 3.0])
    out = {}
    diag = {}
    for k in ("male", "female"):
        L, D = logr[k]
        ok = ~np.isnan(L)
        wts = np.where(ok, yw, 0.0)
        avg = np.nansum(np.where(ok, L, 0) * wts, axis=1) / np.maximum(wts.sum(axis=1), 1e-9)
        nyears = ok.sum(axis=1)
        # within-region deviation variance vs 1/D  ->  noise constant kappa (var = tau2 + kappa/D)
        dev = np.where(ok, L - avg[:, None], np.nan)
        v_within = np.nansum(dev ** 2, axis=1) / np.maximum(nyears - 1, 1)
        good = nyears >= 2
        X = np.vstack([np.ones(good.sum()), 1.0 / D[good]]).T
        coef, *_ = np.linalg.lstsq(X, v_within[good], rcond=None)
        kappa = max(coef[1], 1.0)
        neff = np.where(nyears > 0, wts.sum(axis=1) ** 2 / np.maximum((wts ** 2).sum(axis=1), 1e-9), 1)
        noise = kappa / D / neff
        has = nyears > 0
        sig2 = max(np.var(avg[has]) - np.mean(noise[has]), 1e-4)
        Bsh = sig2 / (sig2 + noise)
        lm = np.where(has, Bsh * avg, 0.0)
        mult = np.exp(lm)
        # normalise so that the multipliers reproduce the national expected deaths
        mult = mult * D.sum() / (mult * D).sum()
        mult = np.clip(mult, 0.6, 1.6)
        out[k] = np.where(has, mult, 1.0)
        diag[k] = dict(kappa=kappa, sigma=np.sqrt(sig2), shrink_min=Bsh[has].min(), shrink_med=np.median(Bsh[has]),
                       n_nodata=int((~has).sum()), years_missing=int((nyears < 3).sum()),
                       min=out[k].min(), max=out[k].max(), p10=np.percentile(out[k], 10),
                       p90=np.percentile(out[k], 90), wmean=(out[k] * D).sum() / D.sum())
    has_any = np.array([any(mapping[(c, y)] is not None for y in years) for c in sg.adm_code10])
    df = pd.DataFrame(dict(region=sg.adm_code10.to_numpy(), multiplier_male=out["male"],
                           multiplier_female=out["female"],
                           status=np.where(has_any, "DERIVED", "no data: 1.0")))
    partial = [c for c in sg.adm_code10 if sum(mapping[(c, y)] is not None for y in years) < 3]
    return df, diag, partial


# ----------------------------------------------------------------------------------------
# 10. migration by age
# ----------------------------------------------------------------------------------------
def rogers_castro(p, x):
    a1, al1, a2, mu2, al2, la2, c = p
    return a1 * np.exp(-al1 * x) + a2 * np.exp(-al2 * (x - mu2) - np.exp(-la2 * (x - mu2))) + c


def table_migration(pop1):
    ages = np.arange(MAXAGE + 1)
    P = pop1[[f"age_{a}" for a in ages]].sum().to_numpy(float)

    def grp_rate(rate, lo, hi):
        w = P[lo:hi + 1]
        return (rate[lo:hi + 1] * w).sum() / w.sum()

    def resid(p):
        r = rogers_castro(p, ages + 0.5)
        return np.array([(grp_rate(r, lo, hi) - v) / v for (lo, hi), v in MIG_GROUPS])

    x0 = [0.08, 0.1, 0.15, 22.0, 0.10, 0.4, 0.04]
    lb = [0.0, 0.0, 0.0, 15.0, 0.02, 0.05, 0.0]
    ub = [0.5, 1.0, 1.0, 35.0, 0.5, 5.0, 0.1]
    sol = optimize.least_squares(resid, x0, bounds=(lb, ub))
    rate = rogers_castro(sol.x, ages + 0.5)
    fit = {f"{lo}-{hi}": grp_rate(rate, lo, hi) for (lo, hi), _ in MIG_GROUPS}
    fit["10-19"] = grp_rate(rate, 10, 19)
    fit["80+"] = grp_rate(rate, 80, 100)
    overall = (rate * P).sum() / P.sum()
    # between-province share: constant except a bump for ages 18-29 (job/education moves),
    # scaled so that the population-weighted between-province rate is exactly 4.2 %
    bump = 1.0 + 0.35 * np.exp(-0.5 * ((ages - 24.0) / 4.0) ** 2)
    k = MIG_BETWEEN_SIDO * P.sum() / (rate * bump * P).sum()
    bps = k * bump
    assert (bps < 1).all()
    css = bps + (1 - bps) * WITHIN_SIDO_CROSS_SIGUNGU
    df = pd.DataFrame(dict(age=ages, move_rate=rate, between_province_share=bps, cross_sigungu_share=css))
    between = (rate * bps * P).sum() / P.sum()
    cross = (rate * css * P).sum() / P.sum()
    rep = dict(params=sol.x, fit=fit, overall=overall, between=between, cross=cross,
               bps_range=(bps.min(), bps.max()), css_overall=cross / overall, bps_overall=between / overall)
    assert abs(between - MIG_BETWEEN_SIDO) < 1e-12
    return df, rep


# ----------------------------------------------------------------------------------------
# 11. living arrangements
# ----------------------------------------------------------------------------------------
# never-married proportions at single ages: anchors (age, value) per sex, interpolated on the
# logit scale, then scaled so the 10-year group means match the 2020 census figures.
NM_SHAPE = {"M": [(18, 0.999), (22, 0.985), (27, 0.86), (32, 0.58), (37, 0.38), (42, 0.27), (47, 0.19),
                  (52, 0.12), (57, 0.075), (62, 0.045), (67, 0.03), (75, 0.018), (85, 0.012), (100, 0.01)],
            "F": [(18, 0.997), (22, 0.965), (27, 0.74), (32, 0.40), (37, 0.24), (42, 0.16), (47, 0.11),
                  (52, 0.075), (57, 0.05), (62, 0.03), (67, 0.02), (75, 0.012), (85, 0.01), (100, 0.01)]}
WITH_PARENT_NM = [(18, 0.92), (22, 0.75), (26, 0.65), (30, 0.58), (35, 0.52), (40, 0.46), (50, 0.36),
                  (60, 0.18), (70, 0.05), (80, 0.0), (100, 0.0)]   # UNCONFIRMED
WITH_PARENT_CHILD = 0.95   # UNCONFIRMED share of under-18s living in a parent's household


def table_living(pop1):
    ages = np.arange(MAXAGE + 1)
    P = {s: pop1[pop1.sex == s][[f"age_{a}" for a in ages]].sum().to_numpy(float) for s in ("M", "F")}

    def logit(p):
        return np.log(p / (1 - p))

    def nm_curve(s, shift):
        a, v = zip(*NM_SHAPE[s])
        lg = np.interp(ages, a, logit(np.array(v)))
        nm = 1 / (1 + np.exp(-(lg + shift(ages))))
        nm[ages < 18] = 1.0
        return nm

    # piecewise-constant logit shifts per 10-year group (20s,30s,40s,50s) fitted to census 2020
    def make_shift(c):
        def f(x):
            knots = [15, 25, 35, 45, 55, 65]
            vals = [0.0, c[0], c[1], c[2], c[3], 0.0]
            return np.interp(x, knots, vals)
        return f

    def gmean(arr, w, lo, hi):
        return (arr[lo:hi + 1] * w[lo:hi + 1]).sum() / w[lo:hi + 1].sum()

    def resid(c):
        cM, cF = make_shift(c[:4]), make_shift(c[4:])
        nmM, nmF = nm_curve("M", cM), nm_curve("F", cF)
        both = lambda lo, hi: ((nmM * P["M"])[lo:hi + 1].sum() + (nmF * P["F"])[lo:hi + 1].sum()) / \
            (P["M"][lo:hi + 1].sum() + P["F"][lo:hi + 1].sum())
        r = [both(20, 29) - NM_2020["20_29_both"], gmean(nmM, P["M"], 30, 39) - NM_2020["30_39_M"],
             gmean(nmF, P["F"], 30, 39) - NM_2020["30_39_F"], both(40, 49) - NM_2020["40_49_both"],
             both(50, 59) - NM_2020["50_59_both"],
             (gmean(nmM, P["M"], 40, 49) - gmean(nmF, P["F"], 40, 49)) - 0.09,   # sex gap kept (shape)
             (gmean(nmM, P["M"], 50, 59) - gmean(nmF, P["F"], 50, 59)) - 0.04,
             (gmean(nmM, P["M"], 20, 29) - gmean(nmF, P["F"], 20, 29)) - 0.07]
        return np.array(r) * 100 + 0.001 * np.asarray(c)

    sol = optimize.least_squares(resid, np.zeros(8))
    nm2020 = {"M": nm_curve("M", make_shift(sol.x[:4])), "F": nm_curve("F", make_shift(sol.x[4:]))}
    # level moved to the 2023 register census (18+ never married M 34.2 %, F 24.9 %): a logit
    # shift ramped in over ages 18-25 and constant above
    ramp = np.clip((ages - 18) / 7.0, 0, 1)
    ad = ages >= 18
    nm = {}
    for s in ("M", "F"):
        def f(dl):
            lg = np.log(nm2020[s] / (1 - nm2020[s] + 1e-12) + 1e-300)
            v = 1 / (1 + np.exp(-(lg + dl * ramp)))
            v[ages < 18] = 1.0
            return v
        tgt = NM_18P_2023[s]
        dl = optimize.brentq(lambda d: (f(d) * P[s])[ad].sum() / P[s][ad].sum() - tgt, -3, 3)
        nm[s] = f(dl)

    # currently married = ever married x (1 - divorced/separated - widowed among ever married)
    def married(s, d, wmid):
        ever = 1 - nm[s]
        div = d * (1 / (1 + np.exp(-(ages - 40) / 6.0))) * (1 - 0.4 / (1 + np.exp(-(ages - 75) / 5.0)))
        wid = 1 / (1 + np.exp(-(ages - wmid) / 5.5))
        m = ever * np.clip(1 - div - wid, 0, 1)
        m[ages < 18] = 0.0
        return m

    def resid2(p):
        d, wF = p
        mM, mF = married("M", d, 89.0), married("F", d, wF)
        ad = ages >= 18
        tot = (mM * P["M"])[ad].sum() + (mF * P["F"])[ad].sum()
        share = tot / (P["M"][ad].sum() + P["F"][ad].sum())
        ratio = (mM * P["M"]).sum() / (mF * P["F"]).sum()
        return [(share - MARRIED_18P_2023) * 100, (ratio - 1.0) * 100]

    sol2 = optimize.least_squares(resid2, [0.08, 78.0], bounds=([0.0, 65.0], [0.3, 95.0]))
    d, wF = sol2.x
    mar = {"M": married("M", d, 89.0), "F": married("F", d, wF)}
    a_, v_ = zip(*WITH_PARENT_NM)
    plive = np.interp(ages, a_, v_)
    wp = {s: np.where(ages < 18, WITH_PARENT_CHILD, nm[s] * plive) for s in ("M", "F")}
    rows = []
    for s in ("M", "F"):
        for a in ages:
            rows.append(dict(age=a, sex=s, married_share=mar[s][a], with_parent_share=wp[s][a], status="UNCONFIRMED"))
    df = pd.DataFrame(rows)
    ad = ages >= 18
    y = (ages >= 19) & (ages <= 34)
    rep = dict(divorce_level=d, widow_mid_F=wF,
               married_M=(mar["M"] * P["M"]).sum(), married_F=(mar["F"] * P["F"]).sum(),
               share18=((mar["M"] * P["M"])[ad].sum() + (mar["F"] * P["F"])[ad].sum()) / (P["M"][ad].sum() + P["F"][ad].sum()),
               nm30_39=(gmean(nm["M"], P["M"], 30, 39), gmean(nm["F"], P["F"], 30, 39)),
               nm30_39_both=((nm["M"] * P["M"])[30:40].sum() + (nm["F"] * P["F"])[30:40].sum()) / (P["M"][30:40].sum() + P["F"][30:40].sum()),
               nm2020_30_39=(gmean(nm2020["M"], P["M"], 30, 39), gmean(nm2020["F"], P["F"], 30, 39)),
               nm30_34=(gmean(nm["M"], P["M"], 30, 34), gmean(nm["F"], P["F"], 30, 34)),
               nm18p=((nm["M"] * P["M"])[ad].sum() / P["M"][ad].sum(), (nm["F"] * P["F"])[ad].sum() / P["F"][ad].sum()),
               wp19_34=((wp["M"] * P["M"])[y].sum() + (wp["F"] * P["F"])[y].sum()) / (P["M"][y].sum() + P["F"][y].sum()))
    rep["ratio"] = rep["married_M"] / rep["married_F"]
    assert (df.married_share[df.age < 18] == 0).all()
    assert df.married_share.between(0, 1).all() and df.with_parent_share.between(0, 1).all()
    return df, rep


# ----------------------------------------------------------------------------------------
# 12. unions (marriage and divorce), 13. leaving the parental home, 14. international migration by age
# ----------------------------------------------------------------------------------------
# KOSTAT "2023 Marriage and Divorce Statistics" (혼인·이혼통계, released 2024-03-19), via press
# (newsis NISX20240319_0002666177, wlv.kr 3002235, ccgnews 16275, datasom 200680, seattlen 16363): confirmed
MARRIAGES_2023 = 193657            # crude marriage rate 3.8 per 1000
MEAN_AGE_FIRST_MARRIAGE = {"M": 34.0, "F": 31.5}
MEAN_AGE_REMARRIAGE = {"M": 51.4, "F": 46.9}
FIRST_REMARRIAGE_PCT = {"M": (83.5, 16.3), "F": (81.3, 18.2)}   # % of marriages: first / remarriage of the groom / bride
MARRIAGE_SHARE_GROUPS_M = {(25, 29): 0.179, (30, 34): 0.363, (35, 39): 0.192}   # grooms' age, % of all marriages
MARRIAGE_RATE_30_34 = {"M": 0.0401, "F": 0.0427}   # marriages per person of the age group (per 1000: 40.1 / 42.7)
DIVORCES_2023 = 92394              # crude divorce rate 1.8; per 1000 married persons 3.7
MEAN_AGE_DIVORCE = {"M": 49.9, "F": 46.6}
DIVORCE_SHARE_GROUPS = {"M": {(45, 49): 0.157, (50, 54): 0.161, (60, 100): 0.204},
                        "F": {(40, 44): 0.168, (45, 49): 0.152, (50, 54): 0.142}}
DIVORCE_RATE_GROUPS = {"M": {(40, 44): 0.0071, (45, 49): 0.0072, (50, 54): 0.0066},
                       "F": {(35, 39): 0.0077, (40, 44): 0.0079, (45, 49): 0.0072}}   # per person of the age group (checks)
DIVORCE_PER_1000_MARRIED = 3.7
REMARRIAGE_SD = 9.0                # UNCONFIRMED spread (years) of the age at remarriage
FIRST_MARRIAGE_ORIGIN = {"M": 22.0, "F": 19.5}   # UNCONFIRMED lognormal origins (M chosen for the best fit of the
#                                                   grooms' age groups; F = M - 2.5, the first-marriage age gap)
MIN_UNION_AGE = 18



def _event_groups(counts, lo, hi):
    """Share of events at completed age lo..hi when events of persons aged x at the start of the
    year fall half at age x and half at age x + 1."""
    ev = 0.5 * counts
    ev2 = np.zeros_like(counts)
    ev2[1:] = 0.5 * counts[:-1]
    e = ev + ev2
    e[-1] += 0.5 * counts[-1]
    return e[lo:hi + 1].sum() / counts.sum()


def table_unions(pop1, liv):
    ages = np.arange(MAXAGE + 1)
    P = {s: pop1[pop1.sex == s][[f"age_{a}" for a in ages]].sum().to_numpy(float) for s in ("M", "F")}
    ms = {s: liv[liv.sex == s].sort_values("age").married_share.to_numpy(float) for s in ("M", "F")}
    U = {s: P[s] * (1 - ms[s]) for s in ("M", "F")}
    Mar = {s: P[s] * ms[s] for s in ("M", "F")}
    ok = ages >= MIN_UNION_AGE
    a_ev = ages + 0.5           # mean (completed) age at the event of persons aged x at the start of the year

    def lognorm_counts(mean, sd_log, origin):
        # discrete lognormal counts over ages 18..100 with an exact mean age (solved by the location)
        def dens(mu):
            pos = ok & (a_ev > origin)
            t = np.where(pos, a_ev - origin, 1.0)
            d = np.exp(-0.5 * ((np.log(t) - mu) / sd_log) ** 2) / t
            return np.where(pos, d, 0.0)

        def gap(mu):
            d = dens(mu)
            return (d * a_ev).sum() / d.sum() - mean
        mu = optimize.brentq(gap, np.log(1.0), np.log(80.0))
        d = dens(mu)
        return d / d.sum()

    def rem_counts(s):
        sd_log = REMARRIAGE_SD / (MEAN_AGE_REMARRIAGE[s] - MIN_UNION_AGE)
        return lognorm_counts(MEAN_AGE_REMARRIAGE[s], sd_log, MIN_UNION_AGE - 0.5)

    mar_rate, mrep = {}, {}
    for s in ("M", "F"):
        f1, f2 = FIRST_REMARRIAGE_PCT[s]
        rem_share = f2 / (f1 + f2)
        g2 = rem_counts(s)

        def counts(sd_log):
            g1 = lognorm_counts(MEAN_AGE_FIRST_MARRIAGE[s], sd_log, FIRST_MARRIAGE_ORIGIN[s])
            return MARRIAGES_2023 * ((1 - rem_share) * g1 + rem_share * g2)

        def resid(p):
            B = counts(p[0])
            lo, hi = 30, 34
            r = [(_event_groups(B, lo, hi) * B.sum() / P[s][lo:hi + 1].sum() - MARRIAGE_RATE_30_34[s]) / MARRIAGE_RATE_30_34[s]]
            if s == "M":
                r += [(_event_groups(B, lo2, hi2) - v) / v for (lo2, hi2), v in MARRIAGE_SHARE_GROUPS_M.items()]
            return np.array(r)
        sol = optimize.least_squares(resid, [0.3], bounds=([0.05], [1.0]))
        B = counts(sol.x[0])
        r = np.where(ok, B / np.maximum(U[s], 1e-9), 0.0)
        assert (r < 0.5).all() and (r >= 0).all(), f"marriage rate out of range ({s})"
        mar_rate[s] = r
        mrep[s] = dict(sd_log=sol.x[0], rem_share=rem_share, expected=(r * U[s]).sum(),
                       mean_first=MEAN_AGE_FIRST_MARRIAGE[s], rate30_34=_event_groups(B, 30, 34) * B.sum() / P[s][30:35].sum(),
                       groups={k: _event_groups(B, *k) for k in MARRIAGE_SHARE_GROUPS_M},
                       peak_age=int(ages[np.argmax(r)]), peak=r.max(), r25=r[25], r30=r[30], r35=r[35], r40=r[40],
                       r50=r[50], r60=r[60])

    div_rate, drep = {}, {}
    for s in ("M", "F"):
        z = (a_ev - 45.0) / 10.0

        def rates(p):
            b, c = p
            return np.where(ok, np.exp(b * z + c * z * z), 0.0)

        def scaled(p):
            d = rates(p)
            D = d * Mar[s]
            k = DIVORCES_2023 / D.sum()
            return d * k, D * k

        def resid(p):
            d, D = scaled(p)
            r = [((D * a_ev).sum() / D.sum() - MEAN_AGE_DIVORCE[s]) / 0.5]
            r += [(_event_groups(D, lo, hi) - v) / 0.01 for (lo, hi), v in DIVORCE_SHARE_GROUPS[s].items()]
            r += [(_event_groups(D, lo, hi) * D.sum() / P[s][lo:hi + 1].sum() - v) / (0.1 * v)
                  for (lo, hi), v in DIVORCE_RATE_GROUPS[s].items()]
            return np.array(r)
        sol = optimize.least_squares(resid, [0.0, -0.5], bounds=([-3.0, -3.0], [3.0, 0.0]))
        d, D = scaled(sol.x)
        assert (d < 0.1).all() and (d >= 0).all()
        div_rate[s] = d
        drep[s] = dict(params=sol.x, expected=(d * Mar[s]).sum(), mean_age=(D * a_ev).sum() / D.sum(),
                       groups={k: _event_groups(D, *k) for k in DIVORCE_SHARE_GROUPS[s]},
                       rates={k: _event_groups(D, *k) * D.sum() / P[s][k[0]:k[1] + 1].sum() for k in DIVORCE_RATE_GROUPS[s]},
                       peak_age=int(ages[np.argmax(d)]), peak=d.max(), d30=d[30], d40=d[40], d50=d[50], d60=d[60], d70=d[70])
    rows = []
    for s in ("M", "F"):
        for a in ages:
            rows.append(dict(age=a, sex=s, marriage_rate=mar_rate[s][a], divorce_rate=div_rate[s][a], status="DERIVED"))
    df = pd.DataFrame(rows)
    married_total = Mar["M"].sum() + Mar["F"].sum()
    rep = dict(m=mrep, d=drep, U=U, Mar=Mar, mar_rate=mar_rate,
               cmr=1000 * MARRIAGES_2023 / TOTAL_POP, cdr=1000 * DIVORCES_2023 / TOTAL_POP,
               div_per_married=1000 * DIVORCES_2023 / married_total)
    assert len(df) == 2 * (MAXAGE + 1)
    for s in ("M", "F"):
        assert abs(mrep[s]["expected"] / MARRIAGES_2023 - 1) < 0.01 and abs(drep[s]["expected"] / DIVORCES_2023 - 1) < 0.01
    assert (df[df.age < MIN_UNION_AGE][["marriage_rate", "divorce_rate"]] == 0).all().all()
    return df, rep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("raw_dir")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "korea"))
    args = ap.parse_args(argv)
    raw, out = args.raw_dir, args.out
    if not os.path.isdir(raw):
        raise InputError(f"raw directory not found: {raw}")
    os.makedirs(out, exist_ok=True)
    R = {}   # report values for README
    src_mois = f"MOIS resident registration statistics {REF} (jumin.mois.go.kr; 거주자 basis)"

    sg = load_mois(raw)
    cw = load_crosswalk(raw)

    # 1 regions
    regions, name_fixes = table_regions(raw, sg, cw)
    R["name_fixes"] = name_fixes
    write_table(out, "regions.csv", [
        "Regions: the 229 si/gun/gu-level units of South Korea, 2023-12",
        f"source: {src_mois}; KOSTAT SGIS 2018 boundaries (southkorea-maps); MOIS notice 2021-66 (population-declining areas); code/name crosswalks from tidycensuskr",
        "method: name_ko without province prefix; name_en from lookup_district_code_2020 (KOSTAT-code join) else the crosswalk; centroid = area-weighted mean and area = sum of the 2018 polygons mapped to the region (cities drawn as several gu)",
        "status: codes, names, flags confirmed; centroid/area DERIVED from simplified polygons (area +-1 %)",
        "note: capital_region = Seoul (11), Incheon (28), Gyeonggi (41); declining_area = 89 areas designated 2021-10-18",
        "note: Gunwi-gun (2772000000) moved to Daegu on 2023-07-01 and is listed under Daegu",
    ], regions, floatfmt=dict(centroid_lon="%.5f", centroid_lat="%.5f", area_km2="%.1f"))

    # 2 provinces
    prov = table_provinces(raw, sg)
    write_table(out, "provinces.csv", [
        "Provinces (sido) of South Korea, 2023-12",
        "source: MOIS sido codes valid 2023-12; KOSTAT 2023 birth statistics via press (sido TFR), see FACTS.md 4.1",
        "method: copied from provinces_2023.csv; rows ordered by MOIS code",
        "status: tfr_status per row: confirmed = stated by a cited source, UNCONFIRMED = best-known value not confirmed",
        "note: codes valid in 2023-12: Gangwon 51 (since 2023-06), Jeonbuk still 45 (52 from 2024-01), Jeju 50",
    ], prov, floatfmt=dict(tfr_2023="%.2f"))

    # 8 mortality (fitted first)
    mort = fit_mortality(raw)
    R["mort"] = mort

    # 3 population_age5: the published 5-year groups (the constraint table)
    p5 = prep_population.population_age5(raw)
    write_table(out, "population_age5.csv", prep_population.age5_header_lines, p5)

    # 4 population (single years, nationals). The earlier method (PCLM from 10-year bins with
    # a census-2010 cohort prior) is computed as the reference the new table is compared with.
    prior, bstatus, _ = national_prior(raw, mort)
    lams = [1.0, 10.0, 100.0]
    val = validate_ungrouping(raw, mort, lams)
    best = min((k for k in val if k.startswith("pclm_natprior")), key=lambda k: val[k]["pct_misallocated"])
    pop_pclm = ungroup_population(sg, prior, float(best.split("_l")[-1]))
    pop1, R["poprep"] = prep_population.population_single_years(raw, p5, previous=pop_pclm)
    assert len(pop1) == 2 * N_REGIONS
    vals = pop1[[f"age_{a}" for a in range(MAXAGE + 1)]].to_numpy()
    assert (vals >= 0).all() and int(vals.sum()) == TOTAL_POP
    write_table(out, "population.csv", prep_population.single_header_lines, pop1)

    # 4b foreign residents and their households
    pop_foreign, hh_foreign, R["foreignrep"] = prep_foreign.foreign_population(raw, pop1)
    write_table(out, "population_foreign.csv", prep_foreign.foreign_header_lines(pop_foreign, hh_foreign), pop_foreign)

    # 5 households (nationals' registered households; the foreign residents' own)
    hh = table_households(sg)
    assert (hh.set_index("region").persons == pop1.groupby("region")[[f"age_{a}" for a in range(MAXAGE + 1)]].sum().sum(axis=1)).all()
    hh = hh.merge(hh_foreign, on="region", validate="one_to_one")
    hh["foreign_persons"] = pop_foreign.groupby("region")[[f"age_{a}" for a in range(MAXAGE + 1)]].sum().sum(axis=1).reindex(hh.region).to_numpy()
    write_table(out, "households.csv", [
        "Households by region, 2023-12-31: the nationals' registered households (세대) and residents, and the foreign residents' own households",
        f"source: {src_mois}, 주민등록 인구 및 세대현황; foreign residents: population_foreign.csv and census 2020 foreign-only households (README.md)",
        "method: households and persons copied (persons = resident total of the region = sum of population.csv); foreign_households = foreign residents x households per foreign resident of census 2020 (540,000 / 1,700,000), at least 1 and at most the region's foreign adults; foreign_persons = sum of population_foreign.csv",
        f"status: households confirmed; foreign_households DERIVED (UNCONFIRMED ratio); national {int(hh.households.sum())} households, {hh.persons.sum() / hh.households.sum():.2f} persons per household; {int(hh.foreign_households.sum())} foreign households",
        "note: a MOIS 세대 is a registration unit, not a census household (가구): census 2023 counted 22.73 M households of mean size 2.21",
    ], hh[["region", "households", "persons", "foreign_households", "foreign_persons"]])

    # 5b fertility by region
    fr, R["frrep"] = table_fertility_regions(raw, regions)
    write_table(out, "fertility_regions.csv", [
        "Total fertility rate by region, 2023: the regional fertility multiplier is tfr / national TFR (0.721)",
        "source: KOSTAT 2023 birth statistics (출생통계), births and TFR of the 229 si/gun/gu (KOSIS)",
        "method: tfr_published copied; tfr = the published rate shrunk toward its province's on the log scale by empirical Bayes (noise variance 1 / births, between-region variance by moments), so that a region with a few dozen births does not carry its sampling noise for decades",
        "status: births and tfr_published confirmed; tfr DERIVED",
        f"note: between-region sd of log(tfr / province) {R['frrep']['tau']:.3f}; median shrinkage factor {R['frrep']['median_factor']:.3f}; tfr range {fr.tfr.min():.3f}-{fr.tfr.max():.3f}",
    ], fr, floatfmt=dict(tfr_published="%.3f", tfr="%.4f"))

    # 8 mortality: the 2023 complete life table (closed above 90) with its improvement patterns
    mt, R["mortrep"] = prep_mortality.mortality_table(raw)
    R["lifetable_md"] = prep_mortality.life_table_comparison_md(mt)
    mort_2023 = {s: {"lt": {"mx": mt[f"mx_{k}"].to_numpy(float)}} for s, k in (("M", "male"), ("F", "female"))}
    ages = np.arange(MAXAGE + 1)
    deaths = {}
    for s, k in (("M", "male"), ("F", "female")):
        P = pop1[pop1.sex == s][[f"age_{a}" for a in ages]].sum().to_numpy(float)
        deaths[s] = (P * mort_2023[s]["lt"]["mx"]).sum()
    R["deaths"] = deaths
    write_table(out, "mortality.csv", mt.attrs["header_lines"] + [
        f"note: check with population.csv (nationals) as exposure: deaths M {deaths['M']:.0f} (registered 188921), F {deaths['F']:.0f} (163590)",
    ], mt, floatfmt={c: ("%.1f" if c.startswith("lx") else "%.3f" if c.startswith("ex") else "%.8f")
                     for c in mt.columns if c != "age"})

    # 6 assumptions
    asm, f50 = tables_assumptions()
    nim_nationals, R["nimrep"] = prep_foreign.nationals_net_migration(raw)
    for variant in asm.values():
        variant.insert(variant.columns.get_loc("net_international_migration") + 1,
                       "net_international_migration_nationals", int(nim_nationals))
    R["asm"], R["f50"], R["nim_nationals"] = asm, f50, nim_nationals
    common = "source: Statistics Korea (KOSTAT) Population Projections for Korea 2022-2072 (released 2023-12-14), via press coverage and a KOSTAT table reproduced online; 2023 row = observed 2023 TFR and life table"
    write_table(out, "assumptions_medium.csv", [
        "Projection assumptions, medium scenario, 2023-2123",
        common,
        "method: TFR annual values 2023-2032 and anchors 2037 (1.05) 2049-2072 (1.08) linear in between; e0 anchors 2023 observed (80.6/86.4), 2050 DERIVED (both-sex 88.6 split by sex with the same share of the 2022-2072 gain), 2072 (89.5/92.7) linear in between; NIM linear from 155000 (2022) to 61000 (2072)",
        "method: 2073-2123 extension: TFR and NIM held at the 2072 value; e0 gains continue at the 2062-2072 annual gain decaying geometrically by 0.97 per year",
        "status: per row; confirmed = stated by a source; UNCONFIRMED = interpolated between confirmed anchors; extension = rule above",
        "note: NIM = net international migration (persons per year, Koreans + foreigners staying 3+ months); the KOSTAT intermediate NIM path was not found",
        f"note: net_international_migration_nationals = the registered nationals' own net ({int(nim_nationals)}: register change - births + deaths - naturalisations, mean of 2022-2023; README.md), held constant; the foreigners' net is the total minus it",
    ], asm["medium"], floatfmt=dict(tfr="%.4f", e0_male="%.3f", e0_female="%.3f"))
    write_table(out, "assumptions_high.csv", [
        "Projection assumptions, high scenario, 2023-2123",
        common,
        "method: medium path plus the 2072 high-minus-medium gap ramped linearly (TFR gap reached in 2050; e0 and NIM gaps in 2072); e0 gap +1.1 applied equally to both sexes; 2073+ extension as medium",
        "status: assumption; 2072 anchors confirmed (TFR 1.34, e0 both sexes 92.2, NIM 113000), the path and the sex split are assumptions",
    ], asm["high"], floatfmt=dict(tfr="%.4f", e0_male="%.3f", e0_female="%.3f"))
    write_table(out, "assumptions_low.csv", [
        "Projection assumptions, low scenario, 2023-2123",
        common,
        "method: as the high variant with low 2072 values: TFR 0.82, e0 both sexes 90.0 (medium - 1.1), NIM 9000 (medium - 52000, mirror of the high gap)",
        "status: assumption UNCONFIRMED: the low-variant paths were not found (FACTS.md 10); only the low 2072 population (30.17 M) is confirmed",
    ], asm["low"], floatfmt=dict(tfr="%.4f", e0_male="%.3f", e0_female="%.3f"))

    # 7 fertility
    fert, frep, rates = table_fertility(pop1)
    R["frep"], R["rates"] = frep, rates
    of = frep["order_fit"]
    write_table(out, "fertility.csv", [
        "Age-specific fertility rates (births per woman per year) and birth-order shares, 2023, ages 15-49",
        "source: KOSTAT 2023 birth statistics (출생통계) via press: 5-year ASFRs 25-49, TFR 0.72, mean age 33.6, 35+ share 36.3 %, order shares and mean ages (FACTS.md 4.1)",
        f"method: 5-year rates 15-19 {rates[15]} and 20-24 {rates[20]} per 1000 DERIVED from the TFR constraint (sum 4.8) with an assumed split; ungrouped by PCLM (lambda 0.5) and rescaled so each group's mean rate is exact; order shares by a multinomial logit in age fitted to the order shares and mean ages",
        "status: 25-49 group rates confirmed; 15-24 split UNCONFIRMED; single-year shape and order shares DERIVED",
        f"note: TFR = {frep['tfr']:.4f}; with the 2023 female population: mean age at birth {frep['mean_age']:.2f} (33.6), 35+ share {100 * frep['share35']:.1f} % (36.3), births {frep['births']:.0f} (230000)",
        f"note: order fit share/mean age: 1st {100 * of[0][0]:.1f} %/{of[0][1]:.2f} (60.2/33.0), 2nd {100 * of[1][0]:.1f} %/{of[1][1]:.2f} (32.3/34.4), 3rd+ {100 * of[2][0]:.1f} %/{of[2][1]:.2f} (7.5/35.6)",
    ], fert, floatfmt=dict(asfr="%.7f", share_order1="%.6f", share_order2="%.6f", share_order3p="%.6f"))

    # 9 regional mortality
    mr, mdiag, partial = table_mortality_regions(raw, sg, cw, pop1, mort_2023)
    R["mdiag"], R["mpartial"] = mdiag, partial
    write_table(out, "mortality_regions.csv", [
        "Regional all-cause mortality multipliers relative to the national schedule, by sex",
        "source: KOSTAT cause-of-death statistics, age-standardised all-cause death rates per 100k by sigungu and sex, 2010/2015/2020 (KOSIS via tidycensuskr)",
        "method: the rates are already age-standardised, so log(rate / national) is a comparative mortality ratio; national = mean weighted by 2023 expected deaths (population.csv x mortality.csv); years averaged with weights 1:2:3; empirical-Bayes shrinkage toward 1 with noise variance kappa/expected deaths (kappa from year-to-year scatter); rescaled so that the 2023 expected deaths are preserved; clipped to 0.6-1.6",
        "status: DERIVED; 'no data: 1.0' where no year could be mapped",
        f"note: multiplier range M {mdiag['male']['min']:.3f}-{mdiag['male']['max']:.3f}, F {mdiag['female']['min']:.3f}-{mdiag['female']['max']:.3f}; regions with fewer than 3 years of data: {len(partial)}",
    ], mr, floatfmt=dict(multiplier_male="%.4f", multiplier_female="%.4f"))

    # 10 migration
    mig, mrep = table_migration(pop1)
    R["mrep"] = mrep
    ft = mrep["fit"]
    write_table(out, "migration_age.csv", [
        "Internal migration by single year of age, 2023: annual probability of moving (crossing an eup/myeon/dong border)",
        "source: KOSTAT 2023 internal migration statistics (국내인구이동통계) via press: rates by age group, total 12.0 %, between-sido 4.2 % (FACTS.md 4.3)",
        "method: 7-parameter Rogers-Castro schedule fitted (scipy least_squares, relative errors) to the 7 published age-group rates with population.csv weights; teens and 80+ not published: taken from the fitted curve",
        "method: between_province_share constant x (1 + 0.35 bump centred at 24, sd 4) scaled to a 4.2 % population-weighted between-sido rate; cross_sigungu_share = between + (1 - between) x 0.30",
        "status: move_rate DERIVED (fit); between_province_share DERIVED (age profile assumed); cross_sigungu_share UNCONFIRMED (0.30 of within-sido moves assumed to cross a sigungu border)",
        f"note: fitted group rates: " + " ".join(f"{k} {100 * v:.1f}" for k, v in ft.items()) + f" (%); overall {100 * mrep['overall']:.2f} % (published 12.0)",
    ], mig, floatfmt=dict(move_rate="%.6f", between_province_share="%.6f", cross_sigungu_share="%.6f"))

    # 11 living arrangements
    liv, lrep = table_living(pop1)
    R["lrep"] = lrep
    write_table(out, "living_arrangements.csv", [
        "Living arrangements by age and sex: share currently married (spouse in household) and share living in a parent's household",
        "source: KOSTAT census 2020 sample results via press (never-married shares: 20s 92.8 %, 30s M 50.8 % F 33.6 %, 40s 17.9 %, 50s 7.4 %); census 2023 register results (18+ married 56.6 %)",
        "method: never-married share by single age from an assumed logit-interpolated shape per sex, shifted to match the census 2020 10-year shares, then moved (one logit shift per sex above age 25) to the 2023 register level (18+ never married M 34.2 % F 24.9 %); married = ever married x (1 - divorced - widowed), divorce level and female widowhood age fitted so that 18+ married = 56.6 % and married men = married women; with_parent = never married x assumed co-residence curve (0.95 under 18)",
        "status: UNCONFIRMED (group anchors confirmed by press; single-age shape, sex split of 20s/40s/50s, divorce/widowhood and co-residence curves are assumptions)",
        f"note: implied married men/women = {lrep['ratio']:.3f}; 18+ married {100 * lrep['share18']:.1f} %; never married 30-39 both sexes {100 * lrep['nm30_39_both']:.1f} % (2023 published 51.3); share of 19-34 living with a parent {100 * lrep['wp19_34']:.1f} %",
        "note: married_share is 0 below age 18 (legal minimum age); spouse-absent married couples are not separated out",
    ], liv, floatfmt=dict(married_share="%.5f", with_parent_share="%.5f"))

    # 12 unions
    uni, urep = table_unions(pop1, liv)
    R["urep"] = urep
    um, ud = urep["m"], urep["d"]
    write_table(out, "unions.csv", [
        "Union formation and dissolution by age and sex, 2023: annual probability that a currently unmarried person marries (marriage_rate) and that a currently married person divorces (divorce_rate); age in completed years at the start of the year",
        "source: KOSTAT 2023 marriage and divorce statistics (혼인·이혼통계, 2024-03-19) via press (newsis, wlv.kr, ccgnews, datasom, seattlen): marriages 193657, mean age at first marriage M 34.0 F 31.5, at remarriage M 51.4 F 46.9, remarriage share M 16.3 % F 18.2 %, grooms 25-29/30-34/35-39 = 17.9/36.3/19.2 %, 30-34 marriage rate per 1000 M 40.1 F 42.7; divorces 92394, mean age M 49.9 F 46.6, age-group shares and rates",
        "method: marriages by age = 193657 x [(1 - remarriage share) x lognormal first-marriage schedule (exact mean age; origin M 22 F 19.5; spread fitted to the grooms' age groups and the 30-34 rates) + remarriage share x lognormal remarriage schedule (exact mean age, sd 9 years)]; marriage_rate = marriages / unmarried persons (population.csv x (1 - married_share))",
        "method: divorce_rate = exp(b z + c z^2) (z = (x + 0.5 - 45)/10) scaled so that divorce_rate x married persons (population.csv x married_share) = 92394 per sex; b, c fitted to the mean age at divorce and the published age-group shares and rates; events of persons aged x fall half at age x, half at x + 1",
        f"status: DERIVED: levels, mean ages and group anchors confirmed (press); single-age shapes (lognormal, log-quadratic), remarriage spread and origins UNCONFIRMED; 0 below age {MIN_UNION_AGE}",
        f"note: expected marriages with 2023 exposure M {um['M']['expected']:.0f} F {um['F']['expected']:.0f} (193657); expected divorces M {ud['M']['expected']:.0f} F {ud['F']['expected']:.0f} (92394); divorces per 1000 married persons {urep['div_per_married']:.2f} (published 3.7)",
        "note: marriages include those with a foreign spouse (10.2 %), who is not in the resident exposure; calibrating each sex to the total therefore slightly overstates the rates of Korean residents",
    ], uni, floatfmt=dict(marriage_rate="%.6f", divorce_rate="%.6f"))

    # 13 leaving the parental home
    # Leaving home and the other household transitions are aligned to the living-alone shares of
    # inputs/prep_households.py (living_alone*.csv); no leaving-home table is written.

    # 14 international migration by nationality, age and sex; naturalisation
    im, R["imrep"] = prep_foreign.international_migration_by_nationality(raw, pop1)
    write_table(out, "international_migration_age.csv", prep_foreign.migration_header_lines(im), im,
                floatfmt=dict(share="%.6f"))
    foreign_total = int(pop_foreign[[f"age_{a}" for a in range(MAXAGE + 1)]].to_numpy().sum())
    R["naturalisation_rate"], R["natrep"] = prep_foreign.naturalisation_rate(raw, foreign_total)

    write_readme(out, R, regions, prov, pop1)
    print(f"wrote tables to {out}")
    return 0


def _body(report):
    """A report section without its own top heading (the README gives each table one)."""
    lines = report.strip().split("\n")
    if lines and lines[0].startswith("## "):
        lines = lines[1:]
    return "\n".join(lines).strip() + "\n"


def write_readme(out, R, regions, prov, pop1):
    frep, mrep, lrep, mdiag = R["frep"], R["mrep"], R["lrep"], R["mdiag"]
    L = []
    a = L.append
    a("# Input tables for South Korea (reference date 2023-12-31)\n")
    a("Generated by `inputs/prepare_korea.py`; do not edit by hand. Regenerate with\n")
    a("```\n/usr/bin/python3 inputs/prepare_korea.py /path/to/raw/korea --out inputs/korea\n```\n")
    a("The raw folder is laid out like `shared/data/korea` (see its FACTS.md); the script's docstring lists "
      "which official files to download for a new year. The output is deterministic (byte-identical on re-runs).\n")
    a("## Conventions (all tables)\n")
    a("* UTF-8 CSV, comma separated, no quoting, no thousands separators, `.` decimal; newline at end of file.")
    a("* Comment lines start with `# `: title, `source:`, `method:`, `status:`, `note:`; then one header row.")
    a("* Sex is `M` or `F`; ages are completed years; age 100 = 100 and over.")
    a("* Region = MOIS 10-digit code valid in 2023-12; province = MOIS 2-digit sido code valid in 2023-12 "
      "(Gangwon 51, Jeonbuk 45, Jeju 50). Rows ordered by region, then M before F, then age.")
    a("* Status words: **confirmed** = stated by a cited source; **DERIVED** = computed here; "
      "**UNCONFIRMED** = a best-known value or assumption not confirmed by a source; **extension** = rule beyond 2072.\n")
    a("## Tables\n")
    a("| file | rows | content |\n|---|---|---|")
    a("| regions.csv | 229 | code, names, province, capital-region and declining-area flags, centroid, area |")
    a("| provinces.csv | 17 | sido code, names, capital flag, 2023 TFR with status |")
    a("| population_age5.csv | 458 | published MOIS 5-year groups of the nationals (constraint table) |")
    a("| population.csv | 458 | nationals (registered residents) by single year 0..100, exact 5-year groups |")
    a("| population_foreign.csv | 458 | foreign residents by single year 0..100 |")
    a("| households.csv | 229 | MOIS registered households (세대) and residents; the foreign residents' households |")
    a("| assumptions_{medium,high,low}.csv | 101 each | TFR, e0 by sex, net international migration (total and nationals) 2023-2123 |")
    a("| fertility.csv | 35 | ASFR 15-49 (per woman) and birth-order shares |")
    a("| fertility_regions.csv | 229 | 2023 TFR of each si/gun/gu (published and shrunk) |")
    a("| mortality.csv | 101 | 2023 complete life table by sex (closed above 90) and the improvement patterns b_x |")
    a("| mortality_regions.csv | 229 | regional mortality multipliers by sex |")
    a("| migration_age.csv | 101 | move probability by age, between-province and cross-sigungu shares |")
    a("| living_arrangements.csv | 202 | married share and with-parent share by sex and age |")
    a("| unions.csv | 202 | marriage probability (unmarried) and divorce probability (married) by sex and age |")
    a("| international_migration_age.csv | 404 | age-sex shares of each nationality's net international migration |\n")

    a("## regions.csv\n")
    a("229 si/gun/gu-level units of the MOIS 2023-12 resident registration file (226 autonomous units + Sejong + "
      "Jeju-si + Seogwipo-si; general gu are not regions). Total residents 51,090,859. `declining_area` marks the 89 "
      "population-declining areas of 2021 (4,778,518 residents in 2023-12). Centroids and areas come from the 2018 "
      "KOSTAT SGIS simplified polygons (area approximate, ±1 %); for the 10 cities drawn as several gu polygons the "
      "area is the sum and the centroid the area-weighted mean. Gunwi-gun (moved to Daegu 2023-07-01) uses its "
      "Gyeongbuk-era polygon 37310; Incheon Michuhol-gu uses polygon 23030 (ex Nam-gu).")
    if R["name_fixes"]:
        a("English names come from the crosswalk except where `lookup_district_code_2020.csv` has a different "
          "spelling for the same KOSTAT code, which was preferred: " + ", ".join(R["name_fixes"]) + ".")
    a("")
    a("## provinces.csv\n")
    a("17 sido. TFR 2023 confirmed for Seoul, Busan, Sejong, Gangwon, Chungbuk, Jeonbuk, Jeonnam; the other ten are "
      "UNCONFIRMED best-known values (FACTS.md 4.1).\n")
    a(R["poprep"].rstrip() + "\n")
    a("The PCLM split of the previous method (10-year bins, census-2010 cohort prior) is still computed by this script, "
      "only as the reference of the comparison above.\n")
    a("## population_foreign.csv\n")
    a(_body(R["foreignrep"]))
    a("## households.csv\n")
    a("MOIS 2023-12 registered households (세대, resident basis) and residents for the 229 regions; persons equals the "
      "region total of population.csv. A 세대 is a registration unit (more one-person units than census 가구). "
      "`foreign_households` and `foreign_persons`: the foreign residents' own households (population_foreign.csv); the "
      "engine builds nationals and foreign residents in separate households (a foreign spouse of a national lives in a "
      "foreign household: a simplification).\n")

    a("## assumptions_medium.csv, assumptions_high.csv, assumptions_low.csv\n")
    a("KOSTAT *Population Projections for Korea: 2022-2072* (released 2023-12-14). FACTS.md section 3 is empty; values "
      "were confirmed by searching public press pages (donga 2023-12-14, dailiang, osnp.kr, a reproduction of the "
      "KOSTAT TFR table on cafe.daum, edaily 2024-09-23):")
    a("* medium TFR: 0.78 (2022), 0.72, 0.68, 0.65 (2025 trough), 0.68, 0.71, 0.75, 0.78, 0.82, 0.85, 0.88 (2032), "
      "1.05 (2037), 1.08 from 2049/2050 to 2072 — confirmed; 2033-2036 and 2038-2048 linear (UNCONFIRMED).")
    a("* medium e0: both sexes 82.7 (2022) -> 88.6 (2050) -> 91.1 (2072); male 79.9 -> 89.5, female 85.6 -> 92.7 (2022 -> 2072) "
      f"— confirmed. 2023 uses the observed 80.6/86.4; 2050 sex values DERIVED with the both-sex share of the gain "
      f"({R['f50']:.3f}); linear between anchors (UNCONFIRMED). (One article gives 91.9 for 2072 both sexes; 91.1 is the "
      "figure in the release coverage and is used.)")
    a("* medium NIM: +155,000 (2022) -> +61,000 (2072) confirmed; intermediate path not found, linear (UNCONFIRMED). "
      "The 2023 value of the linear path (153,120) is UNCONFIRMED.")
    a("* high: 2072 TFR 1.34, e0 92.2, NIM +113,000 confirmed; population 2072 42.82 M. Path = medium + gap ramped linearly "
      "(TFR by 2050, e0/NIM by 2072), e0 gap applied equally to both sexes — assumption.")
    a("* low: only the 2072 population (30.17 M) is confirmed. TFR 2072 0.82 is a recollection (UNCONFIRMED); e0 90.0 "
      "and NIM +9,000 mirror the high-variant gaps (assumption).")
    a("* 2073-2123 (status `extension`): TFR and NIM held at 2072; e0 keeps rising by the 2062-2072 mean annual gain "
      f"times 0.97^k (k years after 2072). Medium e0 in 2123: M {R['asm']['medium'].e0_male.iloc[-1]:.2f}, "
      f"F {R['asm']['medium'].e0_female.iloc[-1]:.2f}.\n")

    a("## net_international_migration_nationals (assumptions_*.csv) and the registers\n")
    a(_body(R["nimrep"]))
    a("## fertility_regions.csv\n")
    fr = R["frrep"]
    a(f"Births and TFR of the 229 si/gun/gu in 2023 (KOSIS, {fr['births']:,} births; national TFR {fr['national']}). "
      "The engine multiplies each region's fertility by tfr / national TFR and normalises nationally, so the TFR path "
      "holds for the country. Small regions' published TFRs carry sampling noise (a region with 30 births has a TFR "
      "standard error of about 18 %), which the engine would carry for decades; `tfr` is therefore the published rate "
      "shrunk toward its province's on the log scale (empirical Bayes: noise variance 1 / births, between-region "
      f"variance by moments): between-region sd {fr['tau']:.3f}, median shrinkage factor {fr['median_factor']:.3f} "
      f"(smallest {fr['min_factor']:.3f}). Multipliers range {fr['multiplier_range'][0]:.2f}-{fr['multiplier_range'][1]:.2f}. "
      "Most shrunk: " + "; ".join(f"{r['kostat_name']} ({r['births_2023']} births, {r['tfr_2023']:.3f} -> {r['tfr']:.3f})"
                                  for r in fr["largest_shrink"]) + ".\n")
    a("Persistence: the engine lets the log multipliers decay with a half-life ([model] "
      "regional_fertility_half_life_years, default 50 years: half of today's regional difference remains in 2073). "
      "Korean regional differences have been persistent (Seoul has had the lowest TFR of all provinces in every year "
      "since 2000, and the ratio of the highest to the lowest sido rose rather than fell), so a slow convergence is "
      "assumed rather than none, because the causes (housing costs, the age at marriage of the capital region) are "
      "expected to spread (assumption).\n")
    a("## fertility.csv\n")
    rates = R["rates"]
    a("ASFR per woman at single ages 15-49 for 2023. Confirmed 5-year rates (per 1,000): 25-29 21.4, 30-34 66.7, 35-39 43.0, "
      f"40-44 7.9, 45-49 0.2. 15-19 and 20-24 were not found; their sum 4.8 follows from TFR 0.72; the split "
      f"{rates[15]} / {rates[20]} is UNCONFIRMED (recent years had 15-19 well under 1 and 20-24 around 4-5). "
      "Ungrouping: PCLM on the group rates (uniform exposure, lambda 0.5), then each group's ages rescaled so the mean "
      "rate of each 5-year group is exact (so TFR = 5 x sum of group rates / 1000 exactly).\n")
    a("| check | target | result |\n|---|---|---|")
    a(f"| TFR | 0.72 | {frep['tfr']:.4f} |")
    a(f"| mean age of mother (births-weighted, 2023 female population) | 33.6 | {frep['mean_age']:.2f} |")
    a(f"| share of births to mothers 35+ | 36.3 % | {100 * frep['share35']:.1f} % |")
    a(f"| implied births (ASFR x female residents) | 230,000 | {frep['births']:,.0f} |")
    for k, (sh, m) in enumerate(frep["order_fit"]):
        a(f"| order {k + 1}{'+' if k == 2 else ''} share / mean age | {100 * ORDER_SHARE[k]:.1f} % / {ORDER_MEAN[k]} | {100 * sh:.1f} % / {m:.2f} |")
    a("\nOrder shares come from a multinomial logit linear in age (first order as reference) fitted by least squares to "
      "the three overall shares and mean ages; they sum to 1 at every age. Implied births differ from 230,000 because the "
      "MOIS residents exclude foreigners and the registered exposure is end-year rather than mid-year.\n")

    a("## mortality.csv\n")
    a(R["mortrep"].rstrip() + "\n")
    d = R["deaths"]
    a(f"Check with population.csv (nationals) as exposure: deaths M {d['M']:,.0f} (registered 188,921), "
      f"F {d['F']:,.0f} (163,590), total {d['M'] + d['F']:,.0f} (352,511).\n")
    a("The 2023 table beside the projected 2072 table (medium path, e0 89.5 / 92.7), as the engine computes it:\n")
    a(R["lifetable_md"].rstrip() + "\n")

    a("## mortality_regions.csv\n")
    a("Multipliers of the national mx by region and sex. The KOSIS sigungu all-cause rates in the data folder are "
      "age-standardised (values ~200-600 per 100k with no relation to the share of elderly; e.g. Uiseong-gun 346 "
      "vs Gangnam-gu 217 in 2020 while crude rates differ ~5-fold), so log(rate/national) is already a comparative "
      "mortality ratio; indirect standardisation with an age structure would double-count age. The age structure "
      "(population.csv x mortality.csv = expected deaths) is used for the national reference (expected-deaths weighted "
      "mean), for the noise model and for the final rescaling, which makes the multipliers reproduce the national "
      "expected deaths exactly. Codes: each 2023 region is mapped to the KOSTAT code of each year through "
      "adm_sgis_lookup_2024 (parent-city rows exist for cities with general gu, so no gu combination was needed); "
      "Cheongju 2010 is the pre-merger city (without Cheongwon-gun), Sejong has no 2010 value. Years weighted 1:2:3 "
      "(2010:2015:2020). Empirical-Bayes shrinkage: var(single-year log ratio) = tau^2 + kappa/D (D = expected annual deaths), "
      "kappa estimated from the year-to-year scatter; shrinkage factor sigma^2/(sigma^2 + noise).\n")
    a("| sex | kappa | between-region sd (log) | median shrink factor | min | P10 | P90 | max |\n|---|---|---|---|---|---|---|---|")
    for k in ("male", "female"):
        v = mdiag[k]
        a(f"| {k} | {v['kappa']:.2f} | {v['sigma']:.3f} | {v['shrink_med']:.3f} | {v['min']:.3f} | {v['p10']:.3f} | {v['p90']:.3f} | {v['max']:.3f} |")
    a(f"\nRegions with fewer than 3 years of data: {', '.join(R['mpartial']) or 'none'}. Regions with no data: "
      f"{mdiag['male']['n_nodata']}.\n")

    a("## migration_age.csv\n")
    p = mrep["params"]
    a("move_rate: Rogers-Castro model schedule m(x) = a1 e^{-alpha1 x} + a2 exp(-alpha2 (x-mu2) - e^{-lambda2 (x-mu2)}) + c, "
      "evaluated at x + 0.5, fitted to the 2023 mobility rates by age group (weights: 2023 population by single age). "
      f"Parameters: a1 {p[0]:.4f}, alpha1 {p[1]:.4f}, a2 {p[2]:.4f}, mu2 {p[3]:.2f}, alpha2 {p[4]:.4f}, lambda2 {p[5]:.4f}, "
      f"c {p[6]:.4f}. The teens and 80+ rates were not published; the curve's values are used (assumption).\n")
    a("| age group | published % | fitted % |\n|---|---|---|")
    pub = {f"{lo}-{hi}": v for (lo, hi), v in MIG_GROUPS}
    for k2, v in mrep["fit"].items():
        a(f"| {k2} | {100 * pub[k2]:.1f} | {100 * v:.2f} |" if k2 in pub else f"| {k2} | not published | {100 * v:.2f} |")
    a(f"| all ages | 12.0 | {100 * mrep['overall']:.2f} |")
    a(f"\nbetween_province_share: constant times (1 + 0.35 exp(-(x-24)^2/32)), i.e. up to 35 % more long-distance moves "
      "at ages 18-30 (job and education moves; the 20s dominate net inter-sido flows in FACTS.md 4.3), scaled so the "
      f"population-weighted between-sido rate is exactly 4.2 % (range {mrep['bps_range'][0]:.3f}-{mrep['bps_range'][1]:.3f}; "
      f"{100 * mrep['bps_overall']:.1f} % of all moves). cross_sigungu_share = between + (1 - between) x 0.30: KOSTAT "
      "splits within-sido moves into within- and between-sigungu, but the 2023 split was not found; 0.30 is UNCONFIRMED, "
      f"giving {100 * mrep['css_overall']:.1f} % of moves crossing a si/gun/gu border ({100 * mrep['cross']:.2f} % of the population).\n")

    a("## living_arrangements.csv\n")
    a("married_share = currently married (유배우), assumed to live with the spouse; with_parent_share = living in a "
      "parent's household. Confirmed anchors (press coverage of KOSTAT census results): never-married 2020 20s 92.8 %, "
      "30s men 50.8 % / women 33.6 %, 40s 17.9 %, 50s 7.4 %; 2023 register census 18+ married 56.6 %, never married "
      "men 34.2 % / women 24.9 %. Single-age never-married curves per sex are assumed shapes (logit-interpolated, "
      "UNCONFIRMED; sex gaps for the 20s/40s/50s assumed 7/9/4 points) shifted per 10-year group to hit the 2020 anchors "
      f"(30-39 after this step: M {100 * lrep['nm2020_30_39'][0]:.1f} %, F {100 * lrep['nm2020_30_39'][1]:.1f} %), then moved by one "
      "logit shift per sex (ramped in over ages 18-25) to the 2023 register level of 18+ never married (M 34.2 %, F 24.9 %) "
      f"— the implied 2023 never-married share at 30-39, both sexes, is {100 * lrep['nm30_39_both']:.1f} % vs 51.3 % published; "
      "divorced/widowed among the ever married: divorce level "
      f"{lrep['divorce_level']:.3f} (logistic from age 40), widowhood logistic with midpoint 89 (men, assumed) and "
      f"{lrep['widow_mid_F']:.1f} (women, fitted) so that 18+ married = 56.6 % and married men = married women.")
    a(f"* implied never-married 30-39: M {100 * lrep['nm30_39'][0]:.1f} %, F {100 * lrep['nm30_39'][1]:.1f} %; 30-34: "
      f"M {100 * lrep['nm30_34'][0]:.1f} %, F {100 * lrep['nm30_34'][1]:.1f} %; 18+: M {100 * lrep['nm18p'][0]:.1f} % "
      f"(34.2 in 2023), F {100 * lrep['nm18p'][1]:.1f} % (24.9). The 2020 figures are a sample census, the 2023 ones a "
      "register census of Koreans 18+; the two are not strictly comparable.")
    a(f"* married men {lrep['married_M']:,.0f}, married women {lrep['married_F']:,.0f}, ratio {lrep['ratio']:.3f}; "
      f"18+ married {100 * lrep['share18']:.1f} %.")
    a(f"* with_parent_share = 0.95 below 18 (UNCONFIRMED), then never-married share x a co-residence curve falling "
      f"from 0.92 at 18 to 0 at 80 (UNCONFIRMED); implied share of 19-34 year-olds living with a parent "
      f"{100 * lrep['wp19_34']:.1f} % (surveys of young adults report roughly half to 57 %).\n")
    u, im = R["urep"], R["imrep"]
    um, ud = u["m"], u["d"]
    a("## unions.csv\n")
    a("marriage_rate = annual probability that a currently unmarried person (never married, divorced or widowed) aged x "
      "(completed years at the start of the year) marries during the year; divorce_rate = annual probability that a "
      f"currently married person divorces; both 0 below {MIN_UNION_AGE}. Confirmed 2023 figures (KOSTAT marriage and divorce "
      "statistics, 2024-03-19, via newsis NISX20240319_0002666177, wlv.kr 3002235, ccgnews 16275, datasom 200680, seattlen 16363): "
      "193,657 marriages (crude 3.8), mean age at first marriage M 34.0 / F 31.5, at remarriage M 51.4 / F 46.9, remarriages "
      "16.3 % of grooms / 18.2 % of brides (first 83.5 / 81.3 %), grooms aged 25-29 / 30-34 / 35-39 = 17.9 / 36.3 / 19.2 % of "
      "marriages, marriages per 1000 persons aged 30-34 M 40.1 / F 42.7; 92,394 divorces (crude 1.8; 3.7 per 1000 married "
      "persons), mean age M 49.9 / F 46.6, men 45-49 / 50-54 / 60+ = 15.7 / 16.1 / 20.4 % and women 40-44 / 45-49 / 50-54 = "
      "16.8 / 15.2 / 14.2 % of divorces, divorces per 1000 persons M 40-44 7.1, 45-49 7.2, 50-54 6.6; F 35-39 7.7, 40-44 7.9, 45-49 7.2.\n")
    a("Method. Exposure = population.csv (national, 2023-12-31) x married_share (married) or x (1 - married_share) "
      "(unmarried) of living_arrangements.csv. Marriages by age = 193,657 x [(1 - r) lognormal first-marriage schedule + "
      "r lognormal remarriage schedule], r = remarriage share of the sex; each schedule has its exact published mean age "
      "(event age of persons aged x taken as x + 0.5, i.e. half of the events fall at completed age x and half at x + 1). "
      f"The first-marriage spread is fitted (M: to the three groom age-group shares and the 30-34 rate, sd(log) {um['M']['sd_log']:.3f}; "
      f"F: to the 30-34 rate, {um['F']['sd_log']:.3f}); origins M 22 / F 19.5 and the remarriage sd of 9 years are UNCONFIRMED "
      "shape choices (origin 22 gave the best fit of the groom groups among 12-23). marriage_rate = marriages / unmarried. "
      "divorce_rate = k exp(b z + c z^2), z = (x + 0.5 - 45)/10, k set so that the expected divorces equal 92,394 per sex, "
      "(b, c) fitted to the mean age, the three published group shares and the three group rates per 1000 persons. "
      "Remarriage of the divorced and widowed is folded into the single unmarried rate (the engine does not distinguish "
      "never married from previously married).\n")
    a("| check (2023 exposure) | target | M | F |\n|---|---|---|---|")
    a(f"| expected marriages | 193,657 | {um['M']['expected']:,.0f} | {um['F']['expected']:,.0f} |")
    a(f"| expected divorces | 92,394 | {ud['M']['expected']:,.0f} | {ud['F']['expected']:,.0f} |")
    a(f"| marriages per 1000 persons 30-34 | 40.1 / 42.7 | {1000 * um['M']['rate30_34']:.1f} | {1000 * um['F']['rate30_34']:.1f} |")
    g = um["M"]["groups"]
    a(f"| grooms 25-29 / 30-34 / 35-39 (% of marriages) | 17.9 / 36.3 / 19.2 | {100 * g[(25, 29)]:.1f} / {100 * g[(30, 34)]:.1f} / {100 * g[(35, 39)]:.1f} | - |")
    g = um["F"]["groups"]
    a(f"| brides 25-29 / 30-34 / 35-39 (% of marriages) | not found | - | {100 * g[(25, 29)]:.1f} / {100 * g[(30, 34)]:.1f} / {100 * g[(35, 39)]:.1f} |")
    a(f"| mean age at divorce | 49.9 / 46.6 | {ud['M']['mean_age']:.2f} | {ud['F']['mean_age']:.2f} |")
    gm, gf = ud["M"]["groups"], ud["F"]["groups"]
    a(f"| divorce group shares (%) | M 15.7/16.1/20.4, F 16.8/15.2/14.2 | " + " / ".join(f"{100 * v:.1f}" for v in gm.values())
      + " | " + " / ".join(f"{100 * v:.1f}" for v in gf.values()) + " |")
    rm, rf = ud["M"]["rates"], ud["F"]["rates"]
    a(f"| divorces per 1000 persons (groups as above) | M 7.1/7.2/6.6, F 7.7/7.9/7.2 | " + " / ".join(f"{1000 * v:.1f}" for v in rm.values())
      + " | " + " / ".join(f"{1000 * v:.1f}" for v in rf.values()) + " |")
    a(f"| divorces per 1000 married persons (both sexes) | 3.7 | {u['div_per_married']:.2f} | |")
    a(f"| crude marriage / divorce rate per 1000 residents | 3.8 / 1.8 | {u['cmr']:.2f} / {u['cdr']:.2f} | |")
    a(f"\nMen and women give the same expected totals by construction (each sex is calibrated to the published count). "
      f"Resulting rates: marriage M peak {100 * um['M']['peak']:.1f} % at {um['M']['peak_age']}, 25/30/40/50/60: "
      f"{100 * um['M']['r25']:.2f}/{100 * um['M']['r30']:.2f}/{100 * um['M']['r40']:.2f}/{100 * um['M']['r50']:.2f}/{100 * um['M']['r60']:.2f} %; "
      f"F peak {100 * um['F']['peak']:.1f} % at {um['F']['peak_age']}, 25/30/40/50/60: {100 * um['F']['r25']:.2f}/{100 * um['F']['r30']:.2f}/"
      f"{100 * um['F']['r40']:.2f}/{100 * um['F']['r50']:.2f}/{100 * um['F']['r60']:.2f} %; divorce M 30/40/50/60/70: "
      f"{100 * ud['M']['d30']:.2f}/{100 * ud['M']['d40']:.2f}/{100 * ud['M']['d50']:.2f}/{100 * ud['M']['d60']:.2f}/{100 * ud['M']['d70']:.2f} %, "
      f"F {100 * ud['F']['d30']:.2f}/{100 * ud['F']['d40']:.2f}/{100 * ud['F']['d50']:.2f}/{100 * ud['F']['d60']:.2f}/{100 * ud['F']['d70']:.2f} %. "
      "Caveats: (1) 10.2 % of marriages involve a foreign spouse who is not in the resident exposure, so calibrating both "
      "sexes to the total overstates Korean residents' rates slightly; (2) the lognormal cannot reproduce both the "
      "men's mean age 34.0 and the 36.3 % concentration at 30-34 (the fit puts 34.5 %); (3) men's first-marriage rate is "
      "~0 below 22 by the origin choice (a few hundred marriages in reality); (4) the exposure is the 2023-12-31 stock.\n")

    a("## international_migration_age.csv and naturalisation\n")
    a(_body(R["imrep"]))
    a("### Naturalisation\n")
    a(_body(R["natrep"]))
    a(f"The rate ({R['naturalisation_rate']:.5f}) is the configuration's [model] naturalisation_rate.\n")

    a("## UNCONFIRMED choices (summary)\n")
    a("* foreign residents: age-sex profile outside the census groups, households per foreign resident (census 2020), one profile for all regions")
    a("* nationals' net international migration: mean register residual of 2022-2023, held constant")
    a("* regional fertility: the 50-year half-life of regional differences")
    a("* ASFR split 15-19 / 20-24 (0.3 / 4.5 per 1000)")
    a("* projection: interpolated paths between confirmed anchors; NIM path; low variant; high/low sex split")
    a("* teen and 80+ mobility (from the fitted curve); between-province age profile; cross-sigungu 0.30")
    a("* living arrangements single-age shapes, divorce/widowhood, co-residence with parents")
    a("* sido TFR for 10 provinces (from provinces_2023.csv)")
    a("* unions: single-age shapes (lognormal first marriage with origins M 22 / F 19.5, remarriage sd 9 years, log-quadratic divorce)")
    a("* leaving home: whole table (inherits the assumed co-residence curve; stationarity; smoothing; cap 0.5)")
    a("* international migration: group values other than the confirmed ones, single-age and sex splits of each nationality")
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as e:
        sys.stderr.write(f"prepare_korea.py: error: {e}\n")
        sys.exit(2)
