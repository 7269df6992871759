"""The fixed list of fuzz cases: every input table, the configuration, a scenario and the
assumption table it names, a checkpoint, a synthesised population, a results file, and the
command line, each mutated in many ways; and the analysis tools (analysis/) on damaged, foreign
and unfinished files and with outputs that exist, are inputs or are being written.

Every case works in its own directory ('{dir}' in its commands): 'in/' is a copy of the inputs
(configuration, tables, scenarios/), and the HDF5 families also get copies of the fixture files.
Parameters are drawn from random.Random seeded with the suite's seed and the case's family and
target, so the list is the same on every run with the same seed.
"""
import random
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

import mutations_h5 as h5m
import mutations_text as tm
from harness import Case, Step

SCALE = "0.002"                       # about 106,000 agents: a run of 2 years takes well under a second
CONFIG = "{dir}/in/baseline.toml"
MPI_SHARE = 0.10                      # the share of cases run under mpiexec -n 2
OK, REFUSE, EITHER = frozenset({0}), frozenset({2}), frozenset({0, 2})

# Values written into one numeric field of a CSV table: (case id part, value).
CSV_VALUES = [("nan", "nan"), ("inf", "inf"), ("neg-inf", "-inf"), ("minus-one", "-1"), ("zero", "0"),
              ("1e308", "1e308"), ("2p63", "9223372036854775808"), ("2p31", "2147483648"), ("empty-field", ""),
              ("abc", "abc"), ("1e", "1e")]

# Values written over one number of a TOML file: (case id part, TOML literal).
TOML_VALUES = [("nan", "nan"), ("inf", "inf"), ("neg-inf", "-inf"), ("minus-one", "-1"), ("zero", "0"),
               ("1e308", "1e308"), ("1e400", "1e400"), ("2p63", "9223372036854775808"),
               ("2p66", "99999999999999999999"), ("string", '"abc"'), ("bool", "true"), ("array", "[1, 2]"),
               ("nothing", "")]

# Columns set to zero in every row and multiplied by 1000 (the rates and counts that drive the
# model); tables not listed get a random numeric column.
KEY_COLUMNS = {
    "fertility.csv": ["asfr", "share_order1"], "mortality.csv": ["qx_male", "mx_female"],
    "fertility_regions.csv": ["tfr"], "mortality_regions.csv": ["multiplier_female"],
    "migration_age.csv": ["move_rate"], "unions.csv": ["marriage_rate"], "living_alone.csv": ["share"],
    "living_alone_national.csv": ["trend_logit"], "households_by_size.csv": ["size_2"],
    "living_arrangements.csv": ["married_share"], "households.csv": ["households"],
    "population.csv": ["age_30"], "population_age5.csv": ["age_30_34"], "population_foreign.csv": ["age_30"],
    "assumptions_medium.csv": ["tfr", "e0_female"], "assumptions_low.csv": ["tfr"],
    "international_migration_age.csv": ["share"], "migration_model.csv": ["value"],
    "migration_region_constants.csv": ["value"], "regions.csv": ["area_km2"], "provinces.csv": ["tfr_2023"],
}

# The tables whose all-zero and x1000 rate columns are always run (the default selection samples
# the other cases).
ESSENTIAL_TABLES = ("fertility.csv", "mortality.csv", "assumptions_medium.csv")

# The share of each family's cases of one kind run by default (at least one case of every kind,
# and every essential case); --full runs them all.
DEFAULT_SHARE = {"table": 0.4, "scenario-table": 0.4, "config": 0.6, "scenario": 0.5, "checkpoint": 0.3,
                 "population": 0.5, "results": 0.6, "cli": 1.0, "analysis": 0.1}

# Configuration keys set to extreme or wrong values: (key, TOML literal). A message may name a path
# that a mutation wrote into the file instead of the file itself (introduced_strings).
CONFIG_KEYS = [
    ("scale", "0"), ("scale", "2"), ("scale", "1e-9"), ("scale", "nan"),
    ("start_year", "0"), ("start_year", "2022"), ("start_year", "2200"), ("start_year", "-2023"),
    ("seed", "-1"), ("seed", "18446744073709551616"), ("checks", '"yes"'), ("checks", "false"),
    ("destination_sizes", '"bogus"'), ("destination_sizes", "1"),
    ("rebalance_threshold", "0"), ("rebalance_threshold", "-1"), ("rebalance_threshold", "nan"),
    ("population_threshold", "-1"), ("population_threshold", "1e308"),
    ("max_dependents_per_adult", "0"), ("max_dependents_per_adult", "2147483648"), ("max_dependents_per_adult", "1.5"),
    ("sex_ratio_at_birth", "0"), ("sex_ratio_at_birth", "inf"), ("naturalisation_rate", "2"),
    ("naturalisation_rate", "-0.1"), ("oldest_old_yearly_survival", "1"), ("oldest_old_yearly_survival", "1.5"),
    ("spouse_age_gap_sd_years", "0"), ("spouse_age_gap_sd_years", "1e308"), ("mother_age_trend_cap_years", "1e308"),
    ("lone_mother_share", "1.5"), ("marital_birth_share", "0"), ("marital_birth_share", "1"),
    ("mortality_rotation_end_e0", "80.0"), ("mortality_rotation_start_e0", "nan"),
    ("region_constant_half_life_years", "0"), ("regional_fertility_half_life_years", "-1"),
    ("foreign_fertility_ratio", "1e308"), ("living_alone_trend_half_life_years", "-1"),
    ("living_alone_max_share", "0"), ("living_alone_max_share", "nan"),
    # Input paths: a directory, a device, a missing file, nothing, the configuration itself,
    # another table, a file of procfs.
    ("regions", '"."'), ("regions", '"/dev/zero"'), ("regions", '"missing.csv"'), ("regions", '""'),
    ("provinces", '"baseline.toml"'), ("population", '"regions.csv"'), ("population_foreign", '"population.csv"'),
    ("mortality", '"scenarios"'), ("fertility", '"/proc/self/status"'),
]

SCENARIO_KEYS = [
    ("start_year", "1900"), ("start_year", "2200"), ("start_year", "-1"), ("start_year", "2147483648"),
    ("end_year", "2024"), ("end_year", "99999"),
    ("million_krw_per_birth", "-1"), ("million_krw_per_birth", "nan"), ("million_krw_per_birth", "inf"),
    ("million_krw_per_birth", "1e308"), ("million_krw_per_birth", "501"),
    ("births_change_per_million_krw", "0.2"), ("births_change_per_million_krw", "nan"),
    ("select", "{ regions = [0] }"), ("select", "{ provinces = [99] }"), ("select", '{ flags = ["bogus"] }'),
    ("select", "{}"), ("select", "{ all = false }"), ("select", "{ extinction_index_below = nan }"),
    ("effects", "{}"), ("effects", "{ fertility_multiplier = 0 }"), ("effects", "{ fertility_multiplier = nan }"),
    ("effects", "{ mortality_multiplier = 3.5 }"),
    ("effects", "{ out_migration_multiplier = { factor = 0.5, min_age = 40, max_age = 20 } }"),
    ("effects", "{ attractiveness = { change = inf, min_age = 0, max_age = 100 } }"),
    ("assumptions", '"nonexistent"'), ("assumptions", '"../assumptions_medium.csv"'), ("assumptions", '"/dev/zero"'),
    ("assumptions", '"."'), ("assumptions", '""'), ("assumptions", '"../regions.csv"'),
    ("name", '""'), ("name", "42"),
]


@dataclass(frozen=True)
class Fixtures:
    """Pristine files made once per suite run; cases copy what they need."""
    inputs: Path          # configuration, tables, scenarios/
    population: Path      # popsim synthesize --scale 0.002
    checkpoints: Path     # ckpt-2024.h5 and ckpt-2025.h5 of a 3-year run with --checkpoint-every 1
    results_a: Path       # results.h5 of that run
    results_b: Path       # results.h5 of the same run with seed + 1 (a second replicate)
    seed_b: int
    ensemble: Path        # popsim merge of the two
    observed: Path        # a copy of inputs/korea/observed: the registers analysis/score.py scores against
    ensemble: Path        # popsim merge of the two
    observed: Path        # a copy of inputs/korea/observed (the registers analysis/score.py scores against)

    def input_tables(self):
        """The tables named under [inputs] of the configuration, in its order."""
        with open(self.inputs / "baseline.toml", "rb") as f:
            return list(tomllib.load(f)["inputs"].values())


# --- Building blocks ------------------------------------------------------------------------------------

class CaseList:
    """Collects cases, gives them unique ids and picks the ones run under MPI."""

    def __init__(self, seed):
        self.seed = seed
        self.cases = []
        self.ids = set()

    def rng(self, *parts):
        return random.Random(":".join(map(str, (self.seed,) + parts)))

    def add(self, family, target, kind, mutation, prepare, steps, essential=False, tag=""):
        """A case with id FAMILY-TARGET-KIND[-TAG] (FAMILY-KIND for the command line), numbered if
        repeated."""
        parts = [family, kind] if family == "cli" else [family, Path(target).stem, kind]
        parts += [tag] if tag else []
        base = "-".join(parts).replace("_", "-")
        case_id, n = base, 1
        while case_id in self.ids:
            n += 1
            case_id = f"{base}-{n}"
        self.ids.add(case_id)
        mpi = self.rng("mpi", case_id).random() < MPI_SHARE and not any(step.tool for step in steps)
        self.cases.append(Case(case_id, family, kind, target, mutation, prepare, tuple(steps), mpi, essential))


def copy_inputs(fx: Fixtures, case_dir: Path):
    shutil.copytree(fx.inputs, case_dir / "in", symlinks=True)


def preparing(fx: Fixtures, mutated: str, mutation: tm.Mutation, files=(), setup=None):
    """A case directory: the inputs, copies of fixture `files` ((source, relative destination)),
    `setup(case_dir)`, then `mutation` applied to the file `mutated` (relative to the case dir)."""
    def prepare(case_dir: Path):
        copy_inputs(fx, case_dir)
        for source, dest in files:
            (case_dir / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, case_dir / dest)
        if setup:
            setup(case_dir)
        if mutation:
            mutation.apply(case_dir / mutated)
    return prepare


def check_then_run(names, scenario=None):
    """`check`, and a 2-year run when check accepted the input (which must then run cleanly)."""
    extra = ("--scenario", scenario) if scenario else ()
    return [Step("check", ("check", CONFIG) + extra, names),
            Step("run", ("run", CONFIG, "--years", "2", "--scale", SCALE, "--out", "{dir}/out") + extra, names,
                 results="out", after_success_of="check")]


def file_replacements(rng, others=()):
    """The mutations that replace a whole file."""
    m = [tm.as_directory(), tm.as_dev_zero(), tm.emptied(), tm.removed(), tm.with_garbage_appended(rng)]
    if others:
        m.append(tm.swapped_with(rng.choice(list(others))))
    return m


# --- Input tables ----------------------------------------------------------------------------------------

def csv_mutations(rng, path: Path, others):
    data = path.read_bytes()
    table = tm.Csv.parse(data)
    m = [tm.truncated(rng, len(data)), tm.bit_flipped(rng, len(data)), tm.deleted_row(rng, table),
         tm.deleted_column(rng, table), tm.duplicated_row(rng, table), tm.swapped_headers(rng, table),
         tm.header_only(), tm.with_bom(), tm.with_crlf()]
    m += [tm.field_replaced(rng, table, value, kind) for kind, value in CSV_VALUES]
    numeric = [table.header[c] for c in table.numeric_columns()[1:]]
    for column in KEY_COLUMNS.get(path.name) or [rng.choice(numeric)]:
        m += [tm.column_set(table, column, "0"), tm.column_scaled(table, column)]
    return m + file_replacements(rng, others)


def add_table_cases(cases: CaseList, fx: Fixtures):
    tables = fx.input_tables()
    for name in tables:
        others = [fx.inputs / t for t in tables if t != name]
        for mutation in csv_mutations(cases.rng("table", name), fx.inputs / name, others):
            essential = name in ESSENTIAL_TABLES and mutation.kind in ("all-zero", "scale-column")
            cases.add("table", name, mutation.kind, mutation.description, preparing(fx, f"in/{name}", mutation),
                      check_then_run((name,)), essential)
    # The assumption table a scenario names (scenarios/low.toml: assumptions_low.csv).
    name, scenario = "assumptions_low.csv", "{dir}/in/scenarios/low.toml"
    others = [fx.inputs / "assumptions_medium.csv", fx.inputs / "regions.csv"]
    for mutation in csv_mutations(cases.rng("table", name), fx.inputs / name, others):
        cases.add("scenario-table", name, mutation.kind, mutation.description, preparing(fx, f"in/{name}", mutation),
                  check_then_run((name,), scenario))


# --- Configuration and scenario ------------------------------------------------------------------------

def toml_mutations(rng, path: Path):
    data = path.read_bytes()
    text = data.decode("utf-8")
    m = [tm.truncated(rng, len(data)), tm.truncated(rng, len(data)), tm.toml_key_line_bit_flipped(rng, data),
         tm.toml_key_line_bit_flipped(rng, data), tm.toml_line_deleted(rng, text), tm.toml_line_deleted(rng, text),
         tm.toml_line_duplicated(rng, text), tm.toml_unknown_key(rng, text), tm.toml_table_header_deleted(rng, text),
         tm.with_bom(), tm.with_crlf(), tm.binary_garbage(rng)]
    m += [tm.toml_number_replaced(rng, text, value, kind) for kind, value in TOML_VALUES]
    return m + file_replacements(rng)


def add_config_cases(cases: CaseList, fx: Fixtures):
    name = "baseline.toml"
    pristine = (fx.inputs / name).read_bytes()
    mutations = toml_mutations(cases.rng("config"), fx.inputs / name)
    mutations += [tm.toml_key_set(key, value, kind=key) for key, value in CONFIG_KEYS]
    for mutation in mutations:
        names = (name,) + tm.introduced_strings(mutation, pristine)
        cases.add("config", name, mutation.kind, mutation.description, preparing(fx, f"in/{name}", mutation),
                  check_then_run(names))


def add_scenario_cases(cases: CaseList, fx: Fixtures):
    name, rel = "birth_grant.toml", "in/scenarios/birth_grant.toml"
    scenario = "{dir}/" + rel
    pristine = (fx.inputs / "scenarios" / name).read_bytes()
    mutations = toml_mutations(cases.rng("scenario"), fx.inputs / "scenarios" / name)
    mutations += [tm.toml_key_set(key, value, kind=key) for key, value in SCENARIO_KEYS]
    # The same intervention twice: overlapping phases of one intervention.
    block = pristine.split(b"[[intervention]]", 1)[1]
    mutations.append(tm.rewrite("duplicate-intervention", "its [[intervention]] given twice",
                                lambda data: data + b"\n[[intervention]]" + block))
    for mutation in mutations:
        names = (name,) + tm.introduced_strings(mutation, pristine)
        cases.add("scenario", name, mutation.kind, mutation.description, preparing(fx, rel, mutation),
                  check_then_run(names, scenario))


# --- HDF5 files ------------------------------------------------------------------------------------------

def restart_step(label, source, out, names):
    return Step(label, ("run", CONFIG, "--years", "3", "--scale", SCALE, "--out", "{dir}/" + out,
                        "--restart", source), names, results=out)


def add_checkpoint_cases(cases: CaseList, fx: Fixtures):
    """The newest checkpoint of a run damaged; the older one beside it intact."""
    rel, name = "ckpts/ckpt-2025.h5", "ckpt-2025.h5"
    files = [(fx.checkpoints / "ckpt-2024.h5", "ckpts/ckpt-2024.h5"), (fx.checkpoints / name, rel)]
    steps = [Step("info", ("info", "{dir}/" + rel), (name,)),
             restart_step("restart-file", "{dir}/" + rel, "out-file", (name,)),
             restart_step("restart-dir", "{dir}/ckpts", "out-dir", (name, "ckpts"))]
    rng = cases.rng("checkpoint")
    shape = h5m.PopulationShape.of(fx.checkpoints / name)
    size = (fx.checkpoints / name).stat().st_size
    mutations = h5m.binary_damage(rng, size) + h5m.population_mutations(rng, shape, with_results=True)
    mutations += [tm.as_directory(), tm.as_dev_zero(), tm.swapped_with(fx.results_a),
                  tm.swapped_with(fx.inputs / "baseline.toml")]
    for mutation in mutations:
        cases.add("checkpoint", name, mutation.kind, mutation.description, preparing(fx, rel, mutation, files), steps,
                  tag=mutation.tag)


def add_population_cases(cases: CaseList, fx: Fixtures):
    """A synthesised population (the base year's checkpoint, no /results): byte damage, a few
    structural edits and the file replaced."""
    rel, name = "pop/base.h5", "base.h5"
    steps = [Step("info", ("info", "{dir}/" + rel), (name,)),
             restart_step("restart-file", "{dir}/" + rel, "out", (name,))]
    rng = cases.rng("population")
    shape = h5m.PopulationShape.of(fx.population)
    structural = h5m.population_mutations(rng, shape, with_results=False)
    mutations = h5m.binary_damage(rng, fx.population.stat().st_size) + rng.sample(structural, 12)
    mutations += [tm.as_directory(), tm.as_dev_zero(), tm.swapped_with(fx.checkpoints / "ckpt-2025.h5")]
    for mutation in mutations:
        cases.add("population", name, mutation.kind, mutation.description,
                  preparing(fx, rel, mutation, [(fx.population, rel)]), steps, tag=mutation.tag)


def add_results_cases(cases: CaseList, fx: Fixtures):
    """One replicate's results.h5 damaged; `info` on it and `merge` with an intact replicate."""
    rel, name = "rep-a/results.h5", "rep-a/results.h5"
    files = [(fx.results_a, rel), (fx.results_b, "rep-b/results.h5")]
    steps = [Step("info", ("info", "{dir}/" + rel), ("rep-a",)),
             Step("merge", ("merge", "--out", "{dir}/ensemble.h5", "{dir}/" + rel, "{dir}/rep-b/results.h5"),
                  ("rep-a",))]
    rng = cases.rng("results")
    mutations = h5m.binary_damage(rng, fx.results_a.stat().st_size) + h5m.results_file_mutations(rng, fx.seed_b)
    mutations += [tm.as_directory(), tm.as_dev_zero(), tm.swapped_with(fx.population)]
    for mutation in mutations:
        cases.add("results", name, mutation.kind, mutation.description, preparing(fx, rel, mutation, files), steps,
                  tag=mutation.tag)


# --- The command line ----------------------------------------------------------------------------------

def run_args(out="{dir}/out", years="2", scale=SCALE):
    return ("run", CONFIG, "--years", years, "--scale", scale, "--out", out)


def add_cli_cases(cases: CaseList, fx: Fixtures):
    add = CliCases(cases, fx)
    # The control: the unchanged inputs are valid and run (else every refusal below means nothing).
    add("pristine", "baseline.toml", Step("check", ("check", CONFIG), (), OK),
        Step("run", run_args(), (), OK, results="out"))
    for value, expect in [("1e-9", REFUSE), ("1e-5", EITHER), ("3e-4", EITHER), ("0", REFUSE), ("-1", REFUSE),
                          ("nan", REFUSE), ("inf", REFUSE), ("2", REFUSE)]:
        add(f"scale={value}", "--scale", Step("run", run_args(scale=value), ("--scale",), expect, results="out",
                                              strict_results=False))
        add(f"synth-scale={value}", "--scale",
            Step("synthesize", ("synthesize", CONFIG, "--scale", value, "--out", "{dir}/pop.h5"), ("--scale",), expect))
    for value, expect in [("-1", REFUSE), ("18446744073709551616", REFUSE), ("9223372036854775808", REFUSE),
                          ("abc", REFUSE), ("", REFUSE), ("0", OK), ("9223372036854775807", OK)]:
        add(f"seed={value or 'empty'}", "--seed",
            Step("run", run_args() + ("--seed", value), ("--seed",), expect, results="out"))
    for value in ["0", "-1", "99999999999", "1000", "101", "abc", "1.5"]:
        add(f"years={value}", "--years", Step("run", run_args(years=value), ("--years",), REFUSE))
    add_output_cases(add, fx)
    add_merge_cases(add, fx)
    add_path_cases(add, fx)
    add_restart_cases(add, fx)
    add_option_cases(add)


class CliCases:
    """Adds a command-line case: one or more steps on the pristine inputs, after an optional setup."""

    def __init__(self, cases: CaseList, fx: Fixtures):
        self.cases, self.fx = cases, fx

    def __call__(self, kind, target, *steps, files=(), setup=None):
        mutation = "; ".join("popsim " + " ".join(s.args) for s in steps)
        self.cases.add("cli", target, kind, mutation, preparing(self.fx, "", None, files, setup), steps)


def write(rel, content=b"x\n"):
    def setup(case_dir):
        path = case_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return setup


def add_output_cases(add, fx):
    results = [(fx.results_a, "prev/results.h5")]
    add("out-is-file", "--out", Step("run", run_args(out="{dir}/afile"), ("--out", "afile"), REFUSE),
        setup=write("afile"))
    add("out-dev-null", "--out", Step("run", run_args(out="/dev/null"), ("--out", "/dev/null"), REFUSE))
    add("out-unwritable", "--out", Step("run", run_args(out="/proc/popsim-fuzz/out"), ("--out", "/proc"), REFUSE))
    add("out-nested-new", "--out", Step("run", run_args(out="{dir}/a/b/c/d"), ("--out",), EITHER, results="a/b/c/d"))
    add("out-has-results", "--out", Step("run", run_args(out="{dir}/prev"), ("--out", "prev"), REFUSE), files=results)
    add("out-has-results-overwrite", "--out",
        Step("run", run_args(out="{dir}/prev") + ("--overwrite",), ("--out",), OK, results="prev",
             may_write=("prev/results.h5",)), files=results)
    ckpts = [(fx.checkpoints / "ckpt-2024.h5", "prev/checkpoints/ckpt-2024.h5")]
    add("out-has-checkpoints", "--out", Step("run", run_args(out="{dir}/prev") + ("--checkpoint-every", "1"),
                                            ("checkpoint", "prev"), REFUSE), files=ckpts)
    add("checkpoint-dir-used", "--checkpoint-dir",
        Step("run", run_args() + ("--checkpoint-every", "1", "--checkpoint-dir", "{dir}/prev/checkpoints"),
             ("--checkpoint-dir", "checkpoints"), REFUSE), files=ckpts)
    add("checkpoint-dir-dev-null", "--checkpoint-dir",
        Step("run", run_args() + ("--checkpoint-every", "1", "--checkpoint-dir", "/dev/null"),
             ("--checkpoint-dir", "/dev/null"), REFUSE))
    add("out-is-config", "--out", Step("run", run_args(out=CONFIG), ("--out", "baseline.toml"), REFUSE))
    add("out-is-inputs-dir", "--out", Step("run", run_args(out="{dir}/in"), ("--out",), EITHER, results="in"))
    synth = ("synthesize", CONFIG, "--scale", SCALE, "--out")
    population = [(fx.population, "pop.h5")]
    add("synth-out-exists", "--out", Step("synthesize", synth + ("{dir}/pop.h5",), ("--out", "pop.h5"), REFUSE),
        files=population)
    add("synth-out-overwrite", "--out", Step("synthesize", synth + ("{dir}/pop.h5", "--overwrite"), ("--out",), OK,
                                             may_write=("pop.h5",)), files=population)
    for kind, out in [("config", CONFIG), ("dir", "{dir}/in"), ("dev-null", "/dev/null"),
                      ("missing-dir", "{dir}/x/y/p.h5"), ("unwritable", "/proc/popsim-fuzz.h5")]:
        add(f"synth-out-{kind}", "--out", Step("synthesize", synth + (out,), ("--out",), REFUSE))


def add_merge_cases(add, fx):
    a, b = "{dir}/rep-a/results.h5", "{dir}/rep-b/results.h5"
    reps = [(fx.results_a, "rep-a/results.h5"), (fx.results_b, "rep-b/results.h5")]

    def merge(kind, args, names, expect=REFUSE, files=(), may_write=()):
        add(f"merge-{kind}", "merge", Step("merge", ("merge",) + args, names, expect, may_write=may_write),
            files=reps + list(files))
    merge("valid", ("--out", "{dir}/ens.h5", a, b), (), OK)
    merge("out-is-input", ("--out", a, a, b), ("--out",))
    merge("out-is-input-overwrite", ("--out", b, "--overwrite", a, b), ("--out",))
    merge("same-file-twice", ("--out", "{dir}/ens.h5", a, a), ("rep-a",))
    merge("single-file", ("--out", "{dir}/ens.h5", a), ("RESULTS", "rep-a"))
    merge("with-checkpoint", ("--out", "{dir}/ens.h5", a, "{dir}/ckpt-2025.h5"), ("ckpt-2025.h5",),
          files=[(fx.checkpoints / "ckpt-2025.h5", "ckpt-2025.h5")])
    merge("with-population", ("--out", "{dir}/ens.h5", a, "{dir}/base.h5"), ("base.h5",),
          files=[(fx.population, "base.h5")])
    merge("out-exists", ("--out", "{dir}/ens.h5", a, b), ("--out", "ens.h5"), files=[(fx.results_a, "ens.h5")])
    merge("out-dev-null", ("--out", "/dev/null", a, b), ("--out",))
    merge("out-dir", ("--out", "{dir}/rep-a", a, b), ("--out",))
    merge("input-dir", ("--out", "{dir}/ens.h5", a, "{dir}/rep-b"), ("rep-b",))
    merge("input-dev-zero", ("--out", "{dir}/ens.h5", a, "/dev/zero"), ("/dev/zero",))
    merge("input-missing", ("--out", "{dir}/ens.h5", a, "{dir}/missing.h5"), ("missing.h5",))


def add_path_cases(add, fx):
    """The configuration, `info`'s file: a directory, a device, empty, binary, missing, another format."""
    rng = random.Random(f"{add.cases.seed}:binary")
    binary = bytes(rng.randrange(256) for _ in range(4096))
    paths = [("dir", "{dir}/adir", "adir", lambda d: (d / "adir").mkdir()),
             ("dev-zero", "/dev/zero", "/dev/zero", None),
             ("empty", "{dir}/empty.toml", "empty.toml", write("empty.toml", b"")),
             ("binary", "{dir}/binary.toml", "binary.toml", write("binary.toml", binary)),
             ("missing", "{dir}/missing.toml", "missing.toml", None),
             ("csv", "{dir}/in/regions.csv", "regions.csv", None)]
    for kind, path, name, setup in paths:
        add(f"config-{kind}", "config",
            Step("check", ("check", path), (name,), REFUSE),
            Step("run", ("run", path, "--years", "2", "--scale", SCALE, "--out", "{dir}/out"), (name,), REFUSE),
            Step("synthesize", ("synthesize", path, "--scale", SCALE, "--out", "{dir}/p.h5"), (name,), REFUSE),
            setup=setup)
    add("config-h5", "config", Step("check", ("check", "{dir}/pop.h5"), ("pop.h5",), REFUSE),
        files=[(fx.population, "pop.h5")])
    for kind, path, name, setup in paths + [("config", CONFIG, "baseline.toml", None)]:
        add(f"info-{kind}", "info", Step("info", ("info", path), (name,), REFUSE), setup=setup)


def add_restart_cases(add, fx):
    ckpt = [(fx.checkpoints / "ckpt-2025.h5", "ckpts/ckpt-2025.h5")]
    population = [(fx.population, "pop.h5")]

    def restart(kind, source, names, extra=(), files=(), setup=None, years="3", scale=SCALE):
        add(f"restart-{kind}", "--restart",
            Step("run", run_args(years=years, scale=scale) + ("--restart", source) + extra, ("--restart",) + names,
                 REFUSE), files=files, setup=setup)
    restart("missing", "{dir}/nothing", ("nothing",))
    restart("empty-dir", "{dir}/emptydir", ("emptydir",), setup=lambda d: (d / "emptydir").mkdir())
    restart("garbage-only", "{dir}/bad", ("bad",), setup=write("bad/ckpt-2025.h5", b"garbage\n"))
    restart("results-file", "{dir}/rep-a/results.h5", ("results.h5",), files=[(fx.results_a, "rep-a/results.h5")])
    restart("dev-zero", "/dev/zero", ("/dev/zero",))
    restart("config", CONFIG, ("baseline.toml",))
    restart("other-seed", "{dir}/pop.h5", ("pop.h5",), ("--seed", "7"), files=population)
    restart("other-scale", "{dir}/pop.h5", ("pop.h5",), files=population, scale="0.004")
    restart("after-last-year", "{dir}/ckpts/ckpt-2025.h5", ("ckpt-2025.h5",), files=ckpt, years="1")
    restart("other-scenario", "{dir}/ckpts/ckpt-2025.h5", ("ckpt-2025.h5",),
            ("--scenario", "{dir}/in/scenarios/low.toml"), files=ckpt)
    restart("other-config", "{dir}/ckpts/ckpt-2025.h5", ("ckpt-2025.h5",), files=ckpt,
            setup=lambda d: tm.toml_key_set("naturalisation_rate", "0.006").apply(d / "in/baseline.toml"))
    restart("other-input", "{dir}/ckpts/ckpt-2025.h5", ("ckpt-2025.h5", "fertility.csv"), files=ckpt,
            setup=lambda d: nudge_first_value(d / "in/fertility.csv"))
    restart("replicates", "{dir}/ckpts/ckpt-2025.h5", ("--replicates",), ("--replicates", "2"), files=ckpt)


def nudge_first_value(path: Path):
    """Changes the last digit of the first data value of a table: another input, still valid."""
    table = tm.Csv.parse(path.read_bytes())
    line = table.data_lines[0]
    fields = table.lines[line].split(",")
    fields[1] = fields[1][:-1] + ("1" if fields[1][-1] != "1" else "2")
    table.lines[line] = ",".join(fields)
    path.write_bytes(table.render())


def add_option_cases(add):
    def refused(kind, args, names, target=None):
        add(kind, target or names[0], Step(args[0], args, names, REFUSE))
    refused("checkpoint-every-negative", run_args() + ("--checkpoint-every", "-1"), ("--checkpoint-every",))
    refused("checkpoint-keep-zero", run_args() + ("--checkpoint-keep", "0"), ("--checkpoint-keep",))
    refused("replicates-zero", run_args() + ("--replicates", "0"), ("--replicates",))
    refused("replicates-too-many", run_args() + ("--replicates", "3"), ("--replicates",))
    refused("scenario-missing", run_args() + ("--scenario", "{dir}/missing.toml"), ("missing.toml",), "--scenario")
    refused("scenario-dir", run_args() + ("--scenario", "{dir}/in/scenarios"), ("scenarios",), "--scenario")
    refused("scenario-dev-zero", run_args() + ("--scenario", "/dev/zero"), ("/dev/zero",), "--scenario")
    refused("scenario-csv", ("check", CONFIG, "--scenario", "{dir}/in/regions.csv"), ("regions.csv",), "--scenario")
    refused("unknown-option", run_args() + ("--bogus",), ("--bogus",))
    refused("no-out", ("run", CONFIG, "--years", "2", "--scale", SCALE), ("--out",))


# --- The analysis tools -------------------------------------------------------------------------------

RESULTS, OTHER, POPULATION = "{dir}/rep-a/results.h5", "{dir}/rep-b/results.h5", "{dir}/pop/base.h5"
OBSERVED = "mois_resident_sgg_sex_age5_2022_2023_long.csv"

# Each tool: its input arguments (RESULTS: the results file under test), its output option and
# output (relative to the case directory; a folder if it ends with /).
TOOLS = {
    "report.py": ((RESULTS,), "--out", "report/"),
    "export.py": ((RESULTS,), "--csv", "csv/"),
    "compare_scenarios.py": ((OTHER, RESULTS), "--out", "compare/"),
    "score.py": ((RESULTS, "--observed", "{dir}/obs/" + OBSERVED, "--year", "2023"), "--json", "score.json"),
    "migration_targets.py": ((RESULTS,), None, None),
    "pyramid.py": ((RESULTS,), "--out", "pyramid.png"),
    "start_state.py": ((POPULATION, "--inputs", "{dir}/in"), "--json", "start.json"),
}
RESULTS_TOOLS = [t for t, (inputs, _, _) in TOOLS.items() if RESULTS in inputs]
# The tools that draw or export an unfinished run up to its last year, saying so; the others
# refuse when a year they need is not written.
TOLERANT = ("report.py", "export.py", "pyramid.py")
# A file of each output folder, to make the output exist.
FOLDER_FILE = {"report/": "population.png", "csv/": "population.csv", "compare/": "summary.md", "docs/": "summary.md"}


def tool_args(tool, output=None, inputs=None):
    default_inputs, option, out = TOOLS[tool]
    output = output or (out and "{dir}/" + out.rstrip("/"))
    return (inputs or default_inputs) + ((option, output) if option else ())


def tool_step(tool, args, names, expect=EITHER, **more):
    return Step(Path(tool).stem, tuple(args), tuple(names), expect, tool=tool, **more)


def analysis_files(fx: Fixtures):
    """The fixture files every analysis case gets: two replicates, a population, the registers."""
    return [(fx.results_a, "rep-a/results.h5"), (fx.results_b, "rep-b/results.h5"), (fx.population, "pop/base.h5"),
            (fx.ensemble, "ens/ensemble.h5")] + [(p, "obs/" + p.name) for p in sorted(fx.observed.glob("*.csv"))]


def unwritten_after(f, rows):
    """Rows from `rows` on of every time-indexed dataset of results file `f` as popsim leaves them
    before writing them: zero (an unwritten /years entry is 0)."""
    years = f["/years"].shape[0]

    def clear(name, obj):
        if isinstance(obj, h5py.Dataset) and obj.ndim and obj.shape[0] == years \
                and not name.startswith(("regions/", "provinces/")):
            obj[rows:] = 0
    f.visititems(clear)


def unfinished_mutations():
    """The states an unfinished run leaves in results.h5 (here 2023..2026; docs/files.md), each with
    the last year written (None: the file is refused)."""
    def drop_meta(f, *names):
        for name in names:
            if name in f["/meta"].attrs:
                del f["/meta"].attrs[name]

    def killed_old(f):  # an older popsim killed after 2024: no `complete`, no outlook
        unwritten_after(f, 2)
        drop_meta(f, "complete", "last_year")
        del f["/extinction"], f["/aggregates"]

    def stopped_old(f):  # an older popsim stopped by SIGTERM after 2025: the outlook of the rows done
        unwritten_after(f, 3)
        drop_meta(f, "last_year")
        f["/meta"].attrs["complete"] = np.int64(0)
        f["/extinction/class"][3:] = -1
        for name in f["/aggregates/capital"]:
            f["/aggregates/capital/" + name][3:] = np.nan

    def running(f):  # popsim writing 2025 now: rows after last_year hold anything
        f["/meta"].attrs["complete"] = np.int64(0)
        f["/meta"].attrs["last_year"] = np.int64(2024)
        f["/population"][2:] = -7  # a tool reading past last_year refuses these
        f["/years"][3] = 0
        del f["/extinction"], f["/aggregates"]

    def nothing_written(f):
        unwritten_after(f, 0)
        f["/meta"].attrs["complete"] = np.int64(0)
        f["/meta"].attrs["last_year"] = np.int64(2022)

    def inconsistent(f):
        unwritten_after(f, 3)
        drop_meta(f, "last_year")
        f["/meta"].attrs["complete"] = np.int64(1)

    edit = h5m.h5_edit
    return [(edit("unfinished", "killed after 2024 (older popsim: no complete, /years 0 after)", killed_old, "killed"),
             2024),
            (edit("unfinished", "stopped after 2025 (older popsim: complete 0)", stopped_old, "stopped"), 2025),
            (edit("unfinished", "running: last_year 2024, later rows -7", running, "running"), 2024),
            (edit("unfinished", "nothing written yet: last_year 2022", nothing_written, "nothing"), None),
            (edit("unfinished", "complete 1 but 2026 not written", inconsistent, "inconsistent"), None),
            (h5m.attribute_set("/meta", "last_year", np.int64(2099)), None),
            (h5m.attribute_set("/meta", "last_year", "2024", dtype="vlen-str"), None)]


def unfinished_step(tool, last):
    """What `tool` must do on a run written up to `last`."""
    if last is None:
        return tool_step(tool, tool_args(tool), ("rep-a",), REFUSE)
    if tool in TOLERANT:
        return tool_step(tool, tool_args(tool), (), OK, says=f"incomplete run: written up to {last} of 2026")
    if tool == "score.py":  # a year after the last written
        return tool_step(tool, (RESULTS, "--observed", "{dir}/obs/" + OBSERVED, "--year", str(last + 1)),
                         ("incomplete run",), REFUSE)
    if tool == "migration_targets.py":  # its year, 2024, is written
        return tool_step(tool, tool_args(tool), (), OK)
    return tool_step(tool, tool_args(tool), ("incomplete run",), REFUSE)


def add_analysis_input_cases(cases: CaseList, fx: Fixtures):
    """Each tool on a damaged, foreign or unfinished results file; start_state.py and pyramid.py on
    a damaged population file; report.py on a damaged ensemble."""
    def add(tool, rel, mutation, step, essential=False, prefix=""):
        cases.add("analysis", tool, mutation.kind, mutation.description,
                  preparing(fx, rel, mutation, analysis_files(fx)), [step], essential,
                  "-".join(t for t in (prefix, mutation.tag) if t))
    rng = cases.rng("analysis-results")
    damage = h5m.binary_damage(rng, fx.results_a.stat().st_size) + h5m.results_file_mutations(rng, fx.seed_b)
    damage += [tm.as_directory(), tm.as_dev_zero(), tm.removed(), tm.swapped_with(fx.population),
               tm.swapped_with(fx.ensemble), tm.swapped_with(fx.inputs / "baseline.toml")]
    for tool in RESULTS_TOOLS:
        for mutation in damage:
            add(tool, "rep-a/results.h5", mutation, tool_step(tool, tool_args(tool), ("rep-a",)))
        for mutation, last in unfinished_mutations():
            add(tool, "rep-a/results.h5", mutation, unfinished_step(tool, last), essential=mutation.tag == "running")
    rng = cases.rng("analysis-population")
    damage = h5m.binary_damage(rng, fx.population.stat().st_size)
    damage += rng.sample(h5m.population_mutations(rng, h5m.PopulationShape.of(fx.population), with_results=False), 16)
    damage += [tm.as_directory(), tm.as_dev_zero(), tm.swapped_with(fx.ensemble)]
    for tool, inputs in (("start_state.py", None), ("pyramid.py", (POPULATION,))):
        for mutation in damage:
            add(tool, "pop/base.h5", mutation, tool_step(tool, tool_args(tool, inputs=inputs), ("base.h5",)), prefix="pop")
    rng = cases.rng("analysis-ensemble")
    damage = h5m.binary_damage(rng, fx.ensemble.stat().st_size) + [
        h5m.deleted("/summary/national/population/median"), h5m.deleted("/meta"),
        h5m.attribute_set("/meta", "replicates", np.int64(1)), h5m.attribute_set("/meta", "format", np.bytes_(b"other")),
        h5m.dataset_replaced("/years", lambda v: v[::-1].copy(), "reversed"),
        h5m.dataset_replaced("/regions/code", lambda v: v[:-1], "one region short"),
        h5m.values_changed("/summary/national/population/median", lambda v: v * np.nan, "all NaN"),
        h5m.values_changed("/summary/national/population/lo95", h5m.set_at(1, np.inf), "an infinity"),
        h5m.values_changed("/summary/national/population/hi95", h5m.set_at(1, -5.0), "a count -5"),
        tm.as_directory(), tm.swapped_with(fx.results_a)]
    step = tool_step("report.py", tool_args("report.py") + ("--ensemble", "{dir}/ens/ensemble.h5"), ("ensemble.h5",))
    for mutation in damage:
        add("report.py", "ens/ensemble.h5", mutation, step, prefix="ens")


def add_analysis_output_cases(cases: CaseList, fx: Fixtures):
    """Outputs that exist, are inputs, are being written by another process or are no regular
    files; options out of range; analysis/run_scenarios.sh."""
    def add(tool, kind, *steps, setup=None, tag="", essential=False):
        mutation = "; ".join(f"{s.tool} " + " ".join(s.args) for s in steps)
        cases.add("analysis", tool, kind, mutation, preparing(fx, "", None, analysis_files(fx), setup), steps,
                  essential, tag)
    for tool, (_, option, out) in TOOLS.items():
        if not option:
            continue
        existing = out + FOLDER_FILE[out] if out.endswith("/") else out
        name = Path(existing).name
        add(tool, "out-exists", tool_step(tool, tool_args(tool), (name,), REFUSE), setup=write(existing, b"old\n"))
        add(tool, "out-exists-overwrite", tool_step(tool, tool_args(tool) + ("--overwrite",), (), OK,
                                                    may_write=(existing,)), setup=write(existing, b"old\n"))
        lock = out + ".popsim.lock" if out.endswith("/") else "." + out + ".lock"
        add(tool, "out-locked", tool_step(tool, tool_args(tool), ("being written by another process",), REFUSE,
                                          lock_held=lock), setup=lambda d, out=out: (d / out).mkdir(exist_ok=True)
            if out.endswith("/") else None,
            essential=True)
        add(tool, "out-dev-null", tool_step(tool, tool_args(tool, "/dev/null") + ("--overwrite",), ("/dev/null",), REFUSE))
        if out.endswith("/"):
            add(tool, "out-not-regular", tool_step(tool, tool_args(tool, "{dir}/afile"), ("afile",), REFUSE),
                setup=write("afile"))
            add(tool, "out-new-folder", tool_step(tool, tool_args(tool, "{dir}/a/b/c"), (), OK))
        else:
            add(tool, "out-not-regular", tool_step(tool, tool_args(tool, "{dir}/adir") + ("--overwrite",), ("adir",),
                                                   REFUSE), setup=lambda d: (d / "adir").mkdir())
            add(tool, "out-new-folder", tool_step(tool, tool_args(tool, "{dir}/nodir/" + out), ("nodir",), REFUSE))
    # An output that is one of the inputs, even with --overwrite.
    over = ("--overwrite",)
    is_input = {
        "report.py": (("{dir}/report/summary.md",), "report/summary.md"),
        "export.py": (("{dir}/csv/population.csv",), "csv/population.csv"),
        "compare_scenarios.py": ((OTHER, "{dir}/compare/summary.md"), "compare/summary.md"),
    }
    for tool, (inputs, rel) in is_input.items():
        add(tool, "out-is-input", tool_step(tool, tool_args(tool, inputs=inputs) + over, ("input",), REFUSE),
            setup=lambda d, rel=rel: copy_to(fx.results_a, d / rel))
    add("score.py", "out-is-input", tool_step("score.py", tool_args("score.py", RESULTS) + over, ("input",), REFUSE))
    add("score.py", "out-is-input", tool_step("score.py", tool_args("score.py", "{dir}/obs/" + OBSERVED) + over,
                                              ("input",), REFUSE), tag="observed")
    add("pyramid.py", "out-is-input", tool_step("pyramid.py", tool_args("pyramid.py", RESULTS) + over, ("input",),
                                                REFUSE))
    add("start_state.py", "out-is-input", tool_step("start_state.py", tool_args("start_state.py", "{dir}/in/regions.csv")
                                                    + over, ("input",), REFUSE))
    add("export.py", "out-is-inputs-folder", tool_step("export.py", tool_args("export.py", "{dir}/in"), ("regions.csv",),
                                                       REFUSE))
    # Options.
    options = [("report.py", ("--map-years", "2099"), ("--map-years",)), ("report.py", ("--map-years", "x"), ("--map-years",)),
               ("report.py", ("--geojson", "{dir}/in/regions.csv"), ("--geojson",)),
               ("report.py", ("--scaling", "{dir}/in/baseline.toml"), ("--scaling",)),
               ("report.py", ("--assumptions", RESULTS), ("--assumptions",)), ("report.py", ("--ensemble", RESULTS), ("rep-a",)),
               ("compare_scenarios.py", ("--years", "x"), ("--years",)),
               ("score.py", ("--population", "bogus"), ("--population",)),
               ("migration_targets.py", ("--year", "2023"), ("start state",)),
               ("migration_targets.py", ("--year", "2099"), ("2099",)), ("pyramid.py", ("--year", "2099"), ("2099",))]
    options += [(tool, ("--bogus",), ("--bogus",)) for tool in TOOLS]
    for tool, extra, names in options:
        add(tool, "option", tool_step(tool, tool_args(tool) + extra, names, REFUSE), tag=extra[0].strip("-"))
    add("score.py", "option", tool_step("score.py", (RESULTS, "--households", "{dir}/obs", "--year", "2023"), ("2022",),
                                        REFUSE), tag="households")
    add("pyramid.py", "option", tool_step("pyramid.py", tool_args("pyramid.py", inputs=(POPULATION,)) + ("--year", "2024"),
                                          ("--year",), REFUSE), tag="population-year")
    add_run_scenarios_cases(add, fx)


def add_run_scenarios_cases(add, fx):
    """analysis/run_scenarios.sh on the case's inputs: one scenario, a tiny sample."""
    env = ("POPSIM={popsim}", "MPIEXEC={mpiexec}", "POPSIM_RANKS=1", "INPUTS={dir}/in", "SCENARIOS=baseline",
           "OUT={dir}/scen")
    small = ("--scale", SCALE, "--years", "2")

    def step(args, names, expect, **more):
        return tool_step("run_scenarios.sh", args, names, expect, env=env, **more)
    docs = small + ("--docs", "{dir}/docs")
    results = lambda d: copy_to(fx.results_a, d / "scen/baseline/results.h5")  # noqa: E731
    add("run_scenarios.sh", "valid", step(docs, (), OK, says="compare_scenarios: 1 runs"), essential=True)
    add("run_scenarios.sh", "option", step(small, ("--docs",), REFUSE), tag="no-docs")
    add("run_scenarios.sh", "option", step(small[:2] + ("--years", "x", "--docs", "{dir}/docs"), ("--years",), REFUSE),
        tag="years")
    add("run_scenarios.sh", "option", step(("--bogus",), ("--bogus",), REFUSE), tag="bogus")
    add("run_scenarios.sh", "out-exists", step(docs, ("results.h5",), REFUSE), setup=results)
    add("run_scenarios.sh", "out-exists", step(docs, ("summary.md",), REFUSE), setup=write("docs/summary.md"), tag="docs")
    add("run_scenarios.sh", "out-exists-overwrite", step(docs + ("--overwrite",), (), OK,
                                                         may_write=("scen/baseline/results.h5",)), setup=results)
    add("run_scenarios.sh", "out-locked", step(docs, ("being written by another process",), REFUSE,
                                               lock_held="docs/.popsim.lock"),
        setup=lambda d: (d / "docs").mkdir())


def copy_to(source: Path, destination: Path):
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, destination)


def all_cases(fx: Fixtures, seed: int):
    cases = CaseList(seed)
    add_table_cases(cases, fx)
    add_config_cases(cases, fx)
    add_scenario_cases(cases, fx)
    add_checkpoint_cases(cases, fx)
    add_population_cases(cases, fx)
    add_results_cases(cases, fx)
    add_cli_cases(cases, fx)
    add_analysis_input_cases(cases, fx)
    add_analysis_output_cases(cases, fx)
    return cases.cases


def default_selection(cases, seed):
    """A stratified sample: in each family, DEFAULT_SHARE of the cases of each kind (at least one),
    drawn with the seed, plus the essential cases; in the catalogue's order."""
    groups = {}
    for case in cases:
        groups.setdefault((case.family, case.kind), []).append(case)
    keep = set()
    for (family, kind), group in groups.items():
        n = max(1, round(DEFAULT_SHARE.get(family, 1.0) * len(group)))
        keep.update(c.id for c in random.Random(f"{seed}:select:{family}:{kind}").sample(group, n))
    return [c for c in cases if c.id in keep or c.essential]
