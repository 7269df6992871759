"""The fixed list of fuzz cases: every input table, the configuration, a scenario and the
assumption table it names, a checkpoint, a synthesised population, a results file, and the
command line, each mutated in many ways.

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
                 "population": 0.5, "results": 0.6, "cli": 1.0}

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
        mpi = self.rng("mpi", case_id).random() < MPI_SHARE
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


def all_cases(fx: Fixtures, seed: int):
    cases = CaseList(seed)
    add_table_cases(cases, fx)
    add_config_cases(cases, fx)
    add_scenario_cases(cases, fx)
    add_checkpoint_cases(cases, fx)
    add_population_cases(cases, fx)
    add_results_cases(cases, fx)
    add_cli_cases(cases, fx)
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
