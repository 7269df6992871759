#!/usr/bin/env python3
"""Foreign residents and nationality-split international migration for the Korea inputs.

The base population (MOIS 거주자, population.csv) holds Korean nationals only, while Statistics
Korea's projection path (assumptions_*.csv, net_international_migration) counts Koreans and
foreigners resident 3+ months. To keep the path's totals meaningful the engine holds both groups
as agents with a nationality flag; this module prepares what that needs:

* foreign_population(raw, nationals)          -> foreign residents by region x sex x age, Dec 2023,
                                                 and the households they form among themselves
* international_migration_by_nationality(raw, population_total)
                                              -> age-sex shares of net migration per nationality
* nationals_net_migration(raw)                -> the nationals' yearly net international migration
                                                 consistent with the resident registers
* naturalisation_rate(raw, foreign_total_2023) -> yearly probability foreign -> national
* foreign_header_lines(df, households_df), migration_header_lines(df)
                                              -> CSV header lines in the inputs/korea style

Every function returns a markdown report with the arithmetic. Run as a script
(`python3 inputs/prep_foreign.py RAW_DIR [POPULATION_CSV]`) to print all reports.
Status words: confirmed (stated by a cited source), DERIVED (computed here from files in RAW_DIR
by the stated method), UNCONFIRMED (an assumption or a value no file in RAW_DIR confirms).
"""
import os
import sys

import numpy as np
import pandas as pd

from prep_common import InputError, comp_matrix, pclm, read_csv as _read  # noqa: F401
from scipy import optimize

MAXAGE = 100                       # open interval 100+
AGES = np.arange(MAXAGE + 1)
AGE_COLS = [f"age_{a}" for a in AGES]
N_REGIONS = 229
SEXES = ("M", "F")

# ---------------------------------------------------------------------------------------------
# facts used below that are not in a RAW_DIR table (each with its source and status)
# ---------------------------------------------------------------------------------------------
# KOSTAT register-based census: foreigners resident 3+ months on 1 November.
CENSUS_FOREIGN_2020 = 1_700_000    # confirmed: KOSTAT 2020 census briefing (korea.kr newsId 156464002), "170만 명"
CENSUS_MEDIAN_AGE_2021 = 36.8      # confirmed: note of the 2021 row in foreign_population_national_statements.csv
# Foreign households (가구 made up of foreigners only), census 2020.
FOREIGN_HOUSEHOLDS_2020 = 540_000  # confirmed: NGII National Atlas of Korea vol. 3 (2021), "2020년 54만 가구"

# 2023 net international migration by 10-year group (persons), KOSTAT 국제인구이동통계 2023
# (2024-07-11) via press; confirmed: totals, foreign 20s, Korean 20s, 50s, 60+ (60+ split assumed);
# the other group values are UNCONFIRMED allocations (same values as prepare_korea.py).
NIM_GROUP_EDGES = [0, 10, 20, 30, 40, 50, 60, 70]
NIM_FOREIGN_GROUPS = [9000, 9000, 81000, 36000, 12000, 9000, 4000, 1000]
NIM_NATIONAL_GROUPS = [-3000, -4000, -22000, -12000, -4000, 4000, 1500, 500]
NIM_CONFIRMED = {"foreign": {2}, "national": {2, 5}}     # group indices stated in the releases
NIM_PCLM_LAMBDA = 10.0
FOREIGN_MIG_MALE_SHARE = 0.56      # UNCONFIRMED (2022 foreign movers 54.9 % men; 2023 not found)
NATIONAL_MIG_MALE_FRACTION = 0.50  # UNCONFIRMED (no sex split of the Koreans' net found)

# internal migration 2023 by age (FACTS.md 4.3), used for the labour-migration age shape
MIG_GROUPS = [((0, 9), 0.134), ((20, 29), 0.228), ((30, 39), 0.201), ((40, 49), 0.110),
              ((50, 59), 0.087), ((60, 69), 0.070), ((70, 79), 0.050)]

# Foreign stock, census 2021-11-01, split of the groups the press did not give (UNCONFIRMED):
# 0-19 from the median age (see _census2021_groups); 50+ split 57 / 32 / 11 % over 50-59 / 60-69 /
# 70+ (older foreigners are mostly Korean-Chinese 동포 in their 50s and 60s); 0-19 split 43 / 57 %
# over 0-9 / 10-19 (10-19 holds 18-19-year-old students and trainees).
SPLIT_50P = (0.57, 0.32, 0.11)
SPLIT_0_19 = (0.43, 0.57)
STOCK_PCLM_LAMBDA = 10.0
# male fraction of the foreign stock by age: children 0.515, a plateau at 22-49 solved for the
# census male share, 0.47 at 60+ (older 동포 women, care workers) - shape UNCONFIRMED
STOCK_MALE_ANCHORS = ([0, 15, 22, 49, 60, 100], [0.515, 0.515, None, None, 0.47, 0.47])
NATURALISED_FEMALE_SHARE = 0.70    # UNCONFIRMED: naturalisations are mostly marriage migrants (women)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _need(cond, path, what):
    if not cond:
        raise InputError(f"malformed {path}: expected {what}")




def _rescale_groups(x, C, y):
    """Rescale x within each group so the group sums equal y exactly (removes solver residue)."""
    x = x.copy()
    for g in range(C.shape[0]):
        m = C[g] > 0
        x[m] *= y[g] / x[m].sum()
    return x


def largest_remainder(values, total):
    """Integers >= 0 proportional to `values` summing exactly to `total` (ties: lower index first);
    deterministic so repeated runs give identical tables."""
    v = np.asarray(values, float)
    assert (v >= 0).all() and total >= 0
    if total == 0:
        return np.zeros(len(v), np.int64)
    v = v / v.sum() * total
    fl = np.floor(v).astype(np.int64)
    rem = int(total - fl.sum())
    frac = np.round(v - fl, 12)
    order = np.lexsort((np.arange(len(v)), -frac))
    fl[order[:rem]] += 1
    assert fl.sum() == total
    return fl


def _rogers_castro(p, x):
    a1, al1, a2, mu2, al2, la2, c = p
    return a1 * np.exp(-al1 * x) + a2 * np.exp(-al2 * (x - mu2) - np.exp(-la2 * (x - mu2))) + c


def labour_shape(population_total):
    """Rogers-Castro schedule fitted to KOSTAT's 2023 internal-migration rates by age, weighted by
    the population (same fit as migration_age.csv): the labour-migration age shape used as PCLM
    offset, as in the existing international_migration_age.csv."""
    if isinstance(population_total, pd.DataFrame):
        P = population_total[AGE_COLS].to_numpy(float).sum(axis=0)
    else:
        P = np.asarray(population_total, float)
    assert P.shape == (MAXAGE + 1,) and (P > 0).all(), "population_total: 101 positive age counts expected"

    def grp_rate(rate, lo, hi):
        w = P[lo:hi + 1]
        return (rate[lo:hi + 1] * w).sum() / w.sum()

    def resid(p):
        r = _rogers_castro(p, AGES + 0.5)
        return np.array([(grp_rate(r, lo, hi) - v) / v for (lo, hi), v in MIG_GROUPS])

    sol = optimize.least_squares(resid, [0.08, 0.1, 0.15, 22.0, 0.10, 0.4, 0.04],
                                 bounds=([0, 0, 0, 15, 0.02, 0.05, 0], [0.5, 1, 1, 35, 0.5, 5, 0.1]))
    shape = _rogers_castro(sol.x, AGES + 0.5)
    assert (shape > 0).all()
    return shape


def _md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# raw loaders
# ---------------------------------------------------------------------------------------------
def _stay_statistics(raw):
    """MOJ year-end stay statistics (체류외국인, long-term = 등록 + 거소신고) by year."""
    rel = "foreign/foreigners_national_by_year.csv"
    df = _read(raw, rel, ["year", "stay_foreigners_total_moj", "long_term_moj"], comment="#")
    df = df.set_index("year")
    for y in (2021, 2022, 2023):
        _need(y in df.index and pd.notna(df.loc[y, "long_term_moj"]), rel, f"long_term_moj for {y}")
    return df


def _statements(raw):
    rel = "foreign/foreign_population_national_statements.csv"
    df = _read(raw, rel, ["reference_date", "concept", "breakdown", "value", "note"])

    def get(date, concept_part, breakdown):
        m = (df.reference_date == date) & df.concept.str.contains(concept_part, regex=False) & \
            (df.breakdown == breakdown)
        _need(m.sum() == 1, rel, f"one row {date} / {concept_part} / {breakdown}")
        return df[m].iloc[0]

    return df, get


def _foreign_by_region(raw):
    """외국인주민 foreign nationals (한국국적 미취득) by si/gun/gu, 2022-11-01, mapped to the 229
    MOIS codes of 2023-12.

    The KOSTAT-coded file (sig_cd) has the nationality split; the MOIS-coded file has the MOIS
    10-digit code of Dec 2022. Both are the same 229 units, matched exactly on (외국인주민 total,
    registered population). Dec 2022 -> Dec 2023 recodes: Gangwon 42xx -> 51xx (2023-06-11),
    Gunwi-gun 4772000000 -> 2772000000 (2023-07-01)."""
    rel_k = "foreign/mois_foreign_residents_sigungu_2010_2022.csv"
    rel_m = "foreign/mois_foreign_residents_sgg_2010_2022.csv"
    k = _read(raw, rel_k, ["sig_cd", "sigungu", "y2022_foreign_residents_total", "y2022_foreign_nationals",
                           "y2022_naturalised", "y2022_children_of_foreign_residents", "y2022_population"],
              dtype={"sig_cd": str})
    m = _read(raw, rel_m, ["adm_code", "geo2", "foreign_residents_2022", "reg_pop_2022"], dtype={"adm_code": str})
    _need(len(k) == N_REGIONS, rel_k, f"{N_REGIONS} rows")
    _need(len(m) == N_REGIONS, rel_m, f"{N_REGIONS} rows")
    j = k.merge(m, left_on=["y2022_foreign_residents_total", "y2022_population"],
                right_on=["foreign_residents_2022", "reg_pop_2022"], how="inner", validate="one_to_one")
    _need(len(j) == N_REGIONS, rel_k + " + " + rel_m, "a one-to-one match on (2022 total, 2022 population)")
    parts = j.y2022_foreign_nationals + j.y2022_naturalised + j.y2022_children_of_foreign_residents
    _need((parts == j.y2022_foreign_residents_total).all(), rel_k, "nationals + naturalised + children = total")

    def recode(c):
        if c == "4772000000":
            return "2772000000"
        return "51" + c[2:] if c.startswith("42") else c

    j["region"] = j.adm_code.map(recode)
    return j[["region", "sig_cd", "sigungu", "y2022_foreign_nationals", "y2022_population"]]


# ---------------------------------------------------------------------------------------------
# 1. foreign residents, Dec 2023
# ---------------------------------------------------------------------------------------------
def _census2021_groups(raw):
    """Foreign stock of the 2021 census by 10-year group (persons), and the male share.

    confirmed: total 1,650k, men 907k, 20-29 381k, 30-39 466k, 40-49 275k, median age 36.8.
    DERIVED: 0-19 from the median: half the stock is younger than 36.8, so
    0-19 = 50 % - 20-29 share - (6.8/10) x 30-39 share (uniform density inside the 30s).
    UNCONFIRMED: the splits of 0-19 and 50+ (SPLIT_0_19, SPLIT_50P)."""
    df, get = _statements(raw)
    tot = float(get("2021-11-01", "KOSTAT census foreigners (3+", "total").value)
    male = float(get("2021-11-01", "KOSTAT census foreigners", "male").value)
    g20, g30, g40 = (float(get("2021-11-01", "KOSTAT census foreigners", f"age {b}").value)
                     for b in ("20-29", "30-39", "40-49"))
    note = str(get("2021-11-01", "KOSTAT census foreigners", "age 40-49").note)
    _need(f"median age {CENSUS_MEDIAN_AGE_2021}" in note, "foreign/foreign_population_national_statements.csv",
          f"the 2021 median age {CENSUS_MEDIAN_AGE_2021} in the note of the 40-49 row")
    frac_30s = (CENSUS_MEDIAN_AGE_2021 - 30.0) / 10.0
    young = 0.5 * tot - g20 - frac_30s * g30
    old = tot - young - g20 - g30 - g40
    assert 0 < young < old
    groups = np.array([young * SPLIT_0_19[0], young * SPLIT_0_19[1], g20, g30, g40,
                       old * SPLIT_50P[0], old * SPLIT_50P[1], old * SPLIT_50P[2]])
    assert abs(groups.sum() - tot) < 1e-6
    return groups, male / tot, dict(total=tot, male=male, young=young, old=old, g=(g20, g30, g40))


def _stock_male_fraction(target, weights):
    """Male fraction by age (anchors STOCK_MALE_ANCHORS) with the 22-49 plateau solved so that the
    weighted mean equals `target`."""
    xs, ys = STOCK_MALE_ANCHORS

    def mf(p):
        return np.interp(AGES, xs, [p if v is None else v for v in ys])

    p = optimize.brentq(lambda q: (mf(q) * weights).sum() / weights.sum() - target, 0.3, 0.95)
    return mf(p), p


def foreign_profile(raw, population_total):
    """National single-year age-sex profile of foreign residents, end of 2023 (shares, sum 1).

    Why this construction: the only age data for the foreign stock are the census 2021 groups
    (20s, 30s, 40s, median) and a 2023 survey of the 15+; the stock has since grown by two
    years of large, young net inflows. So: ungroup the census 2021 stock (PCLM, flat offset),
    age it two years (Nov 2021 -> end 2023; ages 0-1 refilled at the 2021 level of ages 0-1:
    foreign births continue), add the 2022 (+168k, aged one year) and 2023 (+161k) foreign net
    migration with the age-sex profile of the migration table, and remove the 2022-2023
    naturalisations (ages 20-59, 70 % women). Mortality over two years at these ages (< 0.5 %)
    is ignored. Returns (M shares, F shares, diagnostics)."""
    groups, male_share, info = _census2021_groups(raw)
    C = comp_matrix(NIM_GROUP_EDGES, MAXAGE + 1)
    # flat offset, except a gentle old-age decline so the open 70+ group does not spread evenly to 100
    offset = np.where(AGES < 70, 0.0, -0.12 * (AGES - 70))
    both = _rescale_groups(pclm(groups, C, offset, STOCK_PCLM_LAMBDA), C, groups)
    mf, plateau = _stock_male_fraction(male_share, both)
    stock = {"M": both * mf, "F": both * (1 - mf)}
    # age two years
    for s in SEXES:
        x = stock[s]
        aged = np.zeros_like(x)
        aged[2:] = x[:-2]
        aged[MAXAGE] += x[MAXAGE - 1] + x[MAXAGE]
        aged[0:2] = x[0:2]
        stock[s] = aged
    # net migration 2022 and 2023 (foreign, KOSTAT) with the foreign migration profile
    mig, _ = _migration_nationality(raw, population_total, "foreign")
    nets = _net_by_nationality(raw)
    for year, shift in ((2022, 1), (2023, 0)):
        for s in SEXES:
            add = nets[year]["foreign"] * mig[s]
            if shift:
                add = np.concatenate([[0.0], add[:-2], [add[-2] + add[-1]]])
            stock[s] = stock[s] + add
    nat = _naturalisations(raw)
    n_nat = float(nat[2022] + nat[2023])
    for s, w in (("M", 1 - NATURALISED_FEMALE_SHARE), ("F", NATURALISED_FEMALE_SHARE)):
        band = np.where((AGES >= 20) & (AGES <= 59), stock[s], 0.0)
        stock[s] = stock[s] - n_nat * w * band / band.sum()
    assert all((stock[s] > 0).all() for s in SEXES)
    tot = stock["M"].sum() + stock["F"].sum()
    prof = {s: stock[s] / tot for s in SEXES}
    diag = dict(census=info, groups=groups, plateau=plateau, male_2021=male_share,
                component_total=tot, n_nat=n_nat, nets=(nets[2022]["foreign"], nets[2023]["foreign"]))
    return prof["M"], prof["F"], diag


def _foreign_total(raw):
    """Level of the foreign resident population at the end of 2023 (see report for the arithmetic)."""
    k = _foreign_by_region(raw)
    _, get = _statements(raw)
    base = int(k.y2022_foreign_nationals.sum())
    stated = int(float(get("2022-11-01", "MOIS 외국인주민", "한국국적 미취득 (foreign nationals)").value))
    _need(base == stated, "foreign/mois_foreign_residents_sigungu_2010_2022.csv",
          f"2022 foreign nationals summing to the published {stated}")
    moj = _stay_statistics(raw)
    lt22, lt23 = float(moj.loc[2022, "long_term_moj"]), float(moj.loc[2023, "long_term_moj"])
    st22, st23 = float(moj.loc[2022, "stay_foreigners_total_moj"]), float(moj.loc[2023, "stay_foreigners_total_moj"])
    total = int(round(base * lt23 / lt22))
    census23 = float(get("2023-11-01", "KOSTAT census foreigners (3+", "total").value)
    census21 = float(get("2021-11-01", "KOSTAT census foreigners (3+", "total").value)
    return total, dict(base=base, lt22=lt22, lt23=lt23, st22=st22, st23=st23, census23=census23,
                       census21=census21, growth_lt=lt23 / lt22, growth_st=st23 / st22)


def foreign_population(raw, nationals):
    """Foreign residents (foreign nationals resident 3+ months) by region x sex x single age at
    the end of Dec 2023, and the number of households they form among themselves.

    nationals: DataFrame region,sex,age_0..age_100 (population.csv) - defines the region order
    and the age weights of the labour-migration shape. Returns (df, households_df, report_md)."""
    need = ["region", "sex"] + AGE_COLS
    miss = [c for c in need if c not in nationals.columns]
    if miss:
        raise InputError(f"nationals table: expected columns {miss}")
    nat = nationals.copy()
    nat["region"] = nat.region.astype(str)
    regions = sorted(nat.region.unique())
    assert len(regions) == N_REGIONS and len(nat) == 2 * N_REGIONS

    total, lv = _foreign_total(raw)
    k = _foreign_by_region(raw)
    missing = sorted(set(regions) - set(k.region))
    extra = sorted(set(k.region) - set(regions))
    if missing or extra:
        raise InputError(f"foreign/mois_foreign_residents_*.csv: regions do not map to the 229 codes "
                         f"(unmatched {missing[:5]}, unknown {extra[:5]})")
    k = k.set_index("region").loc[regions]
    none = k.index[k.y2022_foreign_nationals <= 0].tolist()
    # a region without foreign nationals in 2022 would get the national foreign share of its
    # registered population (none occur in the 2022 data; kept so the rule is defined)
    weights = k.y2022_foreign_nationals.astype(float).to_numpy()
    if none:
        rate = weights.sum() / k.y2022_population.sum()
        weights = np.where(weights > 0, weights, rate * k.y2022_population.to_numpy(float))
    reg_tot = largest_remainder(weights, total)

    pM, pF, diag = foreign_profile(raw, nat)
    prof = np.concatenate([pM, pF])
    rows = []
    for r, T in zip(regions, reg_tot):
        cells = largest_remainder(prof, int(T))
        rows.append([r, "M"] + cells[:MAXAGE + 1].tolist())
        rows.append([r, "F"] + cells[MAXAGE + 1:].tolist())
    df = pd.DataFrame(rows, columns=need)
    for c in AGE_COLS:
        df[c] = df[c].astype(np.int64)
    assert int(df[AGE_COLS].to_numpy().sum()) == total
    assert (df[AGE_COLS].to_numpy() >= 0).all()
    assert list(df.region) == [r for r in regions for _ in SEXES] and list(df.sex) == list(SEXES) * N_REGIONS

    # households: keep the census 2020 ratio of foreign-only households to foreign residents
    hh_ratio = FOREIGN_HOUSEHOLDS_2020 / CENSUS_FOREIGN_2020
    adults = df.groupby("region", sort=True)[[f"age_{a}" for a in range(18, MAXAGE + 1)]].sum().sum(axis=1)
    persons = df.groupby("region", sort=True)[AGE_COLS].sum().sum(axis=1)
    hh_total = int(round(hh_ratio * total))
    hh = largest_remainder(persons.to_numpy(float), hh_total)
    hh = np.minimum(np.maximum(hh, (adults.to_numpy() > 0).astype(np.int64)), adults.to_numpy())
    households_df = pd.DataFrame({"region": regions, "foreign_households": hh.astype(np.int64)})
    assert ((households_df.foreign_households >= 1) | (adults.to_numpy() == 0)).all()
    assert (households_df.foreign_households.to_numpy() <= adults.to_numpy()).all()

    # ---- report
    men = int(df[df.sex == "M"][AGE_COLS].to_numpy().sum())
    nat_age = df[AGE_COLS].sum().to_numpy()
    def band(lo, hi):
        return nat_age[lo:hi + 1].sum() / total
    cum = np.cumsum(nat_age) / total
    median = float(np.interp(0.5, cum, AGES + 1.0))
    surv15 = nat_age[15:].sum()
    men15 = df[df.sex == "M"][[f"age_{a}" for a in range(15, MAXAGE + 1)]].to_numpy().sum()
    c = diag["census"]
    top = k.assign(share=weights / weights.sum()).sort_values("share", ascending=False).head(5)
    lines = [
        "## Foreign residents, end of Dec 2023 (foreign_population)",
        "",
        "**Level (DERIVED).** Statistics Korea's register-based census counts foreigners resident 3+ months "
        f"(the projection's concept): {c['total']:,.0f} on 2021-11-01 (confirmed; exactly 1,649,967 per the "
        "2021 census briefing; the ~1.65 M also cited as the projection's 2022 base population is this level - "
        "the projection's own base figure is not in the data folder, UNCONFIRMED), "
        f"{lv['base']:,} on 2022-11-01 and "
        f"{lv['census23']:,.0f} on 2023-11-01 (confirmed, press). The 2022 figure is the 외국인주민 "
        "foreign-nationals column of MOIS (한국국적 미취득), whose sum equals the published figure and which "
        "MOIS compiles from the census (the census 2023 count minus its stated +183k gives the same 1.752 M).",
        "",
        f"* carried to the end of 2023 with the MOJ long-term stays (등록 + 거소신고), Dec 2022 -> Dec 2023: "
        f"{lv['lt23']:,.0f} / {lv['lt22']:,.0f} = {lv['growth_lt']:.5f}",
        f"* **foreign residents, end 2023 = {lv['base']:,} x {lv['growth_lt']:.5f} = {total:,}**",
        f"* cross-checks: with total stays ({lv['st23']:,.0f} / {lv['st22']:,.0f} = {lv['growth_st']:.5f}) "
        f"{lv['base'] * lv['growth_st']:,.0f}; census 2023-11-01 {lv['census23']:,.0f} plus two months at the "
        f"same growth {lv['census23'] * lv['growth_lt'] ** (2 / 12):,.0f}; components from the 2021 census "
        f"({c['total']:,.0f} + net 2022 {diag['nets'][0]:+,.0f} + net 2023 {diag['nets'][1]:+,.0f} - "
        f"naturalisations 2022-23 {diag['n_nat']:,.0f}) {diag['component_total']:,.0f}. "
        "Taking the ~1.65 M instead (the 2021 level) would miss two years of +160k inflows.",
        "* the MOJ 체류외국인 (2.51 M end 2023) also counts short-term visitors (626k) and is not a resident count.",
        "",
        "**Regional distribution (DERIVED).** Shares of the MOIS 외국인주민 foreign-nationals column, 2022-11-01 "
        "(foreign/mois_foreign_residents_sigungu_2010_2022.csv), matched one-to-one to the MOIS-coded file on "
        "(외국인주민 total, registered population) to get the MOIS 10-digit codes, then recoded to 2023-12 "
        "(Gangwon 42 -> 51, Gunwi-gun 4772000000 -> 2772000000). Both files are already at the 229 "
        "si/gun/gu level (gu inside cities are summed into the parent city). "
        f"Regions without any foreign national in 2022: {len(none)} "
        "(rule if any: the national foreign share of the region's registered population). "
        f"Smallest: {int(k.y2022_foreign_nationals.min())} persons; largest shares: "
        + ", ".join(f"{n} {s:.2%}" for n, s in zip(top.sigungu, top.share)) + ". "
        "Integerised by largest remainder to the exact national total.",
        "",
        "**Age-sex profile (DERIVED from confirmed groups with UNCONFIRMED splits), one national profile "
        "for every region** (no regional age data; regions dominated by marriage migrants or by factory "
        "workers differ, which this cannot show).",
        "",
        _md_table(["census 2021 group", "persons", "status"],
                  [["0-9", f"{diag['groups'][0]:,.0f}", "DERIVED (0-19 from the median 36.8) x UNCONFIRMED split 43 %"],
                   ["10-19", f"{diag['groups'][1]:,.0f}", "DERIVED x UNCONFIRMED split 57 %"],
                   ["20-29", f"{diag['groups'][2]:,.0f}", "confirmed"],
                   ["30-39", f"{diag['groups'][3]:,.0f}", "confirmed"],
                   ["40-49", f"{diag['groups'][4]:,.0f}", "confirmed"],
                   ["50-59", f"{diag['groups'][5]:,.0f}", "DERIVED (remainder) x UNCONFIRMED split 57 %"],
                   ["60-69", f"{diag['groups'][6]:,.0f}", "x 32 %"],
                   ["70+", f"{diag['groups'][7]:,.0f}", "x 11 %"]]),
        "",
        f"0-19 = 50 % x {c['total']:,.0f} - {c['g'][0]:,.0f} - 0.68 x {c['g'][1]:,.0f} = {c['young']:,.0f} "
        f"(uniform density inside the 30s); 50+ = remainder {c['old']:,.0f}. Ungrouped by PCLM (lambda "
        f"{STOCK_PCLM_LAMBDA:g}); male fraction 0.515 at 0-15, plateau {diag['plateau']:.3f} at 22-49, 0.47 "
        f"from 60 (shape UNCONFIRMED), plateau solved for the census 2021 male share {diag['male_2021']:.3f} "
        "(confirmed 907k of 1,650k). Then aged two years, plus the 2022 and 2023 foreign net migration with the "
        "foreign migration profile below, minus 2022-2023 naturalisations (ages 20-59, 70 % women, UNCONFIRMED).",
        "",
        f"Result: men {men / total:.1%}; 0-14 {band(0, 14):.1%}, 15-19 {band(15, 19):.1%}, 20-29 {band(20, 29):.1%}, "
        f"30-39 {band(30, 39):.1%}, 40-49 {band(40, 49):.1%}, 50-59 {band(50, 59):.1%}, 60+ {band(60, 100):.1%}; "
        f"median age {median:.1f}. Check against the 2023-05 immigrant survey (15+, confirmed): men "
        f"{men15 / surv15:.1%} vs 56.9 %; 15-29 : 30-39 : 40-49 : 50+ = "
        + " : ".join(f"{nat_age[lo:hi + 1].sum() / surv15:.1%}" for lo, hi in ((15, 29), (30, 39), (40, 49), (50, 100)))
        + " vs 29.1 % : 27.7 % : 15.5 % : 27.7 % (416k, 396k, 222k, rest of 1,430k). The survey has more 50+ "
        "(Korean-Chinese 동포), the census-based profile more 30s; the census concept is kept.",
        "",
        f"**Households (DERIVED from confirmed figures, ratio UNCONFIRMED as a rule).** Foreign households "
        f"(가구 of foreigners only) were {FOREIGN_HOUSEHOLDS_2020:,} in the 2020 census (NGII National Atlas 2021) "
        f"for {CENSUS_FOREIGN_2020:,} foreign residents (census 2020, KOSTAT): {hh_ratio:.4f} households per "
        f"foreign resident. Kept constant and applied to every region: {hh_ratio:.4f} x {total:,} = "
        f"**{int(households_df.foreign_households.sum()):,} households** (mean {total / households_df.foreign_households.sum():.2f} "
        "persons). The ratio is used rather than a mean size because the engine puts *all* foreigners into "
        "foreign-only households, while in reality marriage migrants live with their Korean spouse (multicultural "
        "households: 416k in 2023) and many workers and students live in collective quarters; keeping the "
        "household count right means the synthetic foreign households are larger (3.1 persons) than real "
        "foreign-only households. Marriage migrants living with a Korean spouse cannot be represented yet. "
        f"Every region has >= 1 household and no more households than foreign adults (18+); range "
        f"{int(households_df.foreign_households.min())}-{int(households_df.foreign_households.max()):,}.",
    ]
    return df, households_df, "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 2. international migration by nationality
# ---------------------------------------------------------------------------------------------
def _net_by_nationality(raw):
    """KOSTAT net international migration of Koreans and foreigners by year (press file)."""
    rel = "national/intl_migration_koreans_foreigners_press.csv"
    df = _read(raw, rel, ["year", "net_koreans", "net_foreigners", "net_total_press", "vintage"], comment="#")
    df = df[df.vintage == "current"].set_index("year")
    _need(2022 in df.index and 2023 in df.index, rel, "current-vintage rows for 2022 and 2023")
    return {int(y): {"national": float(r.net_koreans), "foreign": float(r.net_foreigners),
                     "total": float(r.net_total_press)} for y, r in df.iterrows()}


def _migration_nationality(raw, population_total, nationality):
    """Single-age, sex shares of one nationality's 2023 net (sum 1, unrounded).

    Foreigners: all groups positive -> PCLM with the labour-migration offset over 0-100.
    Nationals: signed groups -> PCLM of the absolute values separately over each run of equal
    sign (0-49 negative, 50-100 positive), so each group sum is exact and each run smooth; then
    divide by the (negative) total, so the shares of the net-emigration ages are positive and
    those of the net-immigration ages negative."""
    nets = _net_by_nationality(raw)[2023]
    groups = np.array(NIM_FOREIGN_GROUPS if nationality == "foreign" else NIM_NATIONAL_GROUPS, float)
    rel = "national/intl_migration_koreans_foreigners_press.csv"
    _need(abs(groups.sum() - nets[nationality]) < 1, rel,
          f"2023 {nationality} net {groups.sum():.0f} (the group values used)")
    shape = labour_shape(population_total)
    offset = np.log(shape)
    edges = NIM_GROUP_EDGES
    values = np.zeros(MAXAGE + 1)
    sign = np.sign(groups)
    g = 0
    while g < len(groups):                      # runs of equal sign
        h = g
        while h + 1 < len(groups) and sign[h + 1] == sign[g]:
            h += 1
        lo = edges[g]
        hi = edges[h + 1] if h + 1 < len(edges) else MAXAGE + 1
        sub_edges = [e - lo for e in edges[g:h + 1]]
        C = comp_matrix(sub_edges, hi - lo)
        y = np.abs(groups[g:h + 1])
        if len(y) == 1:
            part = np.exp(offset[lo:hi]) * y[0] / np.exp(offset[lo:hi]).sum()
        else:
            part = _rescale_groups(pclm(y, C, offset[lo:hi], NIM_PCLM_LAMBDA), C, y)
        values[lo:hi] = sign[g] * part
        g = h + 1
    C_all = comp_matrix(edges, MAXAGE + 1)
    assert np.allclose(C_all @ values, groups, atol=1e-6)
    both = values / values.sum()

    if nationality == "foreign":
        def male_frac(p):
            return np.interp(AGES, [0, 15, 22, 50, 65, 100], [0.51, 0.51, p, p, 0.45, 0.45])
        p = optimize.brentq(lambda q: (male_frac(q) * both).sum() - FOREIGN_MIG_MALE_SHARE, 0.3, 0.95)
        mf = male_frac(p)
    else:
        p = NATIONAL_MIG_MALE_FRACTION
        mf = np.full(MAXAGE + 1, p)
    return {"M": both * mf, "F": both * (1 - mf)}, dict(plateau=p, groups=groups, both=both)


def international_migration_by_nationality(raw, population_total):
    """Age-sex shares of each nationality's net international migration.

    population_total: DataFrame with age_0..age_100 columns (summed over rows) or a 101-vector:
    the age weights of the Rogers-Castro labour-migration shape (the nationals' population.csv
    is what migration_age.csv uses). Returns (df[nationality,age,sex,share,status], report_md)."""
    rows, rep = [], {}
    for nat in ("national", "foreign"):
        sh, info = _migration_nationality(raw, population_total, nat)
        cells = np.concatenate([sh["M"], sh["F"]])
        units = np.round(cells * 1e6).astype(np.int64)
        big = int(np.argmax(np.abs(cells)))
        rem = 1_000_000 - int(units.sum())
        units[big] += rem
        assert units.sum() == 1_000_000
        for k, s in enumerate(SEXES):
            for a in AGES:
                rows.append(dict(nationality=nat, age=int(a), sex=s, share=units[k * (MAXAGE + 1) + a] / 1e6,
                                 status="UNCONFIRMED"))
        rep[nat] = dict(info=info, rem=rem, big=(SEXES[big // (MAXAGE + 1)], big % (MAXAGE + 1)), units=units)
    df = pd.DataFrame(rows, columns=["nationality", "age", "sex", "share", "status"])
    for nat in ("national", "foreign"):
        assert abs(df[df.nationality == nat].share.sum() - 1.0) < 1e-9
    assert (df[df.nationality == "foreign"].share >= 0).all()

    nets = _net_by_nationality(raw)
    tot = _read(raw, "national/international_migration_net_2000_2023.csv",
                ["year", "net_intl_total_thgaskin", "net_koreans", "net_foreigners"]).set_index("year")
    n23 = nets[2023]
    lines = ["## International migration by nationality (international_migration_by_nationality)", "",
             f"KOSTAT 2023 (국제인구이동통계, confirmed): Koreans {n23['national']:+,.0f}, foreigners "
             f"{n23['foreign']:+,.0f}, total {n23['total']:+,.0f} (the series file: "
             f"{tot.loc[2023, 'net_intl_total_thgaskin']:+,.0f}; K + F = {n23['national'] + n23['foreign']:+,.0f}, "
             "rounding of the thousands). Group values (persons):", ""]
    trows = []
    for g, lo in enumerate(NIM_GROUP_EDGES):
        hi = NIM_GROUP_EDGES[g + 1] - 1 if g + 1 < len(NIM_GROUP_EDGES) else MAXAGE
        lab = f"{lo}-{hi}" if hi < MAXAGE else f"{lo}+"
        fsh = rep["foreign"]["units"].reshape(2, -1).sum(axis=0)[lo:hi + 1].sum() / 1e6
        nsh = rep["national"]["units"].reshape(2, -1).sum(axis=0)[lo:hi + 1].sum() / 1e6
        trows.append([lab, f"{NIM_NATIONAL_GROUPS[g]:+,}", ("confirmed" if g in NIM_CONFIRMED["national"] else
                       "60+ total confirmed, split assumed" if g >= 6 else "UNCONFIRMED"),
                      f"{nsh:+.4f}", f"{NIM_FOREIGN_GROUPS[g]:+,}",
                      "confirmed" if g in NIM_CONFIRMED["foreign"] else "UNCONFIRMED", f"{fsh:.4f}"])
    lines.append(_md_table(["group", "Koreans", "status", "national share", "foreigners", "status", "foreign share"], trows))
    fi = rep["foreign"]["info"]
    fb = fi["both"]
    lines += ["",
              "Method: the labour-migration age shape is the Rogers-Castro schedule fitted to the 2023 "
              "internal-migration rates by age (as migration_age.csv), used as PCLM log offset (lambda "
              f"{NIM_PCLM_LAMBDA:g}); every group sum is reproduced. Foreigners: one PCLM over 0-100 (all groups "
              "positive). Nationals: PCLM of |net| separately over 0-49 (net emigration) and 50-100 (net "
              "immigration), signs restored, divided by the total -39,000: shares at 0-49 are positive, at 50+ "
              "negative (multiplied by a negative net_national they give emigrants at 0-49 and immigrants at "
              "50+). The step at 49/50 is the sign change of the published groups.",
              f"Sex: foreigners - male fraction 0.51 at 0-15, plateau {fi['plateau']:.3f} at 22-50, 0.45 from 65, "
              f"solved for {FOREIGN_MIG_MALE_SHARE:.0%} men (UNCONFIRMED; 2022 foreign movers were 54.9 % men, "
              "2023 not found); nationals - 50 % men at every age (UNCONFIRMED: no sex split of the Koreans' net "
              "was found; Korean long-term leavers are students and workers of both sexes).",
              f"Rounding: 6 decimals; remainder national {rep['national']['rem']:+d}e-6 on "
              f"{rep['national']['big'][0]} age {rep['national']['big'][1]}, foreign {rep['foreign']['rem']:+d}e-6 on "
              f"{rep['foreign']['big'][0]} age {rep['foreign']['big'][1]}. Foreign profile: 20-39 "
              f"{fb[20:40].sum():.1%}, 0-14 {fb[:15].sum():.1%}, peak age {int(np.argmax(fb))}, mean age "
              f"{(fb * (AGES + 0.5)).sum():.1f}. status = UNCONFIRMED on every row: even where the group is "
              "confirmed the single-age and sex split are modelled.",
              "Caveat: one signed national profile for every year. The register-based net_national of "
              "nationals_net_migration is small and negative like the 2023 Korean net, so the pattern keeps its "
              "sign (net emigration at 0-49, net immigration at 50+) at a much smaller scale; a positive "
              "net_national would flip the whole pattern."]
    return df, "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 3. nationals' net international migration consistent with the registers
# ---------------------------------------------------------------------------------------------
def _naturalisations(raw):
    rel = "foreign/naturalisations_by_year_statements.csv"
    df = _read(raw, rel, ["year", "naturalisations_granted"])
    s = df.set_index("year").naturalisations_granted.astype(float)
    _need(2022 in s.index and 2023 in s.index, rel, "naturalisations for 2022 and 2023")
    return s


def _monthly_registers(raw):
    """Month-end 2023 national totals: all registrations (other_population_change files, 전국 row)
    and residents 거주자 (household files, sum of the sido rows)."""
    base = "mois_resident_registration"
    reg, res = {}, {}
    for half in ("first", "second"):
        rel = f"{base}/2023_{half}_half_registered_population_other_population_change_monthly.csv"
        path = os.path.join(raw, rel)
        if not os.path.isfile(path):
            raise InputError(f"missing raw file: {path}")
        d = pd.read_csv(path, header=None, skiprows=4, dtype=str)
        months = pd.read_csv(path, header=None, skiprows=1, nrows=1, dtype=str).iloc[0]
        row = d[d[0] == "1000000000"]
        _need(len(row) == 1, rel, "one national row 1000000000")
        for j in range(2, d.shape[1], 9):
            m = str(months[j]).strip()
            prev = int(str(row.iloc[0, j + 2]).replace(",", ""))
            cur = int(str(row.iloc[0, j + 5]).replace(",", ""))
            reg[m] = (prev, cur)
        rel = f"{base}/2023_{half}_half_registered_population_and_household_monthly.csv"
        path = os.path.join(raw, rel)
        if not os.path.isfile(path):
            raise InputError(f"missing raw file: {path}")
        d = pd.read_csv(path, header=None, skiprows=3, dtype=str)
        months = pd.read_csv(path, header=None, skiprows=1, nrows=1, dtype=str).iloc[0]
        sido = d[d[0].str.match(r"^\d{2}00000000$", na=False)]
        _need(len(sido) >= 17, rel, "the 17 sido rows")
        for j in range(2, d.shape[1], 6):
            m = str(months[j]).strip()
            res[m] = int(pd.to_numeric(sido[j].str.replace(",", ""), errors="coerce").fillna(0).sum())
    _need(len(reg) == 12 and len(res) == 12, base, "12 months of 2023 in each monthly file pair")
    return reg, res


def nationals_net_migration(raw):
    """Nationals' yearly net international migration for the engine (persons, constant).

    Why: the engine's nationals start from the MOIS 거주자 register, so their net migration must
    move them the way the register moves, not the way KOSTAT's border-based Korean net (-39k in
    2023) does: a Korean who leaves for a year or more usually stays registered. The register
    residual (change - births + deaths) contains naturalisations, which the engine adds itself,
    so value = residual - naturalisations, averaged over the post-pandemic years 2022-2023."""
    rel = "mois_resident_registration/mois_resident_sido_total_2010_2023.csv"
    s = _read(raw, rel, ["year", "adm_code", "pop"], dtype={"adm_code": str})
    pop = s[s.adm_code == "0000000000"].set_index("year")["pop"].astype(float)
    _need(2022 in pop.index and 2023 in pop.index and int(pop[2023]) == 51_090_859, rel,
          "national rows with 2023 = 51,090,859")
    rel_v = "national/kosis_national_births_tfr_deaths_1970_2023.csv"
    v = _read(raw, rel_v, ["year", "births", "deaths_derived"]).set_index("year")
    nat = _naturalisations(raw)
    nets = _net_by_nationality(raw)
    years = [y for y in range(int(pop.index.min()) + 1, 2024) if y in v.index and y - 1 in pop.index]
    rows, table = {}, []
    for y in years:
        dP = pop[y] - pop[y - 1]
        B, D = float(v.loc[y, "births"]), float(v.loc[y, "deaths_derived"])
        resid = dP - B + D
        n = nat.get(y, np.nan)
        k = nets.get(y, {}).get("national", np.nan)
        val = resid - n
        rows[y] = val
        f = lambda x: "n/a" if pd.isna(x) else f"{x:+,.0f}"  # noqa: E731
        table.append([y, f"{pop[y]:,.0f}", f(dP), f"{B:,.0f}", f"{D:,.0f}", f(resid),
                      "n/a" if pd.isna(n) else f"{n:,.0f}", f(val), f(k),
                      "n/a" if pd.isna(k) else f"{resid - k:+,.0f}"])
    chosen_years = [2022, 2023]
    value = int(round(np.mean([rows[y] for y in chosen_years])))
    pre = [y for y in (2015, 2017, 2019) if not pd.isna(rows.get(y, np.nan))]
    reg, res = _monthly_registers(raw)
    months = sorted(reg)
    _need(res[months[-1]] == int(pop[2023]), "mois_resident_registration/2023_second_half_*household_monthly.csv",
          "December 2023 sido residents summing to 51,090,859")
    mrows = []
    prev_res = int(pop[2022])
    for m in months:
        p, c = reg[m]
        dres = "" if prev_res is None else f"{res[m] - prev_res:+,}"
        mrows.append([m, f"{c - p:+,}", dres, f"{c - res[m]:,}"])
        prev_res = res[m]
    reg_dec22, reg_dec23 = reg[months[0]][0], reg[months[-1]][1]
    nonres22, nonres23 = reg_dec22 - int(pop[2022]), reg_dec23 - int(pop[2023])
    r23 = pop[2023] - pop[2022] - v.loc[2023, "births"] + v.loc[2023, "deaths_derived"]
    lines = ["## Nationals' net international migration (nationals_net_migration)", "",
             "Register residual = change of MOIS 거주자 (Dec to Dec, national row of "
             "mois_resident_sido_total_2010_2023.csv) - births + deaths (KOSIS vital statistics). KOSTAT's "
             "births and deaths are those registered for Korean nationals (family-relation register reports; "
             "births to two foreign parents and deaths of foreigners are not in them - KOSTAT definition, "
             "UNCONFIRMED in the data folder), so the residual is the register's own migration and status "
             "balance of nationals: naturalisations and nationality restorations, Koreans who register or "
             "deregister (해외이주 reports, 재외국민 registration, 거주불명 status) and any net movement the "
             "register sees. KOSTAT's Korean net (border-based, 90+ days) is beside it.", "",
             _md_table(["year", "거주자 Dec", "change", "births", "deaths", "register residual",
                        "naturalisations", "residual - naturalisations", "KOSTAT Korean net", "residual - KOSTAT"],
                       table), "",
             f"Choice: **{value:+,} persons per year** = mean of residual - naturalisations over "
             f"{chosen_years[0]}-{chosen_years[-1]} ({', '.join(f'{rows[y]:+,.0f}' for y in chosen_years)}). "
             "Why these years: 2020-2021 carry the pandemic return of Koreans living abroad (KOSTAT Koreans "
             "+241k in 2020) and 2016/2018 lack naturalisation counts; 2022-2023 are the regime the projection "
             "starts in (KOSTAT Koreans -80k and -39k, foreign inflows back). Pre-pandemic years with all "
             f"inputs ({', '.join(str(y) for y in pre)}) give {np.mean([rows[y] for y in pre]):+,.0f}, "
             "so the register-based net of nationals is small either way; held constant over the projection.",
             "",
             "Why not -39,000: the registers barely see Korean emigration. Over 2022-2023 KOSTAT counts "
             f"{nets[2022]['national'] + nets[2023]['national']:+,.0f} Koreans net, while the registered residents "
             f"changed by only {rows[2022] + rows[2023]:+,.0f} beyond births, deaths and naturalisations: most "
             "Koreans who leave for a year or more keep their registration as 거주자 (no emigration report), so "
             "they stay in the MOIS base population. Giving the engine -39k a year on top of a register base would "
             "remove people the register keeps (about 0.8 M over 20 years). The KOSTAT path total still holds "
             "because net_foreign = path total - net_national.", "",
             "Registration effects in 2023 (monthly MOIS files; all registrations = 거주자 + 거주불명자 + "
             "재외국민): all registrations "
             f"{reg_dec22:,} -> {reg_dec23:,} ({reg_dec23 - reg_dec22:+,}); 거주자 {int(pop[2022]):,} -> "
             f"{int(pop[2023]):,} ({int(pop[2023] - pop[2022]):+,}); the non-resident registrations fell "
             f"{nonres22:,} -> {nonres23:,} ({nonres23 - nonres22:+,}), i.e. {nonres22 - nonres23:,} of the 2023 "
             f"거주자 residual ({r23:+,.0f}) is reclassification into 거주자 (거주불명 resolved, 재외국민 moving in), "
             "the rest mainly naturalisations. On the all-registrations basis the residual would be "
             f"{reg_dec23 - reg_dec22 - v.loc[2023, 'births'] + v.loc[2023, 'deaths_derived']:+,.0f}.", "",
             _md_table(["month", "change, all registrations", "change, 거주자", "non-resident registrations"],
                       mrows)]
    return value, "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 4. naturalisation rate
# ---------------------------------------------------------------------------------------------
def naturalisation_rate(raw, foreign_total_2023):
    """Naturalisations per foreign resident per year: 2023 naturalisations over the mean 2023 foreign
    population (occurrence / exposure; the start of 2023 from the end-2023 level and the MOJ
    long-term-stay growth). One rate for all ages, as the engine applies it."""
    nat = _naturalisations(raw)
    moj = _stay_statistics(raw)
    g = float(moj.loc[2023, "long_term_moj"]) / float(moj.loc[2022, "long_term_moj"])
    start = foreign_total_2023 / g
    exposure = 0.5 * (start + foreign_total_2023)
    rate = float(nat[2023]) / exposure
    assert 0.001 < rate < 0.02
    _, get = _statements(raw)
    census = {2020: CENSUS_FOREIGN_2020,
              2021: float(get("2021-11-01", "KOSTAT census foreigners (3+", "total").value),
              2022: float(_foreign_by_region(raw).y2022_foreign_nationals.sum()),
              2023: float(get("2023-11-01", "KOSTAT census foreigners (3+", "total").value)}
    rows = [[y, f"{nat[y]:,.0f}", f"{census[y]:,.0f}", f"{nat[y] / census[y]:.4%}"] for y in sorted(census) if y in nat.index]
    lines = ["## Naturalisation rate (naturalisation_rate)", "",
             f"2023 naturalisations {nat[2023]:,.0f} (MOJ via SBS, confirmed) / mean 2023 foreign population "
             f"{exposure:,.0f} (end 2023 {foreign_total_2023:,} and start {start:,.0f} = end / {g:.5f}, the MOJ "
             f"long-term growth) = **{rate:.5f} per year** (DERIVED).", "",
             "Check against the census counts of each year (1 Nov):", "",
             _md_table(["year", "naturalisations", "census foreigners", "ratio"], rows), "",
             "Counts have stayed at 10-11k a year since 2012 (2020: 13.9k, backlog) while the foreign population "
             "grew, so the ratio falls; the 2023 value is used (the engine then yields about 11k in 2024, rising "
             "with the foreign population). Naturalised persons are mostly marriage migrants (adult women); "
             "the engine's single rate for all ages and both sexes spreads them over the whole foreign stock "
             "(simplification). 2016 and 2018 counts are missing in the file; nationality restorations "
             "(국적회복) are not included and stay in the nationals' register residual."]
    return rate, "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 5. CSV header lines
# ---------------------------------------------------------------------------------------------
def foreign_header_lines(df, households_df):
    """Header lines for the foreign residents table (and its households column/table)."""
    tot = int(df[AGE_COLS].to_numpy().sum())
    men = int(df[df.sex == "M"][AGE_COLS].to_numpy().sum())
    hh = int(households_df.foreign_households.sum())
    return [
        "Foreign residents (foreign nationals resident 3+ months; not naturalised citizens, not national "
        "children of foreigners) by region, sex and single year of age, 2023-12-31",
        "source: KOSTAT register-based census foreign population 2021-2023 (press); MOIS 지방자치단체 외국인주민 "
        "현황 2022-11-01 by si/gun/gu (한국국적 미취득; clamWell/foreignimmigrant); MOJ stay statistics 2022-2023 "
        "(long-term stays); KOSTAT international migration 2022-2023; MOJ naturalisations; NGII National Atlas "
        "2021 (foreign households 2020)",
        f"method: level = 2022-11-01 foreign nationals 1,752,346 x MOJ long-term stays 2023/2022 "
        f"(1,881,921 / 1,688,855) = {tot}; regional shares of the 2022 foreign-nationals column recoded to the "
        "2023-12 codes; one national age-sex profile = census 2021 groups ungrouped by PCLM, aged two years, "
        "plus 2022-2023 foreign net migration, minus naturalisations; largest-remainder integerisation",
        "status: DERIVED; level, regional shares and the census 20-49 groups confirmed; 0-19 from the median "
        "age, the 0-19 and 50+ splits and the sex-by-age shape UNCONFIRMED",
        f"note: men {men / tot:.1%}; foreign households (households of foreigners only) {hh} = 0.3176 per "
        "foreign resident (census 2020: 540,000 / 1,700,000), marriage migrants living with Korean spouses "
        "are folded into foreign-only households (not representable yet)",
    ]


def migration_header_lines(df):
    """Header lines for the nationality-split international migration table."""
    return [
        "Age-sex distribution of net international migration by nationality: share of the year's net of "
        "that nationality (national: net_national; foreign: path total - net_national) by age (completed "
        "years at the end of the year) and sex",
        "source: KOSTAT 2023 international migration statistics (국제인구이동통계, 2024-07-11) via press: Koreans "
        "-39000 (20s -22000, 50s +4000, 60+ +2000), foreigners +161000 (20s +81000, all groups positive)",
        "method: 10-year group nets (thousands) national 0-9 -3, 10-19 -4, 20-29 -22, 30-39 -12, 40-49 -4, "
        "50-59 +4, 60-69 +1.5, 70+ +0.5; foreign 9, 9, 81, 36, 12, 9, 4, 1; ungrouped by PCLM (lambda 10) with "
        "the internal-migration Rogers-Castro schedule as offset (national: per run of equal sign, 0-49 and "
        "50+); share = cell / nationality total, so national shares are positive at 0-49 and negative at 50+",
        "status: UNCONFIRMED: totals and the 20s (both), Korean 50s and 60+ groups confirmed; other group "
        f"values, the 60+ split and the sex splits (foreign {FOREIGN_MIG_MALE_SHARE:.0%} men, national 50 %) assumed",
        "note: within each nationality the shares written with 6 decimals sum to exactly 1 (remainder on the "
        "largest cell); a national net of the opposite sign to 2023 flips the national pattern",
    ]


# ---------------------------------------------------------------------------------------------
def _read_population(path):
    if not os.path.isfile(path):
        raise InputError(f"missing population table: {path}")
    df = pd.read_csv(path, comment="#", dtype={"region": str})
    miss = [c for c in ["region", "sex"] + AGE_COLS if c not in df.columns]
    if miss:
        raise InputError(f"malformed {path}: expected columns {miss}")
    return df


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: prep_foreign.py RAW_DIR [POPULATION_CSV]", file=sys.stderr)
        return 2
    raw = argv[0]
    here = os.path.dirname(os.path.abspath(__file__))
    pop_path = argv[1] if len(argv) > 1 else os.path.join(here, "korea", "population.csv")
    nationals = _read_population(pop_path)
    df, hh, rep1 = foreign_population(raw, nationals)
    mig, rep2 = international_migration_by_nationality(raw, nationals)
    value, rep3 = nationals_net_migration(raw)
    total = int(df[AGE_COLS].to_numpy().sum())
    rate, rep4 = naturalisation_rate(raw, total)
    for r in (rep1, rep2, rep3, rep4):
        print(r)
        print()
    print("## Summary")
    print(f"* foreign residents end 2023: {total:,}; foreign households: {int(hh.foreign_households.sum()):,}")
    print(f"* nationals' net international migration: {value:+,} per year")
    print(f"* naturalisation rate: {rate:.5f} per year")
    for name, lines in (("foreign", foreign_header_lines(df, hh)), ("migration", migration_header_lines(mig))):
        assert 3 <= len(lines) <= 12 and lines[1].startswith("source: ") and lines[2].startswith("method: ")
        print(f"\n{name} header:")
        for l in lines:
            print("# " + l)
    return 0


if __name__ == "__main__":
    sys.exit(main())
