#!/usr/bin/python3
"""Household tables: living alone, households by size, and the observed tables of the household
backtest.

Usage
-----
    /usr/bin/python3 inputs/prep_households.py [RAW_DIR] [--korea inputs/korea]

RAW_DIR is laid out like shared/data/korea (FACTS.md, section 12); by default the folder
shared/data/korea next to the repository (../shared/data/korea from the repository root).
Writes, for each base (the 2023 base into inputs/korea/, the 2022 backtest base into
inputs/korea/base2022/):

  living_alone.csv            share of persons in a one-person registered household (1인 세대)
                              by si/gun/gu x sex x 10-year age group, and the nation's
  living_alone_national.csv   the nation's share by single year of age and sex, and the yearly
                              change of its logit observed over the years before the base
  households_by_size.csv      registered households (세대) by size 1..6, 7+ and province

and into inputs/korea/observed/ the register's counts for the household backtest 2022 -> 2023:

  households_sgg_2021_2023.csv      세대 by si/gun/gu, Dec 2021-2023
  living_alone_sido_2021_2023.csv   one-person 세대 and registered population by province x sex x
                                    10-year age group, Dec 2021-2023

Each base uses nothing observed after its December (the 2023 base: Dec 2023; the 2022 base:
Dec 2022), besides what its own population.csv and households.csv carry (the 2022 base's are
partly estimated from 2023 counts: inputs/korea/base2022/README.md).
Reads the base tables regions.csv, provinces.csv, population.csv and households.csv of
inputs/korea and inputs/korea/base2022.  Deterministic (byte-identical on re-runs); a raw file
that is missing or malformed stops the script (exit 2) with the file and what was expected.
Documented in inputs/korea/README.md (section "living_alone.csv, living_alone_national.csv,
households_by_size.csv and the observed household tables").
"""
import argparse
import os
import sys

import numpy as np
import pandas as pd
from scipy.interpolate import PchipInterpolator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from prep_common import InputError, read_csv  # noqa: E402
from prep_foreign import largest_remainder  # noqa: E402
from prepare_korea import write_table  # noqa: E402

REPO = os.path.dirname(HERE)
DEFAULT_RAW = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "korea"))
KOREA = os.path.join(HERE, "korea")

F_ONE10 = "households/mois_oneperson_sedae_by_age10_sex_by_sido_2010_2023_dec.csv"
F_ONE5 = "households/mois_oneperson_sedae_by_age5_by_sido_2010_2023_dec.csv"
F_POP5 = "households/mois_registered_population_by_age5_by_sido_2010_2023_dec.csv"
F_SIZE = "households/mois_registered_sedae_by_size_by_sido_2010_2023_dec.csv"
F_TOTAL = "households/mois_registered_sedae_total_by_sido_2000_2023.csv"
F_RES5 = "mois_resident_registration/mois_resident_sgg_sex_age5_2022_2023_long.csv"
F_LIFE = "mortality/kostat_complete_life_table_1970_2023.csv"
F_CENSUS65 = "households/census_elderly_oneperson_hh_and_general_hh_by_region_2010_2023_DT_1YL12701.csv"
F_CROSSWALK = "codes/DERIVED_crosswalk_mois2023_to_kostat_map2018.csv"
# KOSIS region codes that differ from the 2018 map codes of the crosswalk (cities with gu use the
# parent city's code, first four digits + 0)
KOSIS_CODE = {"23030": "23090", "29010": "29"}

SEXES = ("M", "F")
SEX_WORD = {"M": "male", "F": "female"}
G10 = list(range(0, 100, 10)) + [100]                 # 0-9 ... 90-99, 100+
G10_LABELS = [f"{a}~{a + 9}세" for a in range(0, 100, 10)] + ["100세 이상"]
G5_LABELS = [f"{a}~{a + 4}세" for a in range(0, 100, 5)] + ["100세 이상"]
RES5_LABELS = [f"{a}~{a + 4}" for a in range(0, 100, 5)] + ["100+"]
NG = len(G10)
MAXAGE = 100
AGES = np.arange(MAXAGE + 1)
GROUP_OF_AGE = np.minimum(AGES // 10, NG - 1)
G10_OF_G5 = np.minimum(np.arange(21) // 2, NG - 1)
SIZE_COLS = ["size_1", "size_2", "size_3", "size_4", "size_5", "size_6", "size_7plus"]

SHARE_CAP = 0.95            # ceiling of a share (the engine's living_alone_max_share bound)
ONE_PERSON_CLIP = (0.15, 0.85)   # H1_r / H_r of the size estimate kept in this range
W_FROM_SIZE = 0.5           # weight of the size-based estimate of a region's one-person total (log scale)
IPF_TOL, IPF_ITER = 1e-12, 5000
TREND_YEARS = 4             # the slope uses the base year and the four before it
TREND_FROM_AGE = 15         # trend_logit is 0 below this age
CLEANUP_YEAR = 2021         # the register's 95+ counts break in Dec 2021 (register_break, the table's note)
GUNWI = "2772000000"        # Gunwi-gun: Gyeongbuk (47) until 2023-06-30, Daegu (27) from 2023-07-01
GUNWI_MOVED = 2023          # first December with Gunwi-gun in Daegu
FIRST_SEX_YEAR = 2022       # first December of the residents' table by sex x 5-year age (F_RES5)
OBS_YEARS = (2021, 2022, 2023)


def _expect(cond, rel, what):
    if not cond:
        raise InputError(f"malformed {rel}: expected {what}")


def _prov_of_admin(code):
    """2-digit province code of provinces.csv for a MOIS admin code of any year (Gangwon 42 -> 51,
    Jeonbuk 52 -> 45: provinces.csv holds the codes valid in Dec 2023); 'NAT' for the nation."""
    p = str(code).strip()[:2]
    if p in ("00", "10"):
        return "NAT"
    return {"42": "51", "52": "45"}.get(p, p)


def region_province(region, year, table_province):
    """Province of a region on the boundaries of December `year` (Gunwi-gun in Gyeongbuk before 2023)."""
    if region == GUNWI and year < GUNWI_MOVED:
        return "47"
    return table_province


# ----------------------------------------------------------------------------------------
# repository tables
# ----------------------------------------------------------------------------------------
def _repo(path, required, dtype=None):
    if not os.path.isfile(path):
        raise InputError(f"missing table: {path}")
    try:
        df = pd.read_csv(path, comment="#", dtype=dtype or {})
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot parse {path}: {exc}") from exc
    miss = [c for c in required if c not in df.columns]
    _expect(not miss, path, f"columns {miss}")
    return df


class Base:
    """The tables of one base (regions, provinces, population, households)."""

    def __init__(self, korea, year, folder):
        self.year, self.folder = year, folder
        reg = _repo(os.path.join(korea, "regions.csv"), ["code", "province_code"],
                    dtype={"code": str, "province_code": str})
        self.codes = list(reg.code)
        self.table_prov = list(reg.province_code.str.zfill(2))
        prov = _repo(os.path.join(korea, "provinces.csv"), ["code", "name_ko"], dtype={"code": str})
        self.provinces = list(prov.code.str.zfill(2))
        self.prov_names = dict(zip(self.provinces, prov.name_ko))
        _expect(len(self.provinces) == 17 and sorted(set(self.table_prov)) == sorted(self.provinces),
                os.path.join(korea, "regions.csv"), "province codes of provinces.csv (17)")
        self.prov = [region_province(c, year, p) for c, p in zip(self.codes, self.table_prov)]
        cols = [f"age_{a}" for a in AGES]
        path = os.path.join(folder, "population.csv")
        pop = _repo(path, ["region", "sex"] + cols, dtype={"region": str})
        _expect(len(pop) == 2 * len(self.codes), path, f"{2 * len(self.codes)} rows")
        pop = pop.set_index(["region", "sex"])
        self.N1 = np.zeros((len(self.codes), 2, MAXAGE + 1))     # region x sex x single age
        for i, c in enumerate(self.codes):
            for s, sx in enumerate(SEXES):
                _expect((c, sx) in pop.index, path, f"rows for region {c} sex {sx}")
                self.N1[i, s] = pop.loc[(c, sx), cols].to_numpy(float)
        self.N = np.zeros((len(self.codes), 2, NG))
        for g in range(NG):
            self.N[:, :, g] = self.N1[:, :, GROUP_OF_AGE == g].sum(axis=2)
        path = os.path.join(folder, "households.csv")
        hh = _repo(path, ["region", "households", "persons"], dtype={"region": str}).set_index("region")
        _expect(sorted(hh.index) == sorted(self.codes), path, "the regions of regions.csv")
        self.H = hh.loc[self.codes, "households"].to_numpy(float)
        self.P = hh.loc[self.codes, "persons"].to_numpy(float)
        _expect(np.allclose(self.P, self.N1.sum(axis=(1, 2))), path, "persons = region totals of population.csv")

    def rows_of(self, p):
        return [i for i, q in enumerate(self.prov) if q == p]


def to_age5(single):
    """(..., 101) single ages -> (..., 21) 5-year groups (100+ last)."""
    out = np.zeros(single.shape[:-1] + (21,))
    for g in range(20):
        out[..., g] = single[..., 5 * g:5 * g + 5].sum(axis=-1)
    out[..., 20] = single[..., MAXAGE]
    return out


def back_projected(reg, year, ref_year, single):
    """Residents of December `year` by province x sex x single age, from those of December
    ref_year: age a in `year` = age a + k in ref_year divided by the life-table survival
    L(a+j+1)/L(a+j) of each year between (k = ref_year - year); ages whose cohort is past 99 in
    ref_year take ref_year's count of their own age.  Migration is ignored (sex shares only)."""
    k = ref_year - year
    out = np.zeros_like(single)
    for s, sx in enumerate(SEXES):
        tables = [reg.lx(year + 1 + j, sx) for j in range(k)]
        for a in AGES:
            if a + k <= MAXAGE - 1:
                surv = np.prod([L[a + j + 1] / L[a + j] for j, L in enumerate(tables)])
                out[:, s, a] = single[:, s, a + k] / surv
            else:
                out[:, s, a] = single[:, s, a]
    return out


# ----------------------------------------------------------------------------------------
# raw register tables (province x ...)
# ----------------------------------------------------------------------------------------
class Register:
    def __init__(self, raw):
        self.raw = raw
        o10 = read_csv(raw, F_ONE10, ["year", "admin_code", "sex", "age_group", "one_person_sedae"],
                       dtype={"admin_code": str})
        _expect(set(o10.sex) == {"total", "male", "female"}, F_ONE10, "sex total/male/female")
        _expect(set(G10_LABELS) <= set(o10.age_group), F_ONE10, f"age groups {G10_LABELS}")
        o10["p"] = o10.admin_code.map(_prov_of_admin)
        self.o10 = o10
        o5 = read_csv(raw, F_ONE5, ["year", "admin_code", "age_group", "one_person_sedae"], dtype={"admin_code": str})
        _expect(set(G5_LABELS) <= set(o5.age_group), F_ONE5, f"age groups {G5_LABELS}")
        o5["p"] = o5.admin_code.map(_prov_of_admin)
        self.o5 = o5
        p5 = read_csv(raw, F_POP5, ["year", "admin_code", "sex", "age_group", "registered_population"],
                      dtype={"admin_code": str})
        p5["p"] = p5.admin_code.map(_prov_of_admin)
        self.sexes_in_population = sorted(set(p5.sex))
        self.p5 = p5
        sz = read_csv(raw, F_SIZE, ["year", "admin_code", "sedae_total", "sedae_1p", "sedae_2p", "sedae_3p",
                                    "sedae_4p", "sedae_5p", "sedae_6p", "sedae_7p", "sedae_8p", "sedae_9p",
                                    "sedae_10plus"], dtype={"admin_code": str})
        sz["p"] = sz.admin_code.map(_prov_of_admin)
        self.sz = sz
        self.tot = read_csv(raw, F_TOTAL, ["region", "year", "registered_sedae_total"])
        self.res = read_csv(raw, F_RES5, ["year", "adm_code", "level", "sex", "age_group", "pop"],
                            dtype={"adm_code": str})
        self.life = read_csv(raw, F_LIFE, ["year", "sex", "age", "Lx"])
        self._fm_cache = {}

    # -- one-person 세대 by province x sex x 10-year group
    def one10(self, year, provinces):
        d = self.o10[self.o10.year == year]
        _expect(len(d) > 0, F_ONE10, f"rows for {year}")
        w = d.pivot_table(index=["p", "sex"], columns="age_group", values="one_person_sedae", aggfunc="sum")
        _expect(set(provinces) <= set(w.index.get_level_values(0)), F_ONE10,
                f"the 17 provinces in {year} (found {sorted(set(w.index.get_level_values(0)))})")
        out = np.zeros((len(provinces), 2, NG))
        for k, p in enumerate(provinces):
            tot = w.loc[(p, "total"), G10_LABELS].to_numpy(float)
            for s, sx in enumerate(SEXES):
                out[k, s] = w.loc[(p, SEX_WORD[sx]), G10_LABELS].to_numpy(float)
                _expect(abs(w.loc[(p, SEX_WORD[sx]), "all_ages"] - out[k, s].sum()) < 0.5, F_ONE10,
                        f"age groups summing to all_ages ({p}, {sx}, {year})")
            _expect(np.allclose(out[k].sum(axis=0), tot), F_ONE10, f"male + female = total ({p}, {year})")
            _expect(tot.sum() > 0, F_ONE10, f"non-zero counts for {p} in {year}")
        if ("NAT", "total") in w.index:
            _expect(np.allclose(out.sum(axis=0), np.array([w.loc[("NAT", SEX_WORD[s]), G10_LABELS].to_numpy(float)
                                                            for s in SEXES])),
                    F_ONE10, f"the provinces summing to the national row in {year}")
        return out

    def one5_national(self, year):
        d = self.o5[(self.o5.year == year) & (self.o5.p != "NAT")]
        _expect(len(d) > 0, F_ONE5, f"rows for {year}")
        s = d.groupby("age_group").one_person_sedae.sum()
        return s.loc[G5_LABELS].to_numpy(float)

    # -- registered population (all registrations), both sexes, by province x 5-year group
    def pop5(self, year, provinces):
        d = self.p5[(self.p5.year == year) & (self.p5.sex == "total")]
        _expect(len(d) > 0, F_POP5, f"rows for {year}")
        w = d.pivot_table(index="p", columns="age_group", values="registered_population", aggfunc="sum")
        _expect(set(provinces) <= set(w.index), F_POP5, f"the 17 provinces in {year}")
        out = w.loc[provinces, G5_LABELS].to_numpy(float)
        _expect(np.allclose(out.sum(axis=1), w.loc[provinces, "all_ages"].to_numpy(float)), F_POP5,
                f"5-year groups summing to all_ages in {year}")
        if "NAT" in w.index:
            _expect(np.allclose(out.sum(axis=0), w.loc["NAT", G5_LABELS].to_numpy(float)), F_POP5,
                    f"the provinces summing to the national row in {year}")
        return out

    # -- households by size, and 세대 totals
    def sizes(self, year, provinces):
        d = self.sz[self.sz.year == year].set_index("p")
        _expect(set(provinces) <= set(d.index), F_SIZE, f"the 17 provinces in {year}")
        cols = [f"sedae_{k}p" for k in range(1, 10)] + ["sedae_10plus"]
        v = d.loc[provinces, cols].to_numpy(float)
        _expect(np.allclose(v.sum(axis=1), d.loc[provinces, "sedae_total"].to_numpy(float)), F_SIZE,
                f"sizes summing to sedae_total in {year}")
        return v                                          # province x (1..9, 10+)

    def sedae_totals(self, year, prov_names):
        alias = {n: p for p, n in prov_names.items()}
        alias.update({"강원도": "51", "강원특별자치도": "51", "전라북도": "45", "전북특별자치도": "45"})
        d = self.tot[self.tot.year == year]
        d = d[d.region != "전국"]
        unknown = sorted(set(d.region) - set(alias))
        _expect(not unknown, F_TOTAL, f"province names of provinces.csv (unknown: {unknown})")
        s = d.assign(p=d.region.map(alias)).groupby("p").registered_sedae_total.sum()
        _expect(sorted(s.index) == sorted(prov_names), F_TOTAL, f"the 17 provinces in {year}")
        return s

    # -- the male fraction by province x 5-year group (residents' table, 2022 and 2023)
    def residents5(self, year, provinces):
        d = self.res[(self.res.year == year) & (self.res.level == "sido")].copy()
        _expect(len(d) > 0, F_RES5, f"sido rows for {year}")
        d["p"] = d.adm_code.map(_prov_of_admin)
        w = d.pivot_table(index=["p", "sex"], columns="age_group", values="pop", aggfunc="sum")
        _expect(set(RES5_LABELS) <= set(w.columns), F_RES5, f"age groups {RES5_LABELS}")
        out = np.zeros((len(provinces), 2, 21))
        for k, p in enumerate(provinces):
            _expect((p, "M") in w.index and (p, "F") in w.index, F_RES5, f"sexes M, F for province {p} in {year}")
            for s, sx in enumerate(SEXES):
                out[k, s] = w.loc[(p, sx), RES5_LABELS].to_numpy(float)
        return out

    def lx(self, year, sex):
        d = self.life[(self.life.year == year) & (self.life.sex == sex)].sort_values("age")
        _expect(len(d) >= MAXAGE + 1, F_LIFE, f"ages 0..100 for {sex} in {year}")
        return d.Lx.to_numpy(float)[:MAXAGE + 1]

    def set_reference(self, base):
        """The single-year residents of the first December with sexes (the 2022 base's population.csv),
        by province on that December's boundaries, for taking the sex split back in time."""
        _expect(base.year == FIRST_SEX_YEAR, "base2022/population.csv", f"the base of {FIRST_SEX_YEAR}")
        self.ref_provinces = list(base.provinces)
        self.ref_single = np.stack([base.N1[base.rows_of(p)].sum(axis=0) for p in base.provinces])
        r5 = self.residents5(FIRST_SEX_YEAR, base.provinces)
        _expect(np.allclose(to_age5(self.ref_single), r5), F_RES5,
                f"the {FIRST_SEX_YEAR} sido rows equal to base2022/population.csv summed by province")

    def male_fraction(self, year, provinces):
        """Male fraction of each province x 5-year group in December `year`: the residents' table
        for 2022 and 2023; earlier years from the Dec-2022 residents by single year of age (the 2022
        base's population.csv) taken back along their cohort with the life tables of the years
        between (ages whose cohort is past 99 by 2022 keep the 2022 fraction of their own age)."""
        key = (year, tuple(provinces))
        if key in self._fm_cache:
            return self._fm_cache[key]
        if year >= FIRST_SEX_YEAR:
            r5 = self.residents5(year, provinces)
        else:
            _expect(list(provinces) == self.ref_provinces, F_RES5, "the provinces of the reference base")
            r5 = to_age5(back_projected(self, year, FIRST_SEX_YEAR, self.ref_single))
        fm = r5[:, 0] / np.maximum(r5.sum(axis=1), 1e-9)
        self._fm_cache[key] = fm
        return fm

    def population10(self, year, provinces, integer=False):
        """All-registration population by province x sex x 10-year group: the published both-sex
        5-year groups split by the male fraction (integer: M rounded, F = total - M)."""
        tot = self.pop5(year, provinces)
        fm = self.male_fraction(year, provinces)
        m = tot * fm
        if integer:
            m = np.rint(m)
        by5 = np.stack([m, tot - m], axis=1)                 # province x sex x 21
        out = np.zeros((len(provinces), 2, NG))
        for g5 in range(21):
            out[:, :, G10_OF_G5[g5]] += by5[:, :, g5]
        return out


# ----------------------------------------------------------------------------------------
# 1. living_alone.csv
# ----------------------------------------------------------------------------------------
def ipf(seed, rows, cols):
    """Fit seed (R, C) to the row and column totals (equal sums)."""
    x = seed.copy()
    for it in range(IPF_ITER):
        r = x.sum(axis=1)
        x *= np.where(r > 0, rows / np.where(r > 0, r, 1.0), 0.0)[:, None]
        c = x.sum(axis=0)
        x *= np.where(c > 0, cols / np.where(c > 0, c, 1.0), 0.0)[None, :]
        err = np.max(np.abs(x.sum(axis=1) - rows) / np.maximum(rows, 1.0))
        if err < IPF_TOL:
            break
    return x, it + 1


def combine_estimates(from_size, from_age, w=None):
    """A region's one-person total: the weighted geometric mean of the estimate from its 세대 and
    persons (multi-person size of the province) and the one from its age-sex structure (province
    rates), weight W_FROM_SIZE on the first (held-out tests: one_level_up, census_check)."""
    w = W_FROM_SIZE if w is None else w
    return np.exp(w * np.log(np.maximum(from_size, 1e-9)) + (1.0 - w) * np.log(np.maximum(from_age, 1e-9)))


def one_level_up(reg, provinces, years):
    """The region estimators tried on the provinces, whose one-person 세대 are known: each province's
    one-person total from its 세대 and persons with the nation's multi-person mean size, from its
    age-sex structure with the nation's rates, and the combination; MAPE (%) over the 17 provinces
    after scaling to the national total, per year."""
    out = {"size": [], "age": [], "combined": []}
    for y in years:
        one, pop, sz, p5 = reg.one10(y, provinces), reg.population10(y, provinces), reg.sizes(y, provinces), \
            reg.pop5(y, provinces)
        H, S1, Pp = sz.sum(axis=1), sz[:, 0], p5.sum(axis=1)
        mn = (Pp.sum() - S1.sum()) / (H.sum() - S1.sum())
        f = (H - Pp / mn) / (1.0 - 1.0 / mn)
        a = (pop * (one.sum(axis=0) / pop.sum(axis=0))[None]).sum(axis=(1, 2))
        for key, x in (("size", f), ("age", a), ("combined", combine_estimates(f, a))):
            x = x * S1.sum() / x.sum()
            out[key].append(100.0 * float(np.mean(np.abs(x / S1 - 1.0))))
    return {k: (min(v), max(v)) for k, v in out.items()}


def resident_gap(base, reg, k, p):
    """The registrations that are not residents (거주자): whereabouts unknown and Koreans abroad,
    as (one-person, two-person) 세대 of province p. Their 세대 and persons are the all-registration
    totals minus the resident ones; at 1.3 persons per 세대 nationally they are one- and two-person
    세대: x1 + x2 = dH, x1 + 2 x2 = dP (x2 = dP - dH within [0, dH])."""
    Y = base.year
    sizes = reg.sizes(Y, base.provinces)
    rows = base.rows_of(p)
    dH = sizes[k].sum() - base.H[rows].sum()
    dP = reg.pop5(Y, base.provinces)[k].sum() - base.P[rows].sum()
    if dH <= 0:
        return 0.0, 0.0
    x2 = min(max(dP - dH, 0.0), dH)
    return dH - x2, x2


def living_alone(base, reg, w_from_size=None):
    Y, P = base.year, base.provinces
    one = reg.one10(Y, P)                                   # register, all registrations
    pop = reg.population10(Y, P)                            # all registrations, derived sex split
    rate = np.where(pop > 0, one / np.maximum(pop, 1.0), 0.0)
    sizes = reg.sizes(Y, P)
    p5 = reg.pop5(Y, P)
    H_all = sizes.sum(axis=1)
    S1 = sizes[:, 0]
    _expect(np.allclose(S1, one.sum(axis=(1, 2))), F_SIZE, f"1-person 세대 = the one-person table's totals ({Y})")
    P_all = p5.sum(axis=1)
    m = (P_all - S1) / (H_all - S1)                         # mean size of multi-person 세대
    R = len(base.codes)
    H1 = np.zeros(R)
    info = dict(clipped_low=0, clipped_high=0, m=dict(zip(P, m)))
    fitted = np.zeros((R, 2, NG))
    row_err = col_err = 0.0
    iters = 0
    T1 = {}
    for k, p in enumerate(P):
        rows = base.rows_of(p)
        Hres = base.H[rows].sum()
        # 거주자 one-person 세대: the register's less the non-resident registrations' (resident_gap)
        T1[p] = S1[k] - resident_gap(base, reg, k, p)[0]
        factor = T1[p] / S1[k]
        raw = (base.H[rows] - base.P[rows] / m[k]) / (1.0 - 1.0 / m[k])
        lo, hi = ONE_PERSON_CLIP[0] * base.H[rows], ONE_PERSON_CLIP[1] * base.H[rows]
        info["clipped_low"] += int((raw < lo).sum())
        info["clipped_high"] += int((raw > hi).sum())
        seed = (base.N[rows] * rate[k][None]).reshape(len(rows), -1)
        h1 = combine_estimates(np.clip(raw, lo, hi), seed.sum(axis=1), w_from_size)
        h1 = h1 * T1[p] / h1.sum()
        H1[rows] = h1
        colm = (one[k] * factor).reshape(-1)
        x, n = ipf(seed, h1, colm)
        iters = max(iters, n)
        row_err = max(row_err, float(np.max(np.abs(x.sum(axis=1) - h1) / h1)))
        ok = colm > 0
        col_err = max(col_err, float(np.max(np.abs(x.sum(axis=0)[ok] - colm[ok]) / colm[ok])))
        _expect(np.allclose(x.sum(axis=0)[~ok], 0.0), F_ONE10, f"no one-person 세대 where {p} has no residents")
        fitted[rows] = x.reshape(len(rows), 2, NG)
    share = np.where(base.N > 0, fitted / np.maximum(base.N, 1.0), 0.0)
    capped = share > SHARE_CAP
    share = np.minimum(share, SHARE_CAP)
    share = np.round(share, 6)
    final = share * base.N
    nat = np.round(final.sum(axis=0) / base.N.sum(axis=0), 6)
    # the table's own regional totals after the cap and rounding, against the margins
    final_row_err = float(np.max(np.abs(final.sum(axis=(1, 2)) - H1) / H1))
    colsum = np.zeros((len(P), 2, NG))
    for k, p in enumerate(P):
        colsum[k] = final[base.rows_of(p)].sum(axis=0)
    colm_all = one * (np.array([T1[p] for p in P]) / S1)[:, None, None]
    ok = colm_all > 0
    final_col_err = float(np.max(np.abs(colsum[ok] - colm_all[ok]) / colm_all[ok]))
    info.update(rate=rate, one=one, pop=pop, H1=H1, T1=T1, fitted=fitted, share=share, nat=nat,
                row_err=row_err, col_err=col_err, final_row_err=final_row_err, final_col_err=final_col_err,
                iters=iters, capped=int(capped.sum()), H_all=H_all, S1=S1,
                register_total=float(S1.sum()), resident_total=float(sum(T1.values())),
                table_total=float(final.sum()), nat_register=one.sum(axis=0) / pop.sum(axis=0))
    rows_out = []
    for i, c in enumerate(base.codes):
        for s, sx in enumerate(SEXES):
            for g, lo in enumerate(G10):
                hi = 100 if g == NG - 1 else lo + 9
                rows_out.append([c, sx, lo, hi, f"{share[i, s, g]:.6f}", f"{nat[s, g]:.6f}", "DERIVED"])
    df = pd.DataFrame(rows_out, columns=["region", "sex", "age_from", "age_to", "share", "national_share", "status"])
    # the engine's rule: a region's share is 0 where the nation's is 0
    _expect(not ((nat[None] == 0) & (share > 0)).any(), "living_alone.csv", "0 where the national share is 0")
    return df, info


# ----------------------------------------------------------------------------------------
# 2. living_alone_national.csv
# ----------------------------------------------------------------------------------------
def _logit(p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def group_midpoint(g):
    """The midpoint age of a 10-year group as the engine uses it (100+ at 100)."""
    return 100.0 if g == NG - 1 else 10.0 * g + 4.5


def group_means(x, w):
    return np.array([(x[GROUP_OF_AGE == g] * w[GROUP_OF_AGE == g]).sum() / max(w[GROUP_OF_AGE == g].sum(), 1e-12)
                     for g in range(NG)])


def fit_group_means(curve, w, target):
    """curve x a factor linear in age between the 10-year groups' midpoints (flat beyond), the
    factors found by fixed-point iteration so that the w-weighted mean of every group equals
    target; a last rescaling within each group removes what the iteration leaves (< 1e-10)."""
    mp = np.array([group_midpoint(g) for g in range(NG)])
    c = np.ones(NG)
    for _ in range(500):
        x = curve * np.interp(AGES.astype(float), mp, c)
        m = group_means(x, w)
        if np.max(np.abs(m - target) / np.maximum(target, 1e-12)) < 1e-12:
            break
        c = c * np.where(m > 0, target / np.where(m > 0, m, 1.0), 0.0)
    m = group_means(x, w)
    return x * np.where(m > 0, target / np.where(m > 0, m, 1.0), 0.0)[GROUP_OF_AGE]


def register_break(reg, provinces):
    """National registered 100+, their one-person 세대 and 95-99, Dec CLEANUP_YEAR - 1 and CLEANUP_YEAR."""
    ys = (CLEANUP_YEAR - 1, CLEANUP_YEAR)
    return dict(pop100=[reg.pop5(y, provinces)[:, 20].sum() for y in ys],
                pop95=[reg.pop5(y, provinces)[:, 19].sum() for y in ys],
                one100=[reg.one10(y, provinces)[:, :, NG - 1].sum() for y in ys])


def national_shares_by_year(reg, provinces, years):
    out = {}
    for y in years:
        one = reg.one10(y, provinces).sum(axis=0)
        pop = reg.population10(y, provinces).sum(axis=0)
        out[y] = one / pop
    return out


def living_alone_national(base, reg, la):
    Y, P = base.year, base.provinces
    target = la["nat"]                                          # sex x group, 거주자 basis (table's national)
    Nn = base.N1.sum(axis=0)                                    # sex x single age, nationals
    # 5-year both-sex shares of the register and their 10-year x sex ratios
    one5 = reg.one5_national(Y)
    pop5 = reg.pop5(Y, P).sum(axis=0)
    r5 = one5 / pop5
    one10, pop10 = la["one"].sum(axis=0), la["pop"].sum(axis=0)
    r10_sex = one10 / pop10
    r10_both = one10.sum(axis=0) / pop10.sum(axis=0)
    mids = np.array([5 * g + 2.5 for g in range(20)] + [101.0])
    mid10 = np.array([10 * g + 5.0 for g in range(NG - 1)] + [101.0])
    share = np.zeros((2, MAXAGE + 1))
    for s in range(2):
        # the sex's ratio to both sexes, linear in age between the 10-year midpoints (a step
        # function would put a jump at every 10-year boundary where the sexes diverge, e.g. 70)
        ratio = np.interp(mids, mid10, r10_sex[s] / r10_both)
        pts = r5 * ratio
        f = PchipInterpolator(mids, _logit(pts), extrapolate=True)
        share[s] = fit_group_means(_expit(f(AGES + 0.5)), Nn[s], target[s])
    _expect((share <= SHARE_CAP).all(), "living_alone_national.csv", f"shares <= {SHARE_CAP}")
    share = np.round(share, 6)
    check = np.zeros((2, NG))
    for g in range(NG):
        a = GROUP_OF_AGE == g
        check[:, g] = (share[:, a] * Nn[:, a]).sum(axis=1) / Nn[:, a].sum(axis=1)
    group_err = float(np.max(np.abs(check - target)))
    # trend: least-squares slope of logit(share) on year per sex x group
    years = list(range(Y - TREND_YEARS, Y + 1))
    series = national_shares_by_year(reg, P, years)
    slope = np.zeros((2, NG))
    g90 = NG - 2
    for s in range(2):
        for g in range(NG - 1):
            v = np.array([_logit(series[y][s, g]) for y in years])
            X = [np.ones(len(years)), np.array(years, float) - Y]
            step = np.array([y >= CLEANUP_YEAR for y in years], float)
            if g == g90 and 0 < step.sum() < len(years) and len(years) >= 4:
                X.append(step)            # the level shift of the register's 2021 break at 95+
            slope[s, g] = np.linalg.lstsq(np.stack(X, axis=1), v, rcond=None)[0][1]
        slope[s, NG - 1] = slope[s, g90]  # 100+: the series breaks in 2021 and is small
    trend = np.zeros((2, MAXAGE + 1))
    mp = np.array([group_midpoint(g) for g in range(NG)])
    for s in range(2):
        trend[s] = np.interp(AGES.astype(float), mp, slope[s])
    trend[:, AGES < TREND_FROM_AGE] = 0.0
    trend = np.clip(np.round(trend, 6), -0.5, 0.5)
    rows = []
    for s, sx in enumerate(SEXES):
        for a in AGES:
            rows.append([int(a), sx, f"{share[s, a]:.6f}", f"{trend[s, a]:.6f}", "DERIVED"])
    df = pd.DataFrame(rows, columns=["age", "sex", "share", "trend_logit", "status"])
    return df, dict(share=share, trend=trend, slope=slope, series=series, years=years, group_err=group_err,
                    r5=r5, target=target)


# ----------------------------------------------------------------------------------------
# 3. households_by_size.csv
# ----------------------------------------------------------------------------------------
def households_by_size(base, reg):
    Y, P = base.year, base.provinces
    v = reg.sizes(Y, P)
    v7 = np.concatenate([v[:, :6], v[:, 6:].sum(axis=1, keepdims=True)], axis=1)
    rows, tot = [], {}
    for k, p in enumerate(P):
        total = int(round(sum(base.H[i] for i, q in enumerate(base.table_prov) if q == p)))
        tot[p] = (total, int(v7[k].sum()))
        x1, x2 = resident_gap(base, reg, k, p)
        resident = v7[k].copy()
        resident[0] -= x1
        resident[1] -= x2
        counts = largest_remainder(resident, total)
        rows.append([p] + [int(x) for x in counts])
    df = pd.DataFrame(rows, columns=["province"] + SIZE_COLS)
    return df, dict(totals=tot, national_all=float(v7.sum()), national_res=int(df[SIZE_COLS].to_numpy().sum()),
                    shares=df[SIZE_COLS].to_numpy().sum(axis=0) / df[SIZE_COLS].to_numpy().sum())


# ----------------------------------------------------------------------------------------
# 4. observed tables
# ----------------------------------------------------------------------------------------
def observed_households(b22, b23, reg):
    tot21 = reg.sedae_totals(2021, b23.prov_names)
    tot22 = reg.sedae_totals(2022, b23.prov_names)
    _expect(b22.codes == b23.codes, "base2022/households.csv", "the regions of inputs/korea in the same order")
    h21 = np.array([b22.H[i] * tot21[p] / tot22[p] for i, p in enumerate(b22.prov)])
    h21 = np.rint(h21).astype(np.int64)
    df = pd.DataFrame(dict(region=b23.codes, households_2021=h21, households_2022=b22.H.astype(np.int64),
                           households_2023=b23.H.astype(np.int64)))
    return df, dict(tot21=tot21, tot22=tot22)


def observed_living_alone(reg, provinces):
    one = {y: reg.one10(y, provinces) for y in OBS_YEARS}
    pop = {y: reg.population10(y, provinces, integer=True) for y in OBS_YEARS}
    rows = []
    for k, p in enumerate(provinces):
        for s, sx in enumerate(SEXES):
            for g, lo in enumerate(G10):
                hi = 100 if g == NG - 1 else lo + 9
                rows.append([p, sx, lo, hi] + [int(one[y][k, s, g]) for y in OBS_YEARS]
                            + [int(pop[y][k, s, g]) for y in OBS_YEARS])
    cols = (["province", "sex", "age_from", "age_to"] + [f"one_person_{y}" for y in OBS_YEARS]
            + [f"population_{y}" for y in OBS_YEARS])
    return pd.DataFrame(rows, columns=cols), dict(one=one, pop=pop)


# ----------------------------------------------------------------------------------------
# checks of the sex split (held out)
# ----------------------------------------------------------------------------------------
def sex_split_check(reg, b23):
    """Held out: the Dec-2023 residents (population.csv) taken back one year and compared with the
    published Dec-2022 male fractions; and the alternative of keeping the 2023 fractions."""
    P = b23.provinces
    single = np.stack([b23.N1[b23.rows_of(p)].sum(axis=0) for p in P])
    r22 = reg.residents5(2022, P)
    est5 = to_age5(back_projected(reg, 2022, 2023, single))
    r23 = to_age5(single)
    tot = r22.sum(axis=1)

    def nat10(x):                      # groups 0-9 ... 90-99 (100+ is kept at the reference fraction)
        m = np.zeros(NG)
        t = np.zeros(NG)
        for g5 in range(21):
            m[G10_OF_G5[g5]] += x[:, 0, g5].sum()
            t[G10_OF_G5[g5]] += x[:, :, g5].sum()
        return (m / t)[:NG - 1]
    o, e, c = nat10(r22), nat10(est5), nat10(r23)
    # Gunwi-gun moved between the two Decembers: Daegu and Gyeongbuk are left out of the cell check
    keep = np.array([p not in ("27", "47") for p in P])[:, None] & (tot > 1000)
    fo = r22[:, 0] / tot
    return dict(cohort=float(np.max(np.abs(e - o))), constant=float(np.max(np.abs(c - o))),
                cohort_cells=float(np.max(np.abs(est5[:, 0] / est5.sum(axis=1) - fo)[keep])),
                constant_cells=float(np.max(np.abs(r23[:, 0] / r23.sum(axis=1) - fo)[keep])))


def census_check(base, reg, la):
    """Independent check of the regional pattern: the census one-person households with a head
    65+ (1 Nov of the base year, si/gun/gu) against this table's persons 65+ living alone (the
    group shares applied to the single ages 65+), as the within-province standard deviation of
    log(table / census); also for the two estimates of the region totals alone.  Regions whose
    codes do not map are left out."""
    cen = read_csv(reg.raw, F_CENSUS65, ["year", "kosis_region_code", "oneperson_hh_head65plus"],
                   dtype={"kosis_region_code": str})
    cen = cen[cen.year == base.year].set_index("kosis_region_code").oneperson_hh_head65plus
    cw = read_csv(reg.raw, F_CROSSWALK, ["mois_code10", "kostat_map2018_codes"], dtype=str).set_index("mois_code10")
    obs = np.full(len(base.codes), np.nan)
    for i, c in enumerate(base.codes):
        if c not in cw.index:
            continue
        keys = set()
        for k in str(cw.loc[c, "kostat_map2018_codes"]).split(";"):
            k = KOSIS_CODE.get(k, k)
            if k not in cen.index and k[:4] + "0" in cen.index:
                k = k[:4] + "0"
            if c == GUNWI and base.year >= GUNWI_MOVED:
                k = "22520"
            keys.add(k)
        if all(k in cen.index for k in keys):
            obs[i] = sum(float(cen[k]) for k in keys)
    ok = ~np.isnan(obs) & (obs > 0)
    old = (AGES >= 65)

    def sd(share):
        est = (share[:, :, GROUP_OF_AGE] * base.N1)[:, :, old].sum(axis=(1, 2))
        lr = pd.Series(np.log(est[ok] / obs[ok]))
        lr = lr - lr.groupby(np.array(base.prov)[ok]).transform("mean")
        return float(lr.std(ddof=0))
    out = dict(matched=int(ok.sum()), table=sd(la["share"]))
    for key, w in (("size_only", 1.0), ("age_only", 0.0)):
        out[key] = sd(living_alone(base, reg, w)[1]["share"])
    return out


# ----------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------
def _slopes_text(slope):
    parts = []
    for s, sx in enumerate(SEXES):
        parts.append(sx + " " + " ".join(f"{G10[g]}{'+' if g == NG - 1 else '-' + str(G10[g] + 9)}:{slope[s, g]:+.4f}"
                                          for g in range(NG)))
    return "; ".join(parts)


def write_base(base, reg, out):
    Y = base.year
    la_df, la = living_alone(base, reg)
    na_df, na = living_alone_national(base, reg, la)
    hs_df, hs = households_by_size(base, reg)
    br = register_break(reg, base.provinces)
    gunwi = ("; Gunwi-gun (2772000000) counted in Gyeongbuk (47) as on the Dec-2022 boundaries"
             if Y < GUNWI_MOVED else "")
    up = one_level_up(reg, base.provinces, range(Y - TREND_YEARS, Y + 1))
    cc = census_check(base, reg, la)
    la.update(up=up, census=cc)
    write_table(out, "living_alone.csv", [
        f"Share of persons living in a one-person registered household (주민등록 1인 세대) by region, sex and "
        f"10-year age group, {Y}-12-31",
        f"source: MOIS resident registration Dec {Y} (jumin.mois.go.kr, mirrored in lsthc/Living-Alone): one-person 세대 "
        "by sido x sex x 10-year age (단독세대 연령별), registered population by sido x 5-year age and 세대 by size by sido "
        "(all registrations); population.csv (residents, 거주자, region x sex x age) and households.csv (세대 and "
        "persons by region) of this folder; MOIS residents by sido x sex x 5-year age (sex split)",
        "method: province rate = one-person 세대 / registered population of the province, sex and group (all "
        "registrations; that population table has both sexes only: split by the residents' male fraction of each "
        "5-year group); a region's one-person total = geometric mean of (a) (H - P/m)/(1 - 1/m) from its 세대 H and "
        "persons P, m = mean size of the province's multi-person 세대 = (registered persons - one-person)/(세대 - "
        f"one-person), clipped to {ONE_PERSON_CLIP[0]:.2f}-{ONE_PERSON_CLIP[1]:.2f} x H, and (b) its residents x the "
        "province rates; rescaled to the province's one-person total on the 거주자 basis = register one-person count "
        "less the registrations that are not residents (whereabouts unknown, Koreans abroad: all-registration minus "
        "거주자 세대 dH and persons dP of the province, taken as x1 one-person and x2 two-person 세대 with x1 + x2 = dH, "
        "x1 + 2 x2 = dP); IPF of region x "
        "(sex, group) seeded with residents x province rate to these region totals and to the province's one-person "
        "세대 by sex x group x the same factor; share = fitted / residents (0 where none), capped at "
        f"{SHARE_CAP}, 6 decimals; national_share = the table's resident-weighted national share{gunwi}",
        "status: DERIVED (province counts confirmed by the register; the within-province allocation is estimated)",
        f"note: fit: max relative error of the region totals {la['row_err']:.1e} and of the province x sex x group "
        f"totals {la['col_err']:.1e} ({la['iters']} IPF sweeps at most); after the cap and rounding "
        f"{la['final_row_err']:.1e} and {la['final_col_err']:.1e}; {la['capped']} cells capped; (a) clipped at "
        f"the lower bound in {la['clipped_low']} region(s), at the upper bound in {la['clipped_high']}",
        f"note: national one-person 세대: register (all registrations) {int(la['register_total']):,}, 거주자 basis "
        f"{la['resident_total']:,.0f} (register less the non-resident registrations: resident_gap), this table x residents "
        f"{la['table_total']:,.0f} (M {(la['share'] * base.N)[:, 0].sum():,.0f}, F {(la['share'] * base.N)[:, 1].sum():,.0f})",
        f"note: the estimators tried one level up (provinces from the nation, {Y - TREND_YEARS}-{Y}): MAPE of the "
        f"provinces' one-person 세대 (a) {up['size'][0]:.1f}-{up['size'][1]:.1f} %, (b) {up['age'][0]:.1f}-"
        f"{up['age'][1]:.1f} %, geometric mean {up['combined'][0]:.1f}-{up['combined'][1]:.1f} %; census {Y} one-person "
        f"households 65+ by si/gun/gu ({cc['matched']} regions): within-province sd of log(table / census) "
        f"{cc['table']:.3f} ((a) alone {cc['size_only']:.3f}, (b) alone {cc['age_only']:.3f})",
        "note: a registered 세대 is a registration unit: students and split families registered alone count as "
        "one-person 세대 (census one-person households are fewer; households/README.md)",
    ], la_df)
    write_table(out, "living_alone_national.csv", [
        f"The nation's share of persons living in a one-person registered household (1인 세대) by single year of age "
        f"and sex, {Y}-12-31, and the yearly change of its logit",
        f"source: MOIS resident registration Dec {Y - TREND_YEARS}-{Y}: one-person 세대 by sido x sex x 10-year age and "
        "by sido x 5-year age, registered population by sido x 5-year age (all registrations; jumin.mois.go.kr via "
        "lsthc/Living-Alone); living_alone.csv and population.csv of this folder; KOSTAT life tables (sex split before "
        f"{FIRST_SEX_YEAR})",
        "method: share: the register's 5-year both-sex shares times the sex's ratio to both sexes of the 10-year groups "
        "(linear in age between the groups' midpoints), a monotone "
        "(PCHIP) cubic through them on the logit scale at the group midpoints, evaluated at age + 0.5, then multiplied "
        "by a factor linear in age between the 10-year groups' midpoints (no steps at the group boundaries), fitted "
        "so that the resident-weighted mean of each group equals national_share of living_alone.csv; "
        "trend_logit: least-squares slope of logit(national one-person 세대 / registered population) on the year "
        f"{Y - TREND_YEARS}-{Y} per sex x 10-year group, linear in age between the group midpoints (10g + 4.5; 100+ at "
        f"100), flat beyond, 0 below age {TREND_FROM_AGE}",
        "status: DERIVED",
        f"note: the 10-year means reproduce living_alone.csv within {na['group_err']:.1e}; the populations by sex "
        f"before {FIRST_SEX_YEAR} split the published both-sex 5-year groups by the Dec-{FIRST_SEX_YEAR} residents' "
        "male fraction taken back along the cohort with the life tables",
        f"note: slopes per year (logit): {_slopes_text(na['slope'])}",
        f"note: the register's series break at the oldest ages in {CLEANUP_YEAR}: registered 100+ "
        f"{int(br['pop100'][0]):,} (Dec {CLEANUP_YEAR - 1}) -> {int(br['pop100'][1]):,}, their one-person 세대 "
        f"{int(br['one100'][0]):,} -> {int(br['one100'][1]):,}, 95-99 {int(br['pop95'][0]):,} -> {int(br['pop95'][1]):,} "
        "(a correction of the register, its cause not in the data folder): the 90-99 slope is estimated with a level "
        f"shift from {CLEANUP_YEAR} and 100+ takes the 90-99 slope",
    ], na_df)
    hs_note = ("; the Dec-2022 size distribution of Daegu and Gyeongbuk (Gunwi-gun in Gyeongbuk) scaled to the totals "
               "of regions.csv's provinces (Gunwi-gun in Daegu)" if Y < GUNWI_MOVED else "")
    write_table(out, "households_by_size.csv", [
        f"Registered households (세대) by size and province, {Y}-12-31, 거주자 basis",
        f"source: MOIS resident registration Dec {Y}, 지역별 세대원수별 세대수 (all registrations; jumin.mois.go.kr via "
        "lsthc/Living-Alone); households.csv of this folder (거주자 세대 by region)",
        "method: each province's size distribution 1..6, 7+ (7+ = 7, 8, 9 and 10+) less the registrations that are not "
        "residents (whereabouts unknown, Koreans abroad): the all-registration minus 거주자 세대 dH and persons dP of the "
        "province, taken from the one-person (x1) and two-person (x2) 세대, x1 + x2 = dH, x1 + 2 x2 = dP, the same x1 as "
        "living_alone.csv; then scaled to the province's 세대 of households.csv (regions.csv provinces; a factor within "
        "1e-4 of 1); integers by largest remainder" + hs_note,
        "status: DERIVED (the distribution confirmed by the register; the 거주자 level from households.csv)",
        f"note: national {hs['national_res']:,} 세대 (all registrations {hs['national_all']:,.0f}); shares 1..7+ "
        + " ".join(f"{100 * x:.2f}" for x in hs["shares"]) + " %",
    ], hs_df)
    return la, na, hs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", nargs="?", default=DEFAULT_RAW, help="raw data folder laid out like shared/data/korea")
    ap.add_argument("--korea", default=KOREA, help="the 2023 input folder (base2022/ and observed/ inside it)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.raw):
        raise InputError(f"raw folder not found: {a.raw}")
    reg = Register(a.raw)
    _expect("total" in reg.sexes_in_population, F_POP5, "rows of sex 'total' (both sexes)")
    b23 = Base(a.korea, 2023, a.korea)
    b22 = Base(a.korea, 2022, os.path.join(a.korea, "base2022"))
    reg.set_reference(b22)
    summary = {}
    for base in (b23, b22):
        summary[base.year] = write_base(base, reg, base.folder)
    obs = os.path.join(a.korea, "observed")
    os.makedirs(obs, exist_ok=True)
    oh, ohi = observed_households(b22, b23, reg)
    write_table(obs, "households_sgg_2021_2023.csv", [
        "Registered households (세대, 거주자 basis) by si/gun/gu, Dec 2021-2023 (Dec-2023 codes): observed for the "
        "household backtest 2022 -> 2023",
        "source: 2023: inputs/korea/households.csv (MOIS 주민등록 인구 및 세대현황 2023-12, 거주자); 2022: "
        "inputs/korea/base2022/households.csv (Jan 2023 - (Dec 2023 - Jan 2023)/11 of the MOIS month-end series); "
        "2021: KOSIS 행정구역(시군구)별 주민등록세대수 by sido, Dec 2021 and Dec 2022 (households/" + os.path.basename(F_TOTAL) + ")",
        "method: 2021 = the region's 2022 value x its province's 세대 Dec 2021 / Dec 2022 (no si/gun/gu 세대 count of "
        "2021 or earlier is in the data folder), rounded; provinces on the Dec-2022 boundaries (Gunwi-gun in Gyeongbuk)",
        "status: 2023 confirmed; 2022 DERIVED (one-month back-extrapolation); 2021 DERIVED (provincial change)",
        f"note: national {int(oh.households_2021.sum()):,} / {int(oh.households_2022.sum()):,} / "
        f"{int(oh.households_2023.sum()):,}; the 2021 column has no regional variation of the 2021 -> 2022 change "
        "within a province, so the naive 'previous change repeated' is the province's rate",
    ], oh)
    ol, oli = observed_living_alone(reg, b23.provinces)
    write_table(obs, "living_alone_sido_2021_2023.csv", [
        "One-person registered households (1인 세대) and registered population by province, sex and 10-year age "
        "group, Dec 2021-2023: observed for the household backtest 2022 -> 2023",
        "source: MOIS resident registration (jumin.mois.go.kr via lsthc/Living-Alone): one-person 세대 by sido x sex x "
        "10-year age (households/" + os.path.basename(F_ONE10) + ") and registered population by sido x 5-year age "
        "(households/" + os.path.basename(F_POP5) + "), all registrations, Dec of each year; MOIS residents by sido x "
        "sex x 5-year age Dec 2022-2023 and KOSTAT life tables (sex split)",
        "method: one_person copied as published; population = the published both-sex 5-year groups split by sex "
        "(male fraction of the residents, 거주자, of the same December for 2022 and 2023; for 2021 the Dec-2022 "
        "residents taken back one year along the cohort with the 2022 life table), M rounded and F = total - M, "
        "summed to 10-year groups; provinces as published in each December: Gunwi-gun is in Gyeongbuk (47) in 2021 "
        "and 2022 and in Daegu (27) in 2023; Gangwon 42 -> 51",
        "status: one_person confirmed (all registrations); population: both-sex totals confirmed, the sex split DERIVED",
        f"note: national one-person 세대 {int(oli['one'][2021].sum()):,} / {int(oli['one'][2022].sum()):,} / "
        f"{int(oli['one'][2023].sum()):,}; population {int(oli['pop'][2021].sum()):,} / {int(oli['pop'][2022].sum()):,} "
        f"/ {int(oli['pop'][2023].sum()):,}",
        "note: the boundary change of Gunwi-gun (2023-07-01) makes Daegu and Gyeongbuk incomparable between 2022 and "
        "2023 (analysis/score.py scores them as one unit)",
    ], ol)
    chk = sex_split_check(reg, b23)
    for Y in (2023, 2022):
        la, na, hs = summary[Y]
        print(f"base {Y}: one-person 세대 register {int(la['register_total']):,}, 거주자 basis "
              f"{la['resident_total']:,.0f}, table {la['table_total']:,.0f}; IPF max rel. error rows "
              f"{la['row_err']:.1e} cols {la['col_err']:.1e} (after cap/rounding {la['final_row_err']:.1e} / "
              f"{la['final_col_err']:.1e}); capped {la['capped']}; clipped {la['clipped_low']}/{la['clipped_high']}")
        print("  national 10-year shares M " + " ".join(f"{x:.4f}" for x in la["nat"][0]))
        print("  national 10-year shares F " + " ".join(f"{x:.4f}" for x in la["nat"][1]))
        print(f"  trend slopes {_slopes_text(na['slope'])}")
        print(f"  sizes: national {hs['national_res']:,} (all registrations {hs['national_all']:,.0f})")
    print(f"observed: households 2021/2022/2023 {int(oh.households_2021.sum()):,} / {int(oh.households_2022.sum()):,} "
          f"/ {int(oh.households_2023.sum()):,}; one-person {int(oli['one'][2021].sum()):,} / "
          f"{int(oli['one'][2022].sum()):,} / {int(oli['one'][2023].sum()):,}")
    print(f"sex split held out (Dec 2023 taken back to Dec 2022): max error of the national male fraction by 10-year "
          f"group 0-99 {chk['cohort']:.4f} (constant 2023 fraction: {chk['constant']:.4f}); province x 5-year cells "
          f"{chk['cohort_cells']:.4f} ({chk['constant_cells']:.4f})")
    for Y in (2023, 2022):
        la = summary[Y][0]
        print(f"base {Y}: estimators one level up, MAPE % (min-max over {Y - TREND_YEARS}-{Y}): size {la['up']['size']}, "
              f"age {la['up']['age']}, combined {la['up']['combined']}; census 65+ check {la['census']}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
