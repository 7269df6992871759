#!/usr/bin/python3
"""National mortality inputs for popsim: the 2023 base life table and the age pattern of improvement.

Usage
-----
    /usr/bin/python3 inputs/prep_mortality.py RAW_DIR

prints the README section for mortality.csv and the 2023-versus-2072 comparison table.

Why
---
A single factor applied to every death rate (the former projection rule) improves mortality at
100+ exactly as fast as at 40, so the 100+ group swells relative to the 95-99 group.  Here the
improvement is age specific:

* base rates m0(x): the Statistics Korea (KOSTAT) complete life table of 2023, closed above 90 by
  a Kannisto logistic hazard fitted to ages 85-99, with the open interval 100+ set to the hazard
  averaged over the stationary population above 100;
* age pattern b0(x): Lee-Carter (first SVD component of log m over 2000-2023 without the pandemic
  years 2020-2022) for each sex, averaged over the sexes (coherent pattern of Li & Lee 2005, as
  the UN does), sum 1; the same vector is written for both sexes;
* ultimate pattern bu(x) and its rotation with e0 (Li, Lee & Gerland 2013, Demography 50:2037-51;
  the UN World Population Prospects method as implemented in the UN's R package MortCast).

The engine then solves, for each year and sex, m(x) = m0(x) exp(-k b(x)) with
b = (1 - w(e0)) b0 + w(e0) bu so that the life expectancy equals the assumption path.
project_mx mirrors that formula exactly (same life table, same weight function).
"""
import functools
import os
import sys

import numpy as np
import pandas as pd

from prep_common import InputError  # noqa: E402
from scipy import optimize

# ----------------------------------------------------------------------------------------------
# constants
# ----------------------------------------------------------------------------------------------
LT_FILE = "mortality/kostat_complete_life_table_1970_2023.csv"
MAXAGE = 100                      # open interval 100+
AGES = np.arange(MAXAGE + 1)
SEXES = ("M", "F")
SEX_NAME = {"M": "male", "F": "female"}
BASE_YEAR = 2023
RADIX = 100000.0

KANNISTO_PIVOT = 80.0             # mu(x) = a e^{b(x-80)} / (1 + a e^{b(x-80)})
KANNISTO_FIT = (85, 99)           # ages whose rates the logistic is fitted to (KOSTAT's modelled ages)
KANNISTO_FROM = 90                # ages 90+ are replaced by the fitted logistic

PANDEMIC_YEARS = (2020, 2021, 2022)
LC_YEARS = tuple(y for y in range(2000, BASE_YEAR + 1) if y not in PANDEMIC_YEARS)
B_FLOOR = 1e-4                    # smallest admissible b(x) before renormalising

ULT_MEAN_AGES = (15, 64)          # ultimate pattern: ages below 65 get the mean b over 15-64
ULT_OLD_FROM = 65                 # ages 65+ keep the shape of b0, joined continuously at 65-69
E_START, E_END = 80.0, 102.0      # rotation starts / completes at these e0 (Li, Lee & Gerland 2013)

E0_2072 = (89.5, 92.7)            # KOSTAT 2023 projection, medium, 2072 (FACTS.md 11)
JAPAN_RATIO_100_95 = 0.2          # Japan, population 100+ / 95-99 (2020 census, about 80,000 / 400,000)
JAPAN_MEN_PER_WOMAN_100 = 0.13    # Japan, centenarian men per woman (MHLW, Sep 2023: 10,550 men of 92,139)

COLUMNS = ["age", "mx_male", "mx_female", "qx_male", "qx_female", "lx_male", "lx_female",
           "ex_male", "ex_female", "bx_male", "bx_female", "bx_ultimate_male", "bx_ultimate_female"]


# ----------------------------------------------------------------------------------------------
# life table the engine's way
# ----------------------------------------------------------------------------------------------
def life_table(m):
    """Life table from central rates m[0..100] with a_x = 0.5 and the open interval L100 = l100/m100.

    This is the engine's lifeExpectancy(): q = min(1, m/(1+0.5m)), L = l - d/2, L100 = l100/m100.
    Returns a dict of arrays mx (the input), qx (q100 = 1), lx (radix 1), dx, Lx, Tx, ex, keyed like
    the life tables of prepare_korea.py."""
    m = np.asarray(m, dtype=float)
    q = np.minimum(1.0, m[:MAXAGE] / (1.0 + 0.5 * m[:MAXAGE]))
    lx = np.concatenate([[1.0], np.cumprod(1.0 - q)])
    dx = np.append(lx[:MAXAGE] * q, lx[MAXAGE])
    Lx = np.append(lx[:MAXAGE] - 0.5 * dx[:MAXAGE], lx[MAXAGE] / m[MAXAGE] if m[MAXAGE] > 0 else 0.0)
    Tx = np.cumsum(Lx[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(lx > 0, Tx / lx, 0.0)
    return dict(mx=m, qx=np.append(q, 1.0), lx=lx, dx=dx, Lx=Lx, Tx=Tx, ex=ex)


def life_expectancy(m):
    """e0 of the rates m, computed exactly as the engine does."""
    return float(life_table(m)["Tx"][0])


# ----------------------------------------------------------------------------------------------
# raw data
# ----------------------------------------------------------------------------------------------
def read_life_tables(raw):
    """The KOSTAT complete life tables (KOSIS DT_1B42), checked for one row per year, sex and age."""
    path = os.path.join(raw, LT_FILE)
    if not os.path.isfile(path):
        raise InputError(f"missing raw file: {path}")
    d = pd.read_csv(path)
    d.columns = [c.lstrip("\ufeff") for c in d.columns]
    need = ["year", "sex", "age", "qx", "mx", "lx", "dx", "Lx", "Tx", "ex", "age_open"]
    miss = [c for c in need if c not in d.columns]
    if miss:
        raise InputError(f"malformed {path}: missing columns {miss}")
    d = d[d.sex.isin(SEXES)].sort_values(["sex", "year", "age"]).reset_index(drop=True)
    counts = d.groupby(["sex", "year"]).age.agg(["size", "min", "max"])
    if not ((counts["size"] == MAXAGE + 1) & (counts["min"] == 0) & (counts["max"] == MAXAGE)).all():
        raise InputError(f"malformed {path}: every year and sex needs ages 0-{MAXAGE}")
    if not (d.loc[d.age == MAXAGE, "age_open"] == 1).all() or (d.mx <= 0).any():
        raise InputError(f"malformed {path}: age 100 must be the open interval and mx > 0")
    if BASE_YEAR not in set(d.year):
        raise InputError(f"{path} has no {BASE_YEAR} table")
    return d


def kostat_table(d, sex, year):
    return d[(d.sex == sex) & (d.year == year)].sort_values("age")


# ----------------------------------------------------------------------------------------------
# Kannisto closure
# ----------------------------------------------------------------------------------------------
def kannisto_survival(a, b, x):
    """Survival from the pivot age under mu(x) = a e^{b(x-80)} / (1 + a e^{b(x-80)}); the
    cumulative hazard has the closed form ln(1 + a e^{b(x-80)}) / b."""
    return np.exp(-np.log1p(a * np.exp(b * (np.asarray(x, dtype=float) - KANNISTO_PIVOT))) / b)


def kannisto_central_rates(a, b, ages):
    """Life-table central rates m_x = (S(x) - S(x+1)) / int_x^{x+1} S, i.e. the quantity KOSTAT
    publishes as mx = dx/Lx, rather than the hazard at mid-interval."""
    g = np.linspace(0.0, 1.0, 201)
    S = kannisto_survival(a, b, np.asarray(ages, dtype=float)[:, None] + g[None, :])
    return (S[:, 0] - S[:, -1]) / np.trapz(S, g, axis=1)


def kannisto_open_rate(a, b, x0=MAXAGE):
    """Rate of the open interval x0+: deaths over person-years of the stationary population above
    x0 = S(x0) / int_{x0}^inf S (the hazard averaged over that population)."""
    g = np.linspace(float(x0), float(x0) + 80.0, 40001)
    S = kannisto_survival(a, b, g)
    return S[0] / np.trapz(S, g)


def fit_kannisto(table, fit_range=KANNISTO_FIT):
    """Fit (a, b) by maximising the Poisson likelihood sum dx ln m - Lx m over ages 85-99, with the
    life-table deaths dx and person-years Lx as pseudo counts and exposure (weights proportional to
    the deaths).

    Why 85-99: KOSTAT's own rates are already model values from age 85 on in every year (third
    differences of ln m vanish there), estimated by KOSTAT from registered deaths and population at
    those ages, which are not in the data folder.  Fitting that whole range keeps the official
    level (e0 and survival to 100 as published) and only replaces it by one smooth parametric form
    that also gives a consistent open-interval rate.  Fitting 80-94 instead lowers female survival
    to 100 by 8 % (e0 -0.03); extrapolating from the observed ages below 85 misses KOSTAT's 95-99
    rates by up to 10-15 %."""
    lo, hi = fit_range
    t = table.set_index("age")
    ages = np.arange(lo, hi + 1)
    D, E = t.dx.loc[ages].to_numpy(), t.Lx.loc[ages].to_numpy()

    def nll(p):
        m = kannisto_central_rates(np.exp(p[0]), p[1], ages)
        return -(D * np.log(m) - E * m).sum() / D.sum()

    res = optimize.minimize(nll, x0=[np.log(0.05), 0.12], method="Nelder-Mead",
                            options=dict(xatol=1e-10, fatol=1e-14, maxiter=4000))
    if not res.success:
        raise RuntimeError(f"Kannisto fit failed: {res.message}")
    return float(np.exp(res.x[0])), float(res.x[1])


def close_table(table, fit_range=KANNISTO_FIT):
    """KOSTAT mx with ages 90-99 replaced by the fitted Kannisto rates and 100+ by the open rate."""
    a, b = fit_kannisto(table, fit_range)
    m = table.mx.to_numpy(dtype=float).copy()
    m[KANNISTO_FROM:MAXAGE] = kannisto_central_rates(a, b, np.arange(KANNISTO_FROM, MAXAGE))
    m[MAXAGE] = kannisto_open_rate(a, b)
    return m, (a, b)


@functools.lru_cache(maxsize=4)
def _closed_with_params(raw):
    d = read_life_tables(raw)
    out, par = {}, {}
    for sex in SEXES:
        for year in sorted(set(d.year)):
            out[(sex, year)], par[(sex, year)] = close_table(kostat_table(d, sex, year))
    return out, par


def closed_life_tables(raw):
    """{(sex, year): np.array of 101 central rates} for every KOSTAT year, sexes M and F, closed
    above 90 by a Kannisto logistic (see fit_kannisto and close_table)."""
    tables, _ = _closed_with_params(os.path.abspath(raw))
    return {k: v.copy() for k, v in tables.items()}


# ----------------------------------------------------------------------------------------------
# Lee-Carter and the ultimate pattern
# ----------------------------------------------------------------------------------------------
def positive_bx(b):
    """Lee-Carter b can be (slightly) negative at the oldest ages or in noisy single years; the
    engine needs b >= 0.  Values below B_FLOOR are raised to it and the vector renormalised."""
    b = np.maximum(np.asarray(b, dtype=float), B_FLOOR)
    return b / b.sum()


def fit_lee_carter(tables, years):
    """Classic Lee-Carter on ln m(x, t) = a_x + b_x k_t: a_x = mean over the years, (b, k) = first
    SVD component of the centred matrix, b scaled to sum 1.

    Returns {sex: dict(ax, bx_raw, bx, kt, years, explained, k_slope)}: bx is bx_raw made positive
    (positive_bx), explained the share of the centred sum of squares of the first component and
    k_slope the least-squares trend of k per year."""
    years = list(years)
    out = {}
    for sex in SEXES:
        L = np.log(np.array([tables[(sex, y)] for y in years])).T     # age x year
        ax = L.mean(axis=1)
        U, S, Vt = np.linalg.svd(L - ax[:, None], full_matrices=False)
        b, k = U[:, 0], S[0] * Vt[0]
        scale = b.sum()
        b, k = b / scale, k * scale
        out[sex] = dict(ax=ax, bx_raw=b, bx=positive_bx(b), kt=k, years=years,
                        explained=float(S[0] ** 2 / (S ** 2).sum()),
                        k_slope=float(np.polyfit(years, k, 1)[0]))
    return out


def coherent_bx(lc):
    """Common age pattern of both sexes: the mean of the two sexes' b (Li & Lee 2005; MortCast's
    lileecarter.estimate, used for the UN World Population Prospects).  With a separate b per sex the
    faster Korean male decline at ages 30-50 and 5-20 would take male mortality below female
    mortality there within a few decades; with a common b the sexes differ only through k."""
    return positive_bx(0.5 * (lc["M"]["bx"] + lc["F"]["bx"]))


def ultimate_bx(b0):
    """Ultimate pattern of Li, Lee & Gerland (2013) in single years, as the UN implements it
    (MortCast::ultimate.bx): below 65 every age gets the mean of b0 over ages 15-64; from 65 on the
    shape of b0 is kept but scaled so that the 65-69 mean equals that working-age mean (no step
    at 65); then renormalised to sum 1."""
    b0 = np.asarray(b0, dtype=float)
    lo, hi = ULT_MEAN_AGES
    young = b0[lo:hi + 1].mean()
    u = b0.copy()
    u[:ULT_OLD_FROM] = young
    u[ULT_OLD_FROM:] = b0[ULT_OLD_FROM:] * young / b0[ULT_OLD_FROM:ULT_OLD_FROM + 5].mean()
    return positive_bx(u)


# ----------------------------------------------------------------------------------------------
# projection (mirrors the engine)
# ----------------------------------------------------------------------------------------------
def rotation_weight(e0, e_start=E_START, e_end=E_END):
    """w(e0) of Li, Lee & Gerland: 0 up to e_start, 1 from e_end, a half sine wave in between."""
    if e0 <= e_start:
        return 0.0
    if e0 >= e_end:
        return 1.0
    return 0.5 * (1.0 + np.sin(np.pi / 2.0 * (2.0 * (e0 - e_start) / (e_end - e_start) - 1.0)))


def solve_level(m0, b, e0, tol=1e-10):
    """k such that e0 of m0 exp(-k b) equals the target (bisection; e0 increases with k when b >= 0)."""
    lo, hi = -10.0, 10.0
    while life_expectancy(m0 * np.exp(-lo * b)) > e0:
        lo *= 2.0
    while life_expectancy(m0 * np.exp(-hi * b)) < e0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if life_expectancy(m0 * np.exp(-mid * b)) < e0:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return 0.5 * (lo + hi)


def rotated_bx(df, sex, e0, e_start=E_START, e_end=E_END):
    w = rotation_weight(e0, e_start, e_end)
    s = SEX_NAME[sex]
    return (1.0 - w) * df[f"bx_{s}"].to_numpy(float) + w * df[f"bx_ultimate_{s}"].to_numpy(float)


def project_mx(df, sex, e0, e_start=E_START, e_end=E_END):
    """Rates of sex ('M'/'F') whose life expectancy is e0: m0(x) exp(-k b(x)) with the rotated b."""
    m0 = df[f"mx_{SEX_NAME[sex]}"].to_numpy(float)
    b = rotated_bx(df, sex, e0, e_start, e_end)
    return m0 * np.exp(-solve_level(m0, b, e0) * b)


def uniform_mx(m0, e0):
    """The former rule, for comparison: every rate times one factor so that e0 is met."""
    m0 = np.asarray(m0, dtype=float)
    return m0 * np.exp(-solve_level(m0, np.ones_like(m0), e0))


# ----------------------------------------------------------------------------------------------
# output table and reports
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _build(raw):
    d = read_life_tables(raw)
    tables, params = _closed_with_params(raw)
    lc = fit_lee_carter(tables, LC_YEARS)
    b0 = coherent_bx(lc)
    cols = {"age": AGES}
    for sex in SEXES:
        s = SEX_NAME[sex]
        m = tables[(sex, BASE_YEAR)]
        lt = life_table(m)
        cols[f"mx_{s}"] = m
        cols[f"qx_{s}"] = lt["qx"]
        cols[f"lx_{s}"] = lt["lx"] * RADIX
        cols[f"ex_{s}"] = lt["ex"]
        cols[f"bx_{s}"] = b0
        cols[f"bx_ultimate_{s}"] = ultimate_bx(b0)
    df = pd.DataFrame(cols)[COLUMNS]
    check_table(df)
    return d, tables, params, lc, df


def check_table(df):
    """The invariants the engine relies on."""
    assert list(df.columns) == COLUMNS and len(df) == MAXAGE + 1 and (df.age == AGES).all()
    for s in SEX_NAME.values():
        assert (df[f"mx_{s}"] > 0).all() and df[f"qx_{s}"].iloc[-1] == 1.0
        assert ((df[f"qx_{s}"] > 0) & (df[f"qx_{s}"] <= 1)).all()
        for c in (f"bx_{s}", f"bx_ultimate_{s}"):
            assert (df[c] >= 0).all() and abs(df[c].sum() - 1.0) < 1e-9, c


def mortality_table(raw):
    """(df, report_md): the mortality.csv table (columns COLUMNS, ages 0-100) and the text of the
    README section "## mortality.csv" (without the heading line)."""
    raw = os.path.abspath(raw)
    d, tables, params, lc, df = _build(raw)
    out = df.copy()
    out.attrs["header_lines"] = header_lines(raw)
    return out, _report(d, tables, params, lc, df)


def header_lines(raw):
    """The comment header of mortality.csv (title, source, method, status, notes)."""
    d, tables, params, lc, df = _build(os.path.abspath(raw))
    pub = {s: float(kostat_table(d, s, BASE_YEAR).ex.iloc[0]) for s in SEXES}
    e0 = {s: life_expectancy(tables[(s, BASE_YEAR)]) for s in SEXES}
    bsel = " ".join(f"{100 * df.bx_male.iloc[x]:.3f}" for x in (0, 40, 80, 95, 100))
    return [
        f"National period life table by sex, {BASE_YEAR}, single years 0-100 (100 = open interval), "
        "with the Lee-Carter age pattern of mortality decline and its ultimate (rotated) pattern",
        f"source: Statistics Korea (KOSTAT) complete life tables 1970-{BASE_YEAR} (KOSIS DT_1B42, 생명표; "
        "series revised in 2016), shared/data/korea/" + LT_FILE,
        f"method: mx = KOSTAT {BASE_YEAR} mx for ages 0-89; ages 90-99 and 100+ from a Kannisto logistic "
        f"a*e^(b(x-80))/(1+a*e^(b(x-80))) fitted by Poisson likelihood (deaths dx, exposure Lx) to ages "
        f"{KANNISTO_FIT[0]}-{KANNISTO_FIT[1]}, m100+ = hazard averaged over the stationary population above 100; "
        "qx lx ex with a_x = 0.5, L100 = l100/m100, radix 100000 (as the engine)",
        f"method: bx = Lee-Carter b (first SVD component of ln m, each sex, years {LC_YEARS[0]}-{LC_YEARS[-1]} "
        f"without {PANDEMIC_YEARS[0]}-{PANDEMIC_YEARS[-1]}), floor {B_FLOOR:g}, averaged over the sexes (coherent, "
        "as UN WPP; same for both sexes), sum 1; bx_ultimate = "
        "Li-Lee-Gerland (2013) ultimate pattern as in UN MortCast: ages 0-64 = mean b 15-64, 65+ = b scaled "
        "to join at 65-69, sum 1",
        "method: engine: m(x) = mx exp(-k b(x)), b = (1-w) bx + w bx_ultimate, "
        f"w = 0.5(1+sin(pi/2 (2(e0-{E_START:g})/({E_END:g}-{E_START:g})-1))) clipped to 0..1, k solved for e0",
        "status: mx 0-89 confirmed (official life table); 90+ DERIVED (fitted closure); bx DERIVED (estimated)",
        f"note: e0 of this table M {e0['M']:.3f} F {e0['F']:.3f} (published {pub['M']:.3f} {pub['F']:.3f}); "
        f"Lee-Carter explained variance M {lc['M']['explained']:.3f} F {lc['F']['explained']:.3f}; "
        f"bx at 0/40/80/95/100 (%) {bsel}",
    ]


def stationary_summary(m_male, m_female):
    """Oldest-old indicators of the stationary populations of two sex-specific tables."""
    out = {}
    for sex, m in (("M", m_male), ("F", m_female)):
        lt = life_table(m)
        out[sex] = dict(e0=lt["ex"][0], e65=lt["ex"][65], l90=lt["lx"][90] * RADIX, l100=lt["lx"][100] * RADIX,
                        m_ratio=m[MAXAGE] / m[95], r100=lt["Lx"][MAXAGE] / lt["Lx"][95:MAXAGE].sum(),
                        L100=lt["Lx"][MAXAGE], lt=lt, m=np.asarray(m, dtype=float))
    out["men_per_woman_100"] = out["M"]["L100"] / out["F"]["L100"]
    return out


def _ranges(ages):
    """[5, 6, 7, 9] -> '5-7, 9' (or 'none')."""
    if not ages:
        return "none"
    runs, start = [], ages[0]
    for prev, cur in zip(ages, ages[1:] + [None]):
        if cur != prev + 1:
            runs.append(f"{start}-{prev}" if prev > start else f"{start}")
            start = cur
    return ", ".join(runs)


def _fmt_b(b, ages):
    return " ".join(f"{x}: {100 * b[x]:.3f}" for x in ages)


def _report(d, tables, params, lc, df):
    parts = [f"{BASE_YEAR} period life table by sex, single years 0-100 (100 = open interval, q = 1), radix 100,000, "
             "from the Statistics Korea complete life tables (KOSIS DT_1B42, current series, revised back to 1970 in "
             "2016), with the age pattern of mortality decline used by the engine "
             "(m(x) = mx exp(-k b(x)), k solved for the e0 of the year).\n",
             _report_closure(d, tables, params), _report_lee_carter(tables, lc), _report_rotation(df),
             _report_oldest_old(df, {s: lc[s]["bx"] for s in SEXES})]
    return "\n".join(parts)


def _report_closure(d, tables, params):
    lines = []
    a = lines.append
    pub = {s: kostat_table(d, s, BASE_YEAR) for s in SEXES}
    dev = max(abs(tables[(s, BASE_YEAR)][x] / pub[s].mx.iloc[x] - 1) for s in SEXES for x in range(90, MAXAGE))
    a("**Closure above 90.** KOSTAT's rates are themselves model values from age 85 on in every year 1970-2023 "
      "(the third differences of ln m vanish from 85, and ln m(x+1)/m(x) falls steadily from 85 to 99), estimated "
      "by KOSTAT from data not in the folder; only ages up to 84 are observed rates. A Kannisto logistic "
      "mu(x) = a e^(b(x-80)) / (1 + a e^(b(x-80))) is fitted to the modelled ages "
      f"{KANNISTO_FIT[0]}-{KANNISTO_FIT[1]} of each table by Poisson likelihood with the life-table deaths dx as "
      "counts and Lx as exposure (weights proportional to deaths), comparing life-table central rates "
      "(S(x)-S(x+1))/int S, not mid-interval hazards. Ages 90-99 take the fitted central rates, 100+ the rate "
      "S(100)/int_100^inf S (the hazard averaged over the stationary population above 100). Fitting the whole "
      "modelled range keeps KOSTAT's level (e0, survival to 100) while giving one smooth form across years and an "
      f"open-interval rate consistent with it. In {BASE_YEAR} the closed rates at 90-99 are within "
      f"{100 * dev:.1f} % of KOSTAT's, so the join at 90 needs no blending (step m90/m89 below).\n")
    a("| sex | a | b | e0 published | e0 closed (engine life table) | difference | l100 published (per 100k) | "
      "l100 closed | m90/m89 KOSTAT | m90/m89 closed | m100+ KOSTAT | m100+ closed |")
    a("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in SEXES:
        t = pub[s]
        km = t.mx.to_numpy()
        m = tables[(s, BASE_YEAR)]
        pa, pb = params[(s, BASE_YEAR)]
        lt = life_table(m)
        e0 = lt["ex"][0]
        a(f"| {s} | {pa:.5f} | {pb:.5f} | {t.ex.iloc[0]:.3f} | {e0:.3f} | {e0 - t.ex.iloc[0]:+.3f} | "
          f"{t.lx.iloc[MAXAGE]:,.0f} | {RADIX * lt['lx'][MAXAGE]:,.0f} | {km[90] / km[89]:.4f} | {m[90] / m[89]:.4f} | "
          f"{km[MAXAGE]:.4f} | {m[MAXAGE]:.4f} |")
    kost_e0 = {s: life_expectancy(pub[s].mx.to_numpy()) for s in SEXES}
    a(f"\nThe engine's life table (a_x = 0.5) on KOSTAT's own mx gives e0 M {kost_e0['M']:.3f}, F {kost_e0['F']:.3f}. "
      f"Other fitting ranges ({BASE_YEAR} tables):\n")
    a("| fit ages | e0 M | e0 F | l100 M | l100 F | m100+ M | m100+ F |")
    a("|---|---|---|---|---|---|---|")
    for rng in ((70, 84), (80, 94), (80, 99), KANNISTO_FIT):
        ms = {s: close_table(pub[s], rng)[0] for s in SEXES}
        lts = {s: life_table(ms[s]) for s in SEXES}
        a(f"| {rng[0]}-{rng[1]}{' (used)' if rng == KANNISTO_FIT else ''} | "
          + " | ".join(f"{lts[s]['ex'][0]:.3f}" for s in SEXES) + " | "
          + " | ".join(f"{RADIX * lts[s]['lx'][MAXAGE]:,.0f}" for s in SEXES) + " | "
          + " | ".join(f"{ms[s][MAXAGE]:.4f}" for s in SEXES) + " |")
    a("\nExtrapolating from the observed ages (70-84) or anchoring on 80-94 departs from the published survival to "
      "100 (1.0 % men, 4.6 % women); the used range reproduces it.\n")
    return "\n".join(lines)


def _report_lee_carter(tables, lc):
    lines = []
    a = lines.append
    ages = (0, 1, 5, 10, 20, 30, 40, 50, 60, 65, 70, 80, 85, 90, 95, 99, 100)
    full = fit_lee_carter(tables, range(LC_YEARS[0], BASE_YEAR + 1))
    a(f"**Lee-Carter age pattern (bx_male, bx_female).** ln m(x,t) = a_x + b_x k_t on the closed tables, each sex, "
      f"years {LC_YEARS[0]}-{LC_YEARS[-1]} without {', '.join(map(str, PANDEMIC_YEARS))} ({len(LC_YEARS)} years); "
      "a_x = mean, (b, k) = first SVD component, b scaled to sum 1. Why this period: since 2000 the pattern "
      "reflects today's regime (infant and child mortality already low, the fastest decline at 60-80); fits "
      "starting earlier put much more weight on ages 0-15 and, from 1993, give negative b at 100 for women. The "
      "pandemic years are left out because the 2022 Omicron excess, concentrated at the oldest ages, reads as a "
      "stall of old-age decline in the last years of the window and lowers the men's b at the oldest ages "
      f"(b at 95 / 100 with them: M {100 * full['M']['bx_raw'][95]:.3f} / {100 * full['M']['bx_raw'][MAXAGE]:.3f} %, "
      f"F {100 * full['F']['bx_raw'][95]:.3f} / {100 * full['F']['bx_raw'][MAXAGE]:.3f} %; without: "
      f"M {100 * lc['M']['bx_raw'][95]:.3f} / {100 * lc['M']['bx_raw'][MAXAGE]:.3f} %, "
      f"F {100 * lc['F']['bx_raw'][95]:.3f} / {100 * lc['F']['bx_raw'][MAXAGE]:.3f} %). Values of b below {B_FLOOR:g} are raised to it and b "
      "renormalised (the engine needs b >= 0, sum 1); none occur with this period.\n")
    a("| sex | explained variance | k trend per year | raw b below floor | b (%) at ages |")
    a("|---|---|---|---|---|")
    for s in SEXES:
        r = lc[s]
        a(f"| {s} | {r['explained']:.3f} | {r['k_slope']:.2f} | {int((r['bx_raw'] < B_FLOOR).sum())} | "
          f"{_fmt_b(r['bx'], ages)} |")
    a(f"| both (bx_male = bx_female) | | | | {_fmt_b(coherent_bx(lc), ages)} |")
    a("\nThe written b0 is the mean of the two sexes' b (coherent Lee-Carter of Li & Lee 2005, as in the UN's "
      "MortCast lileecarter.estimate; Statistics Korea's 2011 projection also used a Li-Lee model): with a "
      "separate b per sex the faster male decline at 30-50 and 5-20 would put male mortality below female "
      "mortality at those ages by 2072 (see the oldest-old section). The sexes then differ only through k.")
    a("\nStability of b0 (raw, %, same ages) under other fitting periods:\n")
    a("| sex | period | explained | b0 (%) |")
    a("|---|---|---|---|")
    for label, yrs in (("1993-2023", range(1993, BASE_YEAR + 1)), ("2000-2023 (all)", range(2000, BASE_YEAR + 1)),
                       ("2000-2019", range(2000, 2020))):
        alt = full if label == "2000-2023 (all)" else fit_lee_carter(tables, yrs)
        for s in SEXES:
            a(f"| {s} | {label} | {alt[s]['explained']:.3f} | {_fmt_b(alt[s]['bx_raw'], ages)} |")
    a("")
    return "\n".join(lines)


def _ultimate_without_join(b0):
    """Variant for the report only: ages 65+ keep b0 unscaled (a step at 65 where b0(65) differs
    from the working-age mean)."""
    u = np.asarray(b0, dtype=float).copy()
    u[:ULT_OLD_FROM] = u[ULT_MEAN_AGES[0]:ULT_MEAN_AGES[1] + 1].mean()
    return positive_bx(u)


def _report_rotation(df):
    lines = []
    a = lines.append
    ages = (0, 20, 40, 60, 64, 65, 70, 80, 90, 95, 100)
    a("**Ultimate pattern (bx_ultimate_*) and rotation.** Li, Lee & Gerland (2013) let b move from the "
      "estimated b0 towards an ultimate pattern as e0 rises, so that decline slows at young ages relative to old "
      "ages. The ultimate pattern follows the UN's implementation (R package MortCast, ultimate.bx, used for the "
      "World Population Prospects), in single years: bu(x) = mean b0(15..64) for x < 65; "
      "bu(x) = b0(x) mean b0(15..64) / mean b0(65..69) for x >= 65 (the old-age shape of b0, joined without a step "
      "at 65); then divided by its sum. Rotation weight "
      f"w(e0) = 0.5 (1 + sin(pi/2 (2 (e0 - {E_START:g}) / ({E_END:g} - {E_START:g}) - 1))), 0 below {E_START:g}, "
      f"1 above {E_END:g}: the values of Li, Lee & Gerland and MortCast's defaults (e0l = 80, e0u = 102). MortCast "
      "also raises the weight to a power p (default 0.5, faster early rotation); the engine's formula is p = 1.\n")
    a("| sex | bu (%) at ages | share of b at 65+: b0 / bu | w at 2023 e0 | w at 2072 e0 |")
    a("|---|---|---|---|---|")
    for s, e72 in zip(SEXES, E0_2072):
        b0 = df[f"bx_{SEX_NAME[s]}"].to_numpy(float)
        bu = df[f"bx_ultimate_{SEX_NAME[s]}"].to_numpy(float)
        e23 = life_expectancy(df[f"mx_{SEX_NAME[s]}"].to_numpy(float))
        a(f"| {s} | {_fmt_b(bu, ages)} | {b0[65:].sum():.3f} / {bu[65:].sum():.3f} | {rotation_weight(e23):.3f} | "
          f"{rotation_weight(e72):.3f} |")
    var = df.copy()
    for s in SEX_NAME.values():
        var[f"bx_ultimate_{s}"] = _ultimate_without_join(df[f"bx_{s}"])
    jump = var.bx_ultimate_male.iloc[65] / var.bx_ultimate_male.iloc[64]
    r = stationary_summary(project_mx(var, "M", E0_2072[0]), project_mx(var, "F", E0_2072[1]))
    a("\nKorea's b0 already peaks at 60-80 (part of the rotation has happened), so the ultimate pattern mainly moves "
      "decline from ages 0-14 and 60-64 to the other working ages and lowers the share of the ages 65+ somewhat. "
      "The variant that keeps b0 unscaled from 65 (65+ = b0, then renormalised) has a step "
      f"bu(65)/bu(64) of {jump:.2f} and was not used; with it the 2072 "
      f"stationary L(100+)/L(95-99) would be {r['M']['r100']:.3f} / {r['F']['r100']:.3f} and the centenarian men "
      f"per woman {r['men_per_woman_100']:.3f} (compare the table below).\n")
    return "\n".join(lines)


def _report_oldest_old(df, lc_by_sex):
    lines = []
    a = lines.append
    new = stationary_summary(project_mx(df, "M", E0_2072[0]), project_mx(df, "F", E0_2072[1]))
    old = stationary_summary(uniform_mx(df.mx_male, E0_2072[0]), uniform_mx(df.mx_female, E0_2072[1]))
    base = stationary_summary(df.mx_male.to_numpy(float), df.mx_female.to_numpy(float))
    a(f"**Oldest old, stationary populations** (2072 at e0 {E0_2072[0]} men / {E0_2072[1]} women):\n")
    a("| table | L(100+)/L(95-99) men | women | centenarian men per woman |")
    a("|---|---|---|---|")
    sep = df.copy()
    for s in SEXES:
        sep[f"bx_{SEX_NAME[s]}"] = lc_by_sex[s]
        sep[f"bx_ultimate_{SEX_NAME[s]}"] = ultimate_bx(lc_by_sex[s])
    sep_m = {s: project_mx(sep, s, e) for s, e in zip(SEXES, E0_2072)}
    alt = stationary_summary(sep_m["M"], sep_m["F"])
    for label, r in ((f"{BASE_YEAR}", base), ("2072, age-specific decline (this table)", new),
                     ("2072, variant with a separate b per sex", alt),
                     ("2072, one factor for all ages (former rule)", old)):
        a(f"| {label} | {r['M']['r100']:.3f} | {r['F']['r100']:.3f} | {r['men_per_woman_100']:.3f} |")
    a(f"| Japan today (populations: 2020 census; MHLW 2023 centenarians) | about {JAPAN_RATIO_100_95} (both sexes) | | "
      f"about {JAPAN_MEN_PER_WOMAN_100} |")
    fall = {s: {x: 100 * (1 - new[s]["lt"]["qx"][x] / base[s]["lt"]["qx"][x]) for x in (80, 90, 95)} for s in SEXES}
    a("\nThe rates at 95+ improve little because b0 is small there: KOSTAT's series shows little improvement at the "
      "oldest ages since 2000, and the projection inherits that (q95 falls by "
      f"{fall['M'][95]:.0f} % for men and {fall['F'][95]:.0f} % for women by 2072, against {fall['M'][80]:.0f} % / "
      f"{fall['F'][80]:.0f} % at 80). This is on the conservative side for the number of centenarians.")
    cross = {k: [x for x in range(5, MAXAGE + 1) if m["M"][x] < m["F"][x]]
             for k, m in (("base", {"M": df.mx_male.to_numpy(), "F": df.mx_female.to_numpy()}),
                          ("new", {"M": new["M"]["m"], "F": new["F"]["m"]}), ("sep", sep_m))}
    a(f"\nAges 5+ with male mortality below female: 2023 {_ranges(cross['base'])}; 2072 with the common b "
      f"{_ranges(cross['new'])}; 2072 with a separate b per sex {_ranges(cross['sep'])}.\n")
    return "\n".join(lines)


def life_table_comparison_md(df, e0_2072=E0_2072):
    """Markdown for docs/model.md: 2023 table and the projected 2072 table side by side, by sex."""
    cur = stationary_summary(df.mx_male.to_numpy(float), df.mx_female.to_numpy(float))
    new = stationary_summary(project_mx(df, "M", e0_2072[0]), project_mx(df, "F", e0_2072[1]))
    old = stationary_summary(uniform_mx(df.mx_male, e0_2072[0]), uniform_mx(df.mx_female, e0_2072[1]))
    out = []
    a = out.append
    a("| age | M 2023 qx (per 1000) | M 2023 ex | M 2072 qx | M 2072 ex | F 2023 qx | F 2023 ex | "
      "F 2072 qx | F 2072 ex |")
    a("|---|---|---|---|---|---|---|---|---|")
    for x in (0, 1, 20, 40, 60, 65, 80, 90, 95, 100):
        cells = []
        for s in SEXES:
            for r in (cur, new):
                lt = r[s]["lt"]
                cells += [f"{1000 * lt['qx'][x]:.3f}" if x < MAXAGE else "1000 (open)", f"{lt['ex'][x]:.2f}"]
        a(f"| {x}{'+' if x == MAXAGE else ''} | " + " | ".join(cells) + " |")
    a("")
    a("| indicator | M 2023 | M 2072 | F 2023 | F 2072 | M 2072 former rule | F 2072 former rule |")
    a("|---|---|---|---|---|---|---|")
    rows = (("e0", "e0", "{:.2f}"), ("e65", "e65", "{:.2f}"), ("l90 (per 100k)", "l90", "{:,.0f}"),
            ("l100 (per 100k)", "l100", "{:,.0f}"), ("m(100+) / m(95)", "m_ratio", "{:.3f}"),
            ("L(100+) / L(95-99)", "r100", "{:.3f}"))
    for label, k, f in rows:
        a(f"| {label} | " + " | ".join(f.format(r[s][k]) for s in SEXES for r in (cur, new)) + " | "
          + " | ".join(f.format(old[s][k]) for s in SEXES) + " |")
    a("")
    a("| centenarian men per woman (stationary L100+ men / women) | 2023 | 2072 | 2072 former rule | Japan today |")
    a("|---|---|---|---|---|")
    a(f"| | {cur['men_per_woman_100']:.3f} | {new['men_per_woman_100']:.3f} | {old['men_per_woman_100']:.3f} | "
      f"about {JAPAN_MEN_PER_WOMAN_100} (population) |")
    a("")
    a(f"2072: e0 {e0_2072[0]} (men) and {e0_2072[1]} (women), KOSTAT medium assumption; age-specific decline "
      f"m0(x) exp(-k b(x)) with the rotated Lee-Carter pattern (w = {rotation_weight(e0_2072[0]):.3f} men, "
      f"{rotation_weight(e0_2072[1]):.3f} women). Former rule = the 2023 rates of each sex times one factor reaching "
      f"the same e0. For reference, Japan today: population 100+ / 95-99 about {JAPAN_RATIO_100_95}, centenarian "
      f"men per woman about {JAPAN_MEN_PER_WOMAN_100} (2020 census; MHLW, September 2023: 10,550 men among 92,139 centenarians; populations, not stationary "
      "ones). Stationary ratios describe the life table alone, without past cohort sizes.")
    return "\n".join(out)


def main(argv):
    if len(argv) != 2:
        print(__doc__.split("Why")[0].strip())
        return 2
    try:
        df, report = mortality_table(argv[1])
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("# header\n")
    print("\n".join("# " + h for h in df.attrs["header_lines"]))
    print("\n## mortality.csv\n")
    print(report)
    print("\n## 2023 and 2072 life tables\n")
    print(life_table_comparison_md(df))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
