#!/usr/bin/python3
"""Start population of South Korea at 2023-12-31: exact 5-year groups and single years.

Usage
-----
    /usr/bin/python3 inputs/prep_population.py RAW_DIR

prints the README section (markdown) and the checks.  RAW_DIR is laid out like
shared/data/korea (FACTS.md, section 11).  Nothing is written.

Why this module exists
----------------------
The engine starts from MOIS registered residents (거주자) by si/gun/gu, sex and
single year of age.  MOIS publishes the residents by si/gun/gu only in age
groups.  With 5-year groups available (Dec 2022 and Dec 2023) the start table
is exact at 5-year detail; only the split of each 5-year group into single
years is estimated, and it is taken from the single-year registration counts of
the 3,584 eup/myeon/dong (30 Sep 2023) aggregated to the si/gun/gu, so that the
real cohort irregularities (birth-year spikes, the small cohorts of the late
1990s and 2000s, regional migration bulges) are carried instead of a smooth
curve.

Public interface (used by prepare_korea.py)
-------------------------------------------
* ``population_age5(raw) -> DataFrame`` and ``age5_header_lines``
* ``population_single_years(raw, age5, previous=None) -> (DataFrame, report_md)``
  and ``single_header_lines``
* ``keis_index(age5) -> (national_value, DataFrame)``

All functions are deterministic (no random numbers, stable sorts, fixed tie
rules), so re-runs give byte-identical tables.
"""
import os
import sys

import numpy as np
import pandas as pd

from prep_common import InputError, read_csv as _read_csv  # noqa: F401

# ----------------------------------------------------------------------------------------
# constants
# ----------------------------------------------------------------------------------------
N_REGIONS = 229
TOTAL_POP = 51_090_859          # MOIS residents (거주자), 2023-12-31
REF_YEAR = 2023
REF_DATE = "2023-12-31"
MAXAGE = 100                    # open interval 100+
DONG_TOP = 110                  # the dong file's open interval is 110+
AGE5_LABELS = [f"{a}~{a + 4}" for a in range(0, 100, 5)] + ["100+"]
AGE5_COLS = [f"age_{a}_{a + 4}" for a in range(0, 100, 5)] + ["age_100p"]
AGE1_COLS = [f"age_{a}" for a in range(MAXAGE + 1)]
GROUP_LO = list(range(0, 100, 5))   # 5-year groups that are split into single years
QUARTER = 0.25                  # 30 Sep -> 31 Dec, in years
PSEUDO_COUNT = 5.0              # persons: weight of the province / national shape inside a group
KEIS_RISK, KEIS_HIGH_RISK = 0.5, 0.2

RESIDENTS_FILE = "mois_resident_registration/mois_resident_sgg_sex_age5_2022_2023_long.csv"
UNITS_FILE = "mois_resident_registration/sgg_units_2022_2023.csv"
AGE10_FILE = "mois_resident_registration/DERIVED_sigungu_sex_age10_dec2023.csv"
DONG_FILE = "dong/mois_dong_sex_age1_20230930.csv"
DONG_MAP_FILE = "dong/dong_to_sgg_unit_20230930.csv"
SIDO_AGE1_FILE = "mois_resident_registration/mois_registered_sido_age1_202312.csv"

# published KEIS reference (Lee Sang-ho, 지역산업과 고용, summer 2024; press of 2024-06-28):
# resident registration of March 2024, 228 units (Jeju counted once)
KEIS_PUBLISHED = dict(date="2024-03", national=0.615, n_units=228, n_risk=130,
                      sido={"11": 0.810, "26": 0.490, "27": 0.553, "28": 0.735, "29": 0.732,
                            "31": 0.636, "36": 1.113, "41": 0.781, "43": 0.487, "44": 0.464,
                            "45": 0.394, "46": 0.329, "47": 0.346, "48": 0.444, "50": 0.590,
                            "51": 0.388})
JEJU_CITIES = ("5011000000", "5013000000")   # Jeju-si and Seogwipo-si: one KEIS area

age5_header_lines = [
    "Resident population by region, sex and 5-year age group, 2023-12-31 (constraint table)",
    "source: MOIS resident registration statistics 2023-12 (jumin.mois.go.kr 연령별 인구현황; 거주자 basis) by si/gun/gu x sex x 5-year age, "
    "re-published in iju298/REFrame@3d474bbf (FACTS.md section 11)",
    "method: copied from the published 5-year groups of the 229 si/gun/gu-level units (MOIS codes valid 2023-12; "
    "a city with non-autonomous gu is one unit); age_100p = 100 and over",
    f"status: confirmed (published MOIS figures); total {TOTAL_POP}; every 10-year sum equals the published 10-year bins (DERIVED_sigungu_sex_age10_dec2023.csv)",
    "note: 거주자 = Korean nationals registered as resident (excludes 거주불명자, overseas nationals and foreigners)",
]

single_header_lines = [
    "Resident population by region, sex and single year of age, 2023-12-31",
    "source: MOIS resident registration statistics 2023-12 (거주자 basis) by si/gun/gu x sex x 5-year age (iju298/REFrame@3d474bbf); "
    "MOIS registration by eup/myeon/dong x sex x single year 2023-09-30 (data.go.kr 15097972) and by sido x single year 2023-12 (FACTS.md section 11)",
    "method: each published 5-year group split by the single-year shape of the dong counts aggregated to the si/gun/gu, "
    "moved from 30 Sep to 31 Dec by a quarter-year cohort shift (age a: 0.75 x Sep(a) + 0.25 x Sep(a-1); age 0: Sep(0)) and "
    "corrected by province to the published Dec-31 single years (mois_registered_sido_age1_202312); "
    f"small counts smoothed toward the province shape ({PSEUDO_COUNT:g} pseudo-persons per group); largest-remainder integers (ties to the lower age)",
    "status: DERIVED; every 5-year group and the 100+ group are exact (published MOIS figures); single years within a group are estimated",
    "note: age_100 = 100 and over; see README.md (population_age5.csv and population.csv) for the validation",
]


# ----------------------------------------------------------------------------------------
# reading and checking raw files
# ----------------------------------------------------------------------------------------
def _expect(cond, path_rel, what):
    if not cond:
        raise InputError(f"malformed {path_rel}: expected {what}")


def _region_codes(raw):
    """The 229 si/gun/gu-level units valid in Dec 2023 (sgg_units file, flag y2023),
    checked against the unit list of the 10-year file that regions.csv is built from."""
    u = _read_csv(raw, UNITS_FILE, ["adm_code", "y2023"], dtype={"adm_code": str})
    codes = sorted(u.loc[u.y2023 == 1, "adm_code"])
    _expect(len(codes) == N_REGIONS, UNITS_FILE, f"{N_REGIONS} units flagged y2023, got {len(codes)}")
    _expect(all(len(c) == 10 and c.isdigit() for c in codes), UNITS_FILE, "10-digit MOIS codes")
    # codes valid in 2023-12: Gangwon 51xx (not 42xx), Gunwi-gun under Daegu, Jeonbuk still 45xx
    _expect(not any(c.startswith(("42", "52")) for c in codes), UNITS_FILE, "Gangwon 51xx and Jeonbuk 45xx codes")
    _expect("2772000000" in codes and "4772000000" not in codes, UNITS_FILE, "Gunwi-gun as 2772000000")
    a10 = _read_csv(raw, AGE10_FILE, ["adm_code10", "level"], dtype={"adm_code10": str})
    ref = sorted(a10.loc[a10.level == "sigungu", "adm_code10"])
    _expect(ref == codes, UNITS_FILE, f"the same 229 codes as {AGE10_FILE}")
    return codes


def _load_age5_long(raw, year):
    """Published residents of one December by unit x sex x 5-year group (level sgg)."""
    req = ["ref_date", "year", "adm_code", "level", "sex", "age_group", "pop"]
    d = _read_csv(raw, RESIDENTS_FILE, req, dtype={"adm_code": str})
    d = d[(d.year == year) & (d.level == "sgg")]
    _expect(len(d) > 0, RESIDENTS_FILE, f"rows for year {year} at level sgg")
    _expect(set(d.age_group) == set(AGE5_LABELS), RESIDENTS_FILE, f"age groups {AGE5_LABELS}")
    _expect(set(d.sex) == {"T", "M", "F"}, RESIDENTS_FILE, "sex T/M/F")
    _expect(not d.duplicated(["adm_code", "sex", "age_group"]).any(), RESIDENTS_FILE, "one row per unit x sex x age group")
    _expect((d["pop"] >= 0).all(), RESIDENTS_FILE, "non-negative counts")
    return d


def _age5_wide(raw, year, codes):
    """Wide table region, sex, AGE5_COLS (M before F, by code) for one December."""
    d = _load_age5_long(raw, year)
    _expect(sorted(d.adm_code.unique()) == codes, RESIDENTS_FILE,
            f"the {len(codes)} unit codes of {UNITS_FILE} for {year}")
    w = d.pivot_table(index=["adm_code", "sex"], columns="age_group", values="pop", aggfunc="sum")
    _expect(w.notna().all().all(), RESIDENTS_FILE, "every unit x sex x age group present")
    w = w[AGE5_LABELS].astype(np.int64)
    tot = w.xs("T", level="sex")
    mf = w.xs("M", level="sex") + w.xs("F", level="sex")
    _expect((tot == mf).all().all(), RESIDENTS_FILE, "M + F = T in every cell")
    rows = []
    for c in codes:
        for s in ("M", "F"):
            rows.append([c, s] + [int(v) for v in w.loc[(c, s)].to_numpy()])
    return pd.DataFrame(rows, columns=["region", "sex"] + AGE5_COLS)


def _age5_previous_year(raw):
    """Dec-2022 table (codes valid then: Gangwon 42xx, Gunwi-gun 4772000000), for the KEIS trend."""
    year = REF_YEAR - 1
    u = _read_csv(raw, UNITS_FILE, ["adm_code", "y2022"], dtype={"adm_code": str})
    codes = sorted(u.loc[u.y2022 == 1, "adm_code"])
    _expect(len(codes) == N_REGIONS, UNITS_FILE, f"{N_REGIONS} units flagged y2022")
    return _age5_wide(raw, year, codes)


def _check_against_age10(raw, age5):
    """The 5-year groups must add to the published 10-year bins (the old constraint table)."""
    a10 = _read_csv(raw, AGE10_FILE, ["adm_code10", "level"], dtype={"adm_code10": str})
    a10 = a10[a10.level == "sigungu"].set_index("adm_code10")
    bins = ["0_9", "10_19", "20_29", "30_39", "40_49", "50_59", "60_69", "70_79", "80_89", "90_99"]
    a5 = age5.set_index(["region", "sex"])
    for s in ("M", "F"):
        x = a5.xs(s, level="sex")
        for i, b in enumerate(bins):
            pair = x[AGE5_COLS[2 * i]] + x[AGE5_COLS[2 * i + 1]]
            ref = a10.loc[pair.index, f"{s.lower()}_{b}"]
            _expect((pair.to_numpy() == ref.to_numpy()).all(), RESIDENTS_FILE,
                    f"5-year groups adding to the 10-year bin {b} ({s}) of {AGE10_FILE}")
        ref = a10.loc[x.index, f"{s.lower()}_100p"]
        _expect((x["age_100p"].to_numpy() == ref.to_numpy()).all(), RESIDENTS_FILE,
                f"100+ equal to {AGE10_FILE} ({s})")


# ----------------------------------------------------------------------------------------
# 1. exact 5-year table
# ----------------------------------------------------------------------------------------
def population_age5(raw):
    """Dec-2023 registered residents by region x sex x 5-year group, exactly as published.

    Rows: 229 regions ordered by MOIS code, M before F.  Columns: region, sex,
    age_0_4 .. age_95_99, age_100p.  Checked against the unit list, the national
    total and the 10-year bins that the previous start table was built on."""
    codes = _region_codes(raw)
    df = _age5_wide(raw, REF_YEAR, codes)
    assert len(df) == 2 * N_REGIONS
    assert int(df[AGE5_COLS].to_numpy().sum()) == TOTAL_POP, "resident total differs from 51,090,859"
    _check_against_age10(raw, df)
    return df


# ----------------------------------------------------------------------------------------
# 2. single years
# ----------------------------------------------------------------------------------------
def _load_dong_by_region(raw, codes):
    """Sep-2023 registrations (all registrations) aggregated from dong to the 229 units.

    Returns dict sex -> int array (229, DONG_TOP + 1), ages 0..109 and 110+, rows in `codes` order."""
    sexes = {"M": "남자", "F": "여자"}
    cols = {s: [f"만{a}세{k}" for a in range(DONG_TOP)] + [f"만{DONG_TOP}세이상{k}"] for s, k in sexes.items()}
    req = ["행정기관코드", "기준연월", "계", "남자", "여자"] + cols["M"] + cols["F"]
    d = _read_csv(raw, DONG_FILE, req, dtype={"행정기관코드": str})
    _expect((d["기준연월"].astype(str) == "2023-09-30").all(), DONG_FILE, "reference date 2023-09-30")
    _expect(not d["행정기관코드"].duplicated().any(), DONG_FILE, "one row per dong")
    for s, k in sexes.items():
        _expect((d[cols[s]].sum(axis=1) == d[k]).all(), DONG_FILE, f"single ages adding to {k}")
    _expect((d["남자"] + d["여자"] == d["계"]).all(), DONG_FILE, "남자 + 여자 = 계")
    m = _read_csv(raw, DONG_MAP_FILE, ["dong_code", "unit_code"], dtype=str)
    _expect(not m.dong_code.duplicated().any(), DONG_MAP_FILE, "one unit per dong")
    _expect(set(m.dong_code) == set(d["행정기관코드"]), DONG_MAP_FILE, f"the dong codes of {DONG_FILE}")
    _expect(sorted(m.unit_code.unique()) == codes, DONG_MAP_FILE, "the 229 unit codes")
    d = d.merge(m[["dong_code", "unit_code"]], left_on="행정기관코드", right_on="dong_code", how="left")
    out = {}
    for s in ("M", "F"):
        g = d.groupby("unit_code")[cols[s]].sum().loc[codes]
        out[s] = g.to_numpy(np.int64)
    return out


def _shift_to_dec31(sep):
    """Age the Sep-30 single-year counts to Dec 31 (last axis = age 0..top).

    With birthdays spread evenly over the year a quarter of those aged a-1 on
    Sep 30 have had their birthday by Dec 31, and a quarter of those aged a have
    moved on: Dec(a) = 0.75 Sep(a) + 0.25 Sep(a-1).  Age 0 on Dec 31 = 0.75
    Sep(0) + births of Oct-Dec 2023; the Q4 births are taken as a quarter of
    Sep(0) (the births of the preceding 12 months), so Dec(0) = Sep(0).  Deaths
    and moves in the quarter are ignored: only the shape inside 5-year groups is
    used, and a quarter's mortality hardly differs between neighbouring ages."""
    sep = np.asarray(sep, dtype=float)
    dec = sep.copy()
    dec[..., 1:] = (1 - QUARTER) * sep[..., 1:] + QUARTER * sep[..., :-1]
    dec[..., 0] = sep[..., 0]
    return dec


def _group_shape(counts, prior):
    """Within-group shape of `counts` (last axis = the 5 ages) smoothed toward `prior`.

    shape = (counts + K prior) / (sum + K), K = PSEUDO_COUNT persons.  A region
    with an empty group takes the prior; a region with a few persons in the
    group (zero cells) gets a plausible shape instead of zeros; for the usual
    group of hundreds or thousands of persons the data dominate."""
    counts = np.asarray(counts, dtype=float)
    return (counts + PSEUDO_COUNT * prior) / (counts.sum(axis=-1, keepdims=True) + PSEUDO_COUNT)


def _largest_remainder(shape, total):
    """Integers >= 0 proportional to `shape` that add to `total` exactly.

    Floors of the quotas, the remaining units to the largest fractional parts;
    ties (fractions equal to 12 decimals) go to the lower age, so the result is
    deterministic."""
    total = int(total)
    if total == 0:
        return np.zeros(len(shape), dtype=np.int64)
    q = np.asarray(shape, dtype=float)
    q = q / q.sum() * total
    fl = np.floor(q).astype(np.int64)
    rem = total - int(fl.sum())
    frac = np.round(q - fl, 12)
    order = sorted(range(len(q)), key=lambda i: (-frac[i], i))
    for i in order[:rem]:
        fl[i] += 1
    assert fl.sum() == total and (fl >= 0).all()
    return fl


def _sido_registered_single(raw):
    """Dec-2023 single years 0..100+ of all registrations (both sexes), nation and sido."""
    d = _read_csv(raw, SIDO_AGE1_FILE, ["adm_code", "age", "pop"], dtype={"adm_code": str})
    _expect(set(d.age) == set(range(MAXAGE + 1)), SIDO_AGE1_FILE, "ages 0..100 (100 = 100+)")
    w = d.pivot_table(index="adm_code", columns="age", values="pop", aggfunc="sum")[list(range(MAXAGE + 1))]
    _expect(w.notna().all().all(), SIDO_AGE1_FILE, "every area x age present")
    return w.astype(np.int64)


def _sido_dec31_factors(raw, codes, dec):
    """Calendar-year cohort correction by province and age (ages 0..99, both sexes).

    The quarter shift assumes birthdays spread evenly, but a Sep-30 age mixes
    two calendar birth years, and Korean cohorts differ by calendar year
    (zodiac years, birth seasonality, the registration of births early in the
    year), which the shift blurs.  MOIS publishes single years at 31 Dec by
    province (all registrations, both sexes); the factor Dec_published(a) /
    Dec_shifted(a) of the province is applied to its regions for both sexes.
    Only its variation inside a 5-year group matters (groups are rescaled to
    the residents).  Returns (n_regions, 100) factors in `codes` order."""
    w = _sido_registered_single(raw)
    sido = np.array([c[:2] for c in codes])
    fac = np.ones((len(codes), 100))
    for p in sorted(set(sido)):
        key = f"{p}00000000"
        _expect(key in w.index, SIDO_AGE1_FILE, f"a row for province {key}")
        rows = sido == p
        shifted = (dec["M"][rows] + dec["F"][rows]).sum(axis=0)[:100]
        pub = w.loc[key].to_numpy(float)[:100]
        fac[rows] = np.where(shifted > 0, pub / np.where(shifted > 0, shifted, 1), 1.0)
    return fac


def _dec31_shapes(raw, codes):
    """Dec-31 single-year shapes (ages 0..99) for each region and sex.

    Sep-30 dong counts -> quarter shift -> province calendar-year correction ->
    within-group shape smoothed toward the province (and national) shape.
    Returns dict sex -> dict(region=(229,100) shapes, dec=(229,111) shifted counts,
    sep=(229,111) raw counts, zero_cells, empty_groups) and the factors."""
    sep = _load_dong_by_region(raw, codes)
    dec = {s: _shift_to_dec31(sep[s]) for s in ("M", "F")}
    fac = _sido_dec31_factors(raw, codes, dec)
    sido = np.array([c[:2] for c in codes])
    out = {}
    for s in ("M", "F"):
        corr = dec[s][:, :100] * fac
        nat = corr.sum(axis=0)
        shapes = np.zeros((len(codes), 100))
        zero_cells = empty = 0
        for lo in GROUP_LO:
            sl = slice(lo, lo + 5)
            nat_shape = nat[sl] / nat[sl].sum()
            for p in np.unique(sido):
                rows = np.where(sido == p)[0]
                prov_shape = _group_shape(corr[rows, sl].sum(axis=0), nat_shape)
                shapes[rows, sl] = _group_shape(corr[rows, sl], prov_shape)
            zero_cells += int((sep[s][:, sl] == 0).any(axis=1).sum())
            empty += int((sep[s][:, sl].sum(axis=1) == 0).sum())
        out[s] = dict(region=shapes, dec=dec[s], sep=sep[s], zero_cells=zero_cells, empty_groups=empty)
    return out, fac


def _split_groups(age5, shapes):
    """Single-year table: every 5-year group of age5 split by the region's shape."""
    a5 = age5.set_index(["region", "sex"])
    codes = list(age5.region.drop_duplicates())
    rows = []
    for i, c in enumerate(codes):
        for s in ("M", "F"):
            grp = a5.loc[(c, s), AGE5_COLS].to_numpy(np.int64)
            vals = []
            for g, lo in enumerate(GROUP_LO):
                vals.extend(_largest_remainder(shapes[s]["region"][i, lo:lo + 5], grp[g]))
            vals.append(int(grp[-1]))
            rows.append([c, s] + [int(v) for v in vals])
    return pd.DataFrame(rows, columns=["region", "sex"] + AGE1_COLS)


def _to_age5(single):
    """(n, 101) single years 0..100+ -> (n, 21) groups 0-4 .. 95-99, 100+."""
    single = np.asarray(single)
    g = single[:, :100].reshape(len(single), 20, 5).sum(axis=2)
    return np.concatenate([g, single[:, 100:101]], axis=1)


def _check_single(single, age5):
    """Invariants of the single-year table."""
    assert list(single.columns) == ["region", "sex"] + AGE1_COLS
    assert len(single) == 2 * N_REGIONS
    assert (single[["region", "sex"]].to_numpy() == age5[["region", "sex"]].to_numpy()).all()
    v = single[AGE1_COLS].to_numpy()
    assert (v >= 0).all()
    assert (_to_age5(v) == age5[AGE5_COLS].to_numpy()).all(), "5-year groups not exact"
    assert int(v.sum()) == TOTAL_POP


# ----------------------------------------------------------------------------------------
# 2b. validation
# ----------------------------------------------------------------------------------------
def _wape(est, ref):
    """Weighted absolute percentage error: sum |est - ref| / sum ref, in %."""
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    return 100.0 * np.abs(est - ref).sum() / ref.sum()


def _dong_age5(counts):
    """(229, 111) counts 0..110+ -> (229, 21) groups 0-4 .. 95-99, 100+."""
    g = counts[:, :100].reshape(len(counts), 20, 5).sum(axis=2)
    return np.concatenate([g, counts[:, 100:].sum(axis=1, keepdims=True)], axis=1)


def _validate_dong_vs_registered(age5, shapes):
    """How far the dong-based 5-year structure is from the published residents'.

    Returns dict with the WAPE of region x sex x 5-year cells (dong counts scaled to
    the residents' region-sex total), for the Sep counts and the Dec-shifted counts,
    the national dong/resident ratios by group, and the worst regions."""
    reg = {s: age5[age5.sex == s][AGE5_COLS].to_numpy(float) for s in ("M", "F")}
    res = {}
    for key in ("sep", "dec"):
        est, ref = [], []
        for s in ("M", "F"):
            d5 = _dong_age5(shapes[s][key])
            est.append(d5 / d5.sum(axis=1, keepdims=True) * reg[s].sum(axis=1, keepdims=True))
            ref.append(reg[s])
        res[f"wape_{key}"] = _wape(np.vstack(est), np.vstack(ref))
    d5 = {s: _dong_age5(shapes[s]["sep"]) for s in ("M", "F")}
    dong_tot = sum(d5[s].sum() for s in d5)
    res["dong_total"] = int(dong_tot)
    res["nat_ratio"] = dong_tot / TOTAL_POP
    res["group_ratio"] = (d5["M"] + d5["F"]).sum(axis=0) / (reg["M"] + reg["F"]).sum(axis=0)
    reg_tot = (reg["M"] + reg["F"]).sum(axis=1)
    ratio = (d5["M"] + d5["F"]).sum(axis=1) / reg_tot
    codes = list(age5.region.drop_duplicates())
    order = np.argsort(-np.abs(ratio - 1), kind="stable")[:5]
    res["worst_regions"] = [(codes[i], float(ratio[i]), int(reg_tot[i])) for i in order]
    # per-region WAPE of the (Dec) shape, to name the regions the shape fits worst
    per = []
    for i, c in enumerate(codes):
        e = r = 0.0
        for s in ("M", "F"):
            x = _dong_age5(shapes[s]["dec"][i:i + 1])[0]
            y = reg[s][i]
            e += np.abs(x / x.sum() * y.sum() - y).sum()
            r += y.sum()
        per.append((100 * e / r, c, int(r)))
    per.sort(key=lambda t: (-t[0], t[1]))
    res["worst_shape"] = per[:5]
    return res


def _within_group_misallocation(est, ref):
    """Share (%) of persons at a wrong single age inside 5-year groups 0-99 when the
    group totals of `ref` are split by the shape of `est` (rows = areas)."""
    est, ref = np.atleast_2d(np.asarray(est, float)), np.atleast_2d(np.asarray(ref, float))
    err = tot = 0.0
    for lo in GROUP_LO:
        sl = slice(lo, lo + 5)
        y = ref[:, sl]
        x = est[:, sl]
        s = x.sum(axis=1, keepdims=True)
        x = np.where(s > 0, x / np.where(s > 0, s, 1), 0.2) * y.sum(axis=1, keepdims=True)
        err += np.abs(x - y).sum()
        tot += y.sum()
    return 50.0 * err / tot


def _validate_against_sido_dec(raw, single, previous, shapes, codes):
    """Single-year shapes vs the Dec-2023 single years of all registrations (sido file).

    That file counts all registrations, not residents, and both sexes only, but it
    is the one published single-year Dec-31 table.  Rows: the dong counts as they
    are, after the quarter shift, after the quarter shift corrected with the
    *national* Dec-31 profile (a held-out test of the province correction one
    level up: the sido files are not used), the previous PCLM table, and the new
    table (which uses the sido files, so its sido column is not a test).
    Returns (rows, national published single years)."""
    w = _sido_registered_single(raw)
    sido = np.array([c[:2] for c in codes])
    prov = sorted(set(sido))
    ref = np.vstack([w.loc[f"{p}00000000"].to_numpy(float) for p in prov])
    nat_ref = w.loc["0000000000"].to_numpy(float)

    def by_sido(mat):
        return np.vstack([mat[sido == p].sum(axis=0) for p in prov])

    def both(tab):
        v = tab[AGE1_COLS].to_numpy(float)
        return v[0::2] + v[1::2]

    sep = by_sido(shapes["M"]["sep"][:, :101].astype(float) + shapes["F"]["sep"][:, :101])
    dec = by_sido(shapes["M"]["dec"][:, :101] + shapes["F"]["dec"][:, :101])
    nat_fac = np.where(dec.sum(axis=0) > 0, nat_ref / np.maximum(dec.sum(axis=0), 1e-300), 1.0)
    rows = [("dong counts of 30 Sep, not shifted", sep, True),
            ("dong, quarter-year shift", dec, True),
            ("dong, quarter shift + national Dec-31 correction (held-out test)", dec * nat_fac, False)]
    if previous is not None:
        rows.append(("previous table (PCLM from 10-year bins)", by_sido(both(previous)), True))
    rows.append(("new table (shift + province correction; sido not a test)", by_sido(both(single)), True))
    out = []
    for name, m, nat_ok in rows:
        n = _within_group_misallocation(m.sum(axis=0), nat_ref) if nat_ok else None
        out.append((name, n, _within_group_misallocation(m, ref)))
    return out, nat_ref


def _compare_previous(single, age5, previous):
    """Old single-year table (PCLM from 10-year bins) against the exact 5-year cells."""
    assert list(previous.columns[:2]) == ["region", "sex"]
    p = previous.set_index(["region", "sex"]).loc[list(zip(age5.region, age5.sex)), AGE1_COLS]
    old = p.to_numpy(np.int64)
    assert int(old.sum()) == TOTAL_POP
    old5 = _to_age5(old)
    reg5 = age5[AGE5_COLS].to_numpy(np.int64)
    totals_equal = bool((old.sum(axis=1) == reg5.sum(axis=1)).all())
    wape = _wape(old5, reg5)
    new = single[AGE1_COLS].to_numpy(np.int64)
    big = reg5[:, :20] >= 500
    ape = np.abs(old5[:, :20] - reg5[:, :20])[big] / reg5[:, :20][big]
    return dict(totals_equal=totals_equal,
                n_total_diff=int((old.sum(axis=1) != reg5.sum(axis=1)).sum()),
                wape5=wape, misallocated5=wape / 2,
                mape500=100 * float(ape.mean()), p90_500=100 * float(np.percentile(ape, 90)),
                single_diff=50.0 * np.abs(new - old).sum() / TOTAL_POP,
                old=old)


# ----------------------------------------------------------------------------------------
# 2c. the single-year table
# ----------------------------------------------------------------------------------------
def population_single_years(raw, age5, previous=None):
    """Split every published 5-year group of `age5` into single years.

    The single-year shape inside each group comes from the 30-Sep-2023 dong
    counts (all registrations) aggregated to the si/gun/gu, aged to 31 Dec by a
    quarter-year cohort shift, corrected by province to the published Dec-31
    single years (calendar birth-year cohorts), smoothed toward the province
    shape for small counts, and integerised so that every group is exact.  `previous` is an
    optional earlier single-year table with the same columns (the PCLM table
    built from the 10-year bins); when given, the report compares the two.
    Returns (DataFrame region, sex, age_0..age_100; report_md)."""
    codes = list(age5.region.drop_duplicates())
    assert len(codes) == N_REGIONS and list(age5.columns) == ["region", "sex"] + AGE5_COLS
    shapes, _ = _dec31_shapes(raw, codes)
    single = _split_groups(age5, shapes)
    _check_single(single, age5)
    v = _validate_dong_vs_registered(age5, shapes)
    sido_chk, nat_dec = _validate_against_sido_dec(raw, single, previous, shapes, codes)
    prev = _compare_previous(single, age5, previous) if previous is not None else None
    keis = keis_index(age5)
    keis22 = keis_index(_age5_previous_year(raw))
    report = _report_md(age5, single, shapes, v, sido_chk, nat_dec, prev, keis, keis22, _unit_names(raw))
    return single, report


# ----------------------------------------------------------------------------------------
# 3. KEIS local extinction index
# ----------------------------------------------------------------------------------------
def _keis_class(x):
    if x >= 1.5:
        return "low"
    if x >= 1.0:
        return "normal"
    if x >= 0.5:
        return "caution"
    if x >= 0.2:
        return "risk"
    return "high_risk"


def keis_index(age5):
    """KEIS local extinction index (Lee Sang-ho): women aged 20-39 / persons aged 65+.

    Computed from the exact 5-year groups.  Returns (national value, DataFrame with
    region, women_20_39, persons_65p, keis, keis_class) in the row order of age5."""
    f = age5[age5.sex == "F"].set_index("region")
    both = age5.groupby("region", sort=False)[AGE5_COLS].sum()
    w2039 = f[["age_20_24", "age_25_29", "age_30_34", "age_35_39"]].sum(axis=1)
    old = both[AGE5_COLS[13:]].sum(axis=1)           # 65-69 .. 95-99, 100+
    assert AGE5_COLS[13] == "age_65_69"
    regions = list(age5.region.drop_duplicates())
    df = pd.DataFrame(dict(region=regions, women_20_39=w2039.loc[regions].to_numpy(np.int64),
                           persons_65p=old.loc[regions].to_numpy(np.int64)))
    df["keis"] = df.women_20_39 / df.persons_65p
    df["keis_class"] = [_keis_class(x) for x in df.keis]
    national = float(df.women_20_39.sum() / df.persons_65p.sum())
    return national, df


def _keis_summary(keis):
    """Counts under 0.5 and 0.2 for the 229 units and for KEIS's 228 areas (Jeju once)."""
    nat, df = keis
    merged = df.copy()
    merged.loc[merged.region.isin(JEJU_CITIES), "region"] = "5000000000"
    m = merged.groupby("region", sort=True)[["women_20_39", "persons_65p"]].sum()
    k228 = m.women_20_39 / m.persons_65p
    prov = df.assign(p=df.region.str[:2]).groupby("p")[["women_20_39", "persons_65p"]].sum()
    return dict(national=nat, n229=len(df), risk229=int((df.keis < KEIS_RISK).sum()),
                high229=int((df.keis < KEIS_HIGH_RISK).sum()), n228=len(m),
                risk228=int((k228 < KEIS_RISK).sum()), high228=int((k228 < KEIS_HIGH_RISK).sum()),
                sido=(prov.women_20_39 / prov.persons_65p).to_dict(),
                near228=int(((k228 >= KEIS_RISK) & (k228 < KEIS_RISK + 0.02)).sum()),
                lowest=df.sort_values(["keis", "region"]).head(3)[["region", "keis"]].to_numpy().tolist())


# ----------------------------------------------------------------------------------------
# 4. report
# ----------------------------------------------------------------------------------------
def _unit_names(raw):
    """MOIS names of the units (for the report), e.g. '경상북도 군위군' -> code."""
    u = _read_csv(raw, UNITS_FILE, ["adm_code", "name", "y2023"], dtype={"adm_code": str})
    return dict(zip(u.adm_code, u.name))


def _report_md(age5, single, shapes, v, sido_chk, nat_dec, prev, keis, keis22, names):
    L = []
    a = L.append
    k23, k22 = _keis_summary(keis), _keis_summary(keis22)

    def nm(c):
        return f"{names.get(c, c)} ({c})"

    a("## population_age5.csv and population.csv\n")
    a("`population_age5.csv` is the published MOIS table of registered residents (거주자: Korean nationals registered "
      "as resident; 거주불명자, overseas nationals and foreigners are not included) at 2023-12-31 by si/gun/gu, sex and "
      "5-year age (0-4 ... 95-99, 100+), for the 229 si/gun/gu-level units with the codes valid in December 2023 "
      "(Gangwon 51xx, Gunwi-gun 2772000000 under Daegu, Jeonbuk 45xx; a city with non-autonomous gu is one unit). "
      "Source: jumin.mois.go.kr 연령별 인구현황, re-published in iju298/REFrame@3d474bbf (FACTS.md section 11). "
      f"Checks: 229 units, total {TOTAL_POP:,}, M + F = T in every cell, and every pair of 5-year groups adds to the "
      "published 10-year bin (DERIVED_sigungu_sex_age10_dec2023.csv), so the region x sex totals are those of the previous tables.\n")
    a("`population.csv` splits each 5-year group into single years 0..99 (age_100 = 100 and over, copied). Every "
      "5-year group and the 100+ group are exact; only the distribution inside a group is estimated. Method:")
    a("1. **Shape source.** MOIS registration counts by eup/myeon/dong, sex and single year 0-110+ at 2023-09-30 "
      f"(data.go.kr 15097972; 3,584 dong, {v['dong_total']:,} persons) aggregated to the 229 units "
      "(`dong_to_sgg_unit_20230930.csv`). They carry each region's real cohort irregularities: birth-year "
      "peaks (2000, 2007, 2012), the fall of births after the early 1980s, 1996 and 2016, the student and "
      "young-worker bulges of university and industrial towns, the small 1990s cohorts of rural areas.")
    a("2. **Quarter-year cohort shift.** A person aged a on 30 Sep is aged a or a+1 on 31 Dec. With birthdays "
      "spread evenly, Dec(a) = 0.75 Sep(a) + 0.25 Sep(a-1). Age 0 on 31 Dec = 0.75 Sep(0) + the births of "
      "Oct-Dec 2023, taken as a quarter of Sep(0) (the births of the preceding 12 months), so Dec(0) = Sep(0). "
      "Deaths and moves within the quarter are ignored: they change levels, hardly the shape inside a group.")
    a("3. **Calendar-year correction.** On 31 Dec a single age is one calendar birth year, on 30 Sep it mixes "
      "two, and Korean cohorts differ sharply by calendar year (zodiac years, births concentrated early in the "
      "year), so the even-birthday shift blurs the peaks. MOIS publishes single years at 31 Dec 2023 by province "
      "(all registrations, both sexes, `mois_registered_sido_age1_202312.csv`); each region's shifted counts are "
      "multiplied by its province's factor published(a) / shifted(a), for both sexes. Only the variation of the "
      "factor inside a 5-year group matters. Held-out test one level up (the national factor applied to the "
      f"provinces, table below): the within-group error falls from {sido_chk[1][2]:.2f} % to "
      f"{sido_chk[2][2]:.2f} % of persons.")
    a("4. **Registrations vs residents.** The dong file counts all registrations, the target residents only. The "
      "shape is used only inside each 5-year group, rescaled to the published residents, so the level difference "
      "drops out; the difference between the bases (거주불명자, overseas nationals) changes slowly with age and "
      "hardly alters a within-group shape.")
    a(f"5. **Small counts.** Shape = (region counts + K x province shape) / (region group total + K) with K = "
      f"{PSEUDO_COUNT:g} persons; the province shape is smoothed toward the national one in the same way. A region "
      "with an empty group takes the province shape; for groups of hundreds of persons the region's own counts "
      f"dominate. Region x sex x group cells with at least one zero single-year count in the dong data: "
      f"{shapes['M']['zero_cells'] + shapes['F']['zero_cells']} of {2 * N_REGIONS * 20} (old ages of small "
      f"areas); empty groups: {shapes['M']['empty_groups'] + shapes['F']['empty_groups']}.")
    a("6. **Integers.** Each group total is split by the largest-remainder method (quotas floored, remaining "
      "persons to the largest fractions; ties to the lower age). Every cell is a non-negative integer and every "
      "group exact.\n")

    a("Validation.\n")
    gr = v["group_ratio"]
    a(f"* Registrations vs residents: the dong file has {v['dong_total']:,} persons (30 Sep), "
      f"{100 * (v['nat_ratio'] - 1):+.2f} % over the 2023-12-31 residents. By 5-year group (both sexes) the "
      f"ratio ranges from {gr.min():.4f} ({_label(int(np.argmin(gr)))}) to {gr.max():.4f} "
      f"({_label(int(np.argmax(gr)))}); 0-4 {gr[0]:.4f}, 20-24 {gr[4]:.4f}, 40-44 {gr[8]:.4f}, 80-84 {gr[16]:.4f}. "
      "Largest region differences (dong / residents): "
      + "; ".join(f"{nm(c)} {r:.3f}" for c, r, n in v["worst_regions"]) + ".")
    a(f"* Dong-based 5-year structure vs the published one: weighted absolute percentage error (sum |dong - "
      f"registered| / sum registered over the 229 x 2 x 21 region x sex x 5-year cells, dong counts scaled to "
      f"each region-sex resident total) = {v['wape_sep']:.2f} % for the Sep counts, {v['wape_dec']:.2f} % after "
      "the quarter shift. The residual is the difference between registration and residence plus three months "
      "of moves; worst regions: "
      + "; ".join(f"{nm(c)} {e:.1f} %" for e, c, n in v["worst_shape"]) + ". Hence the 5-year groups come from "
      "the residents' table and only the within-group shape from the dong file.")
    if prev is not None:
        a(f"* Previous table (PCLM from the 10-year bins) against the published 5-year cells: region x sex totals "
          f"{'identical' if prev['totals_equal'] else 'DIFFERENT in %d rows' % prev['n_total_diff']}; weighted "
          f"APE of the region x sex x 5-year cells {prev['wape5']:.2f} %, i.e. {prev['misallocated5']:.2f} % of "
          f"persons were in the wrong 5-year half of their 10-year bin (MAPE of cells with >= 500 persons "
          f"{prev['mape500']:.2f} %, P90 {prev['p90_500']:.2f} %), against 1.26 % misallocated predicted by the "
          "census-2010 test of that method (whose prior was the true 2010 structure, not one aged forward over "
          f"13 years). {prev['single_diff']:.2f} % of persons are at a different single age in the new table.")
    a("* Single years inside 5-year groups against the published Dec-31 single years (MOIS all registrations "
      "by province, both sexes; a slightly different population, so small differences remain): share of persons "
      "at a wrong single age when the published 5-year groups are split by each shape:\n")
    a("| single-year shape | nation % | 17 sido % |")
    a("|---|---|---|")
    for name, n, s in sido_chk:
        a(f"| {name} | {'-' if n is None else f'{n:.2f}'} | {s:.2f} |")
    new1 = single[AGE1_COLS].to_numpy(np.int64).sum(axis=0)
    ages = (0, 1, 2, 3, 10, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 40, 41, 42, 43, 44, 45)
    a("\nNational single-year profile (both sexes, residents) at ages with irregular cohorts; `registered (all)` "
      "= Dec-2023 all registrations, shown for the shape (its level is 0.5 % higher):\n")
    if prev is not None:
        old1 = prev["old"].sum(axis=0)
        a("| age (born) | previous (PCLM) | new | registered (all) |")
        a("|---|---|---|---|")
        for age in ages:
            a(f"| {age} ({REF_YEAR - age}) | {old1[age]:,} | {new1[age]:,} | {int(nat_dec[age]):,} |")
        a("\nThe previous table was smooth inside each 10-year bin (above age 12); the new one keeps the 2012 "
          "(black dragon) and 2007 (golden pig) birth-year peaks, the 2000 millennium peak and the smaller "
          "2001-2003 cohorts, the large 1979-1982 cohorts and the drop to 1978 and 1983.\n")
    else:
        a("| age (born) | new | registered (all) |")
        a("|---|---|---|")
        for age in ages:
            a(f"| {age} ({REF_YEAR - age}) | {new1[age]:,} | {int(nat_dec[age]):,} |")
        a("")

    a("### KEIS local extinction index at the start\n")
    a("Index (Lee Sang-ho, KEIS) = women aged 20-39 / persons aged 65+, from the exact 5-year groups of the "
      "residents. Classes: >= 1.5 low risk, 1.0-1.5 normal, 0.5-1.0 caution, 0.2-0.5 risk (소멸위험진입), "
      "< 0.2 high risk (소멸고위험).\n")
    a("| date (MOIS residents) | national | units | < 0.5 | < 0.2 | areas (Jeju once) | < 0.5 | < 0.2 |")
    a("|---|---|---|---|---|---|---|---|")
    for d, k in (("2022-12-31", k22), ("2023-12-31", k23)):
        a(f"| {d} | {k['national']:.3f} | {k['n229']} | {k['risk229']} | {k['high229']} | {k['n228']} | "
          f"{k['risk228']} | {k['high228']} |")
    pub = KEIS_PUBLISHED
    diffs = [k23["sido"][p] - x for p, x in pub["sido"].items() if p in k23["sido"]]
    fall = k22["national"] - k23["national"]
    a(f"\nPublished by KEIS (resident registration of March 2024, 228 areas with Jeju-si and Seogwipo-si as one): "
      f"national {pub['national']:.3f}, {pub['n_risk']} of {pub['n_units']} areas under 0.5. The 2023-12-31 value "
      f"{k23['national']:.3f} is {k23['national'] - pub['national']:+.3f} above it; the index fell by {fall:.3f} "
      f"during 2023 ({fall / 4:.3f} a quarter), so most of the gap is the three months of ageing between the "
      f"dates. Likewise {k23['risk228']} of the 228 areas are under 0.5 at 2023-12-31 and "
      f"{k23['near228']} more lie between 0.50 and 0.52 (one quarter's decline at the 2023 pace is about "
      f"{100 * fall / 4 / k23['national']:.1f} % of the index), which covers the step to {pub['n_risk']} by March "
      f"2024. Our values for the 16 sido published are {np.mean(diffs):+.3f} above the published ones on average "
      f"(range {min(diffs):+.3f} to {max(diffs):+.3f}), consistent with the same ageing. The engine's 229 units count "
      f"Jeju-si and Seogwipo-si separately ({k23['risk229']} under 0.5, {k23['high229']} under 0.2). Lowest "
      "index: " + "; ".join(f"{nm(c)} {x:.3f}" for c, x in k23["lowest"]) + ".\n")
    return "\n".join(L) + "\n"


def _label(g):
    return AGE5_LABELS[g].replace("~", "-")


# ----------------------------------------------------------------------------------------
# script: print the report and the checks
# ----------------------------------------------------------------------------------------
def _read_repo_table(name):
    """A table of inputs/korea (header lines start with '#')."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "korea", name)
    if not os.path.isfile(path):
        raise InputError(f"missing table: {path}")
    return pd.read_csv(path, comment="#", dtype={"region": str, "code": str})


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        raise SystemExit("usage: prep_population.py RAW_DIR (a folder laid out like shared/data/korea)")
    raw = argv[0]
    age5 = population_age5(raw)
    regions = _read_repo_table("regions.csv")
    assert sorted(regions.code) == sorted(age5.region.unique()), "codes differ from inputs/korea/regions.csv"
    previous = _read_repo_table("population.csv")
    single, report = population_single_years(raw, age5, previous=previous)
    print(report)
    print("## checks\n")
    print(f"* age5: {len(age5)} rows, total {int(age5[AGE5_COLS].to_numpy().sum()):,}, codes = regions.csv")
    t_new = single.set_index(["region", "sex"])[AGE1_COLS].sum(axis=1)
    t_old = previous.set_index(["region", "sex"])[AGE1_COLS].sum(axis=1).loc[t_new.index]
    print(f"* region x sex totals vs current population.csv: {int((t_new != t_old).sum())} rows differ")
    print(f"* single: {len(single)} rows, all 5-year groups exact, min cell {int(single[AGE1_COLS].to_numpy().min())}")
    nat, k = keis_index(age5)
    print(f"* KEIS national {nat:.4f}; < 0.5: {int((k.keis < 0.5).sum())}; < 0.2: {int((k.keis < 0.2).sum())} of {len(k)}")
    print(f"* header lines: age5 {len(age5_header_lines)}, single {len(single_header_lines)}")


if __name__ == "__main__":
    try:
        main()
    except InputError as exc:
        raise SystemExit(f"error: {exc}")
