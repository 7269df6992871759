#!/usr/bin/python3
"""Fuzzing popsim's inputs: every input table, the configuration, a scenario and its assumption
table, a checkpoint, a synthesised population, a results file and the command line are mutated in
many ways (truncation, bit flips, deleted rows and columns, NaN and inf, extremes, wrong types,
swapped files, directories, /dev/zero, ...), and for each case popsim must either run validly or
refuse with exit code 2 and a message naming the file or option: never a signal, an abort,
exit 1 or a hang, and never a changed or deleted file that existed before (tests/fuzz/harness.py
states the assertions; tests/fuzz/cases.py lists the cases). The analysis tools (analysis/) are
held to the same contract on damaged, foreign and unfinished files and on outputs that exist,
are inputs or are locked (family 'analysis': --only analysis runs those alone).

Usage: /usr/bin/python3 tests/fuzz/fuzz.py [--full] [--jobs N] [--seed S] [--cases N] [--only REGEX] [--keep] [--list]

By default a stratified sample of the catalogue runs (every kind of mutation on a share of the
targets, about 600 cases in about 5 minutes with 2 jobs, of which about 60 analysis cases in about
30 s); --full runs all of it (about 1,470 cases, 450 of them of the analysis tools).

Environment: POPSIM (the binary; default build/src/popsim), MPIEXEC (default: mpiexec on PATH),
POPSIM_SOURCE_DIR (default: this repository), FUZZ_FULL=1 (--full), FUZZ_JOBS (parallel cases, default 2), FUZZ_SEED
(default 1), FUZZ_CASES (run an evenly spread subset of this many cases), FUZZ_TIMEOUT (seconds
per popsim command, default 60), FUZZ_SUMMARY (the JSON summary; default fuzz-summary.json in
the working directory). Prints one line per case and a summary; exits 1 if any case fails.
To reproduce one case and look at its files: fuzz.py --only 'CASE_ID$' --keep.
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import SCALE, Fixtures, all_cases, default_selection  # noqa: E402
from harness import FAIL, OK, REFUSED, Runner, run_case  # noqa: E402

SOURCE_DIR = Path(os.environ.get("POPSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
INPUTS = SOURCE_DIR / "inputs" / "korea"
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}


def options():
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=int(env("FUZZ_JOBS", "2")), help="cases run in parallel")
    p.add_argument("--seed", type=int, default=int(env("FUZZ_SEED", "1")), help="the seed of the case list")
    p.add_argument("--cases", type=int, default=int(env("FUZZ_CASES", "0")), help="run at most this many (0: all)")
    p.add_argument("--timeout", type=float, default=float(env("FUZZ_TIMEOUT", "60")), help="seconds per command")
    p.add_argument("--full", action="store_true", default=env("FUZZ_FULL", "") not in ("", "0"),
                   help="run the whole catalogue (default: a stratified sample of it, about 4 minutes)")
    p.add_argument("--only", help="run the cases of the whole catalogue whose id matches this regular expression")
    p.add_argument("--keep", action="store_true", help="keep the work directory and print where it is")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--summary", default=env("FUZZ_SUMMARY", "fuzz-summary.json"), help="JSON summary file")
    return p.parse_args()


# --- Setup -------------------------------------------------------------------------------------------

def make_runner(work: Path, timeout):
    """popsim and the analysis tools are copied into the work directory, so that a rebuild or an
    edit during the suite changes nothing."""
    popsim = Path(os.environ.get("POPSIM", SOURCE_DIR / "build" / "src" / "popsim"))
    mpiexec = os.environ.get("MPIEXEC") or shutil.which("mpiexec") or "mpiexec"
    if not popsim.is_file():
        sys.exit(f"fuzz: no popsim binary at {popsim} (build it or set POPSIM)")
    copy = work / "bin" / "popsim"
    copy.parent.mkdir()
    shutil.copy2(popsim, copy)
    analysis = work / "analysis"
    shutil.copytree(SOURCE_DIR / "analysis", analysis, ignore=shutil.ignore_patterns("__pycache__"))
    return Runner(str(copy), mpiexec, timeout, dict(os.environ, **MPI_ENV), str(analysis))


def copy_inputs(destination: Path):
    destination.mkdir(parents=True)
    for path in list(INPUTS.glob("*.csv")) + list(INPUTS.glob("*.toml")):
        shutil.copy2(path, destination / path.name)
    shutil.copytree(INPUTS / "scenarios", destination / "scenarios")


def fixture(runner, root, *args):
    """Runs popsim to make a fixture; the suite cannot start without it."""
    code, _out, err, _seconds = runner.run([runner.popsim, *map(str, args)], False, root)
    if code != 0:
        sys.exit(f"fuzz: making a fixture failed (exit {code}): popsim {shlex.join(map(str, args))}\n{err[-3000:]}")


def build_fixtures(runner, root: Path):
    inputs = root / "in"
    copy_inputs(inputs)
    config = inputs / "baseline.toml"
    with open(config, "rb") as f:
        seed_b = tomllib.load(f)["run"]["seed"] + 1
    fixture(runner, root, "check", config)
    fixture(runner, root, "synthesize", config, "--scale", SCALE, "--out", root / "base.h5")
    fixture(runner, root, "run", config, "--years", 3, "--scale", SCALE, "--checkpoint-every", 1,
            "--out", root / "run-a")
    fixture(runner, root, "run", config, "--years", 3, "--scale", SCALE, "--seed", seed_b, "--out", root / "run-b")
    fixture(runner, root, "merge", "--out", root / "ensemble.h5", root / "run-a" / "results.h5",
            root / "run-b" / "results.h5")
    shutil.copytree(INPUTS / "observed", root / "observed")
    return Fixtures(inputs, root / "base.h5", root / "run-a" / "checkpoints", root / "run-a" / "results.h5",
                    root / "run-b" / "results.h5", seed_b, root / "ensemble.h5", root / "observed")


def inputs_digest():
    """A hash of the repository's inputs: the suite must never change them."""
    h = hashlib.sha256()
    for path in sorted(INPUTS.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(INPUTS)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def selected(cases, args):
    if args.only:
        cases = [c for c in cases if re.search(args.only, c.id)]
    elif not args.full:
        cases = default_selection(cases, args.seed)
    if args.cases and args.cases < len(cases):
        step = len(cases) / args.cases
        cases = [cases[int(i * step)] for i in range(args.cases)]
    return cases


# --- Reporting ---------------------------------------------------------------------------------------

def exit_codes(result):
    return " ".join(f"{s.label}={'hang' if s.exit_code is None else s.exit_code}" for s in result.steps)


def case_line(n, total, result):
    case = result.case
    mpi = " [np2]" if case.mpi else ""
    outcome = result.outcome + (f" ({result.reason})" if result.reason else "")
    return (f"{n:4d}/{total} {case.id:<48} {case.target:<28} {case.mutation:<60} "
            f"{exit_codes(result):<22} {result.seconds:5.1f}s {outcome}{mpi}")


def failure_details(result):
    lines = []
    for step, reason, detail in result.failures:
        lines.append(f"          {step.label}: {reason}" + (f": {detail}" if detail else ""))
    failing = {id(step): step for step, _, _ in result.failures}
    for step in failing.values():
        if step.argv:
            lines.append(f"          command: {shlex.join(step.argv)}")
        lines += [f"          stderr: {line[:300]}" for line in step.stderr_tail.strip().splitlines()[-3:]]
    return lines


def summary(results, args, seconds, inputs_changed):
    outcomes = Counter(r.outcome for r in results)
    reasons = Counter(r.reason for r in results if r.outcome == FAIL)
    by_family = defaultdict(Counter)
    for r in results:
        by_family[r.case.family][r.outcome] += 1
    return {
        "seed": args.seed, "jobs": args.jobs, "cases": len(results), "wall_seconds": round(seconds, 1),
        "mpi_cases": sum(r.case.mpi for r in results),
        "outcomes": {k: outcomes.get(k, 0) for k in (OK, REFUSED, FAIL)},
        "fail_reasons": dict(reasons.most_common()),
        "by_family": {family: dict(counts) for family, counts in sorted(by_family.items())},
        "repository_inputs_changed": inputs_changed,
        "failures": [{"id": r.case.id, "target": r.case.target, "mutation": r.case.mutation, "mpi": r.case.mpi,
                      "reason": r.reason, "exit_codes": exit_codes(r),
                      "details": [f"{s.label}: {reason}: {detail}" for s, reason, detail in r.failures],
                      "commands": [shlex.join(s.argv) for s in r.steps],
                      "stderr_tails": {s.label: s.stderr_tail[-1000:] for s in r.steps if s.failures}}
                     for r in results if r.outcome == FAIL],
    }


def print_summary(s):
    o = s["outcomes"]
    print(f"\nfuzz: {s['cases']} cases ({s['mpi_cases']} under mpiexec -n 2) in {s['wall_seconds']} s "
          f"with {s['jobs']} jobs, seed {s['seed']}: {o[OK]} {OK}, {o[REFUSED]} {REFUSED}, {o[FAIL]} {FAIL}")
    for family, counts in s["by_family"].items():
        print(f"  {family:<16} " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if s["fail_reasons"]:
        print("FAIL by reason:")
        for reason, n in s["fail_reasons"].items():
            print(f"  {n:5d}  {reason}")
    if s["repository_inputs_changed"]:
        print("FAIL: the repository's inputs/korea changed during the suite")
    failed = o[FAIL] + (1 if s["repository_inputs_changed"] else 0)
    print(f"{s['cases'] - o[FAIL]} passed, {failed} failed")


# --- Main ----------------------------------------------------------------------------------------------

def main():
    args = options()
    work = Path(tempfile.mkdtemp(prefix="popsim-fuzz-"))
    try:
        return fuzz(args, work)
    finally:
        if args.keep:
            print(f"fuzz: the work directory is kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def fuzz(args, work: Path):
    digest = inputs_digest()
    runner = make_runner(work, args.timeout)
    fx = build_fixtures(runner, work / "fixtures")
    cases = selected(all_cases(fx, args.seed), args)
    if args.list:
        for case in cases:
            print(f"{case.id:<48} {case.target:<28} {case.mutation}{' [np2]' if case.mpi else ''}")
        return 0
    print(f"fuzz: {len(cases)} cases, seed {args.seed}, {args.jobs} jobs, popsim {runner.popsim}", flush=True)
    cases_dir = work / "cases"
    cases_dir.mkdir()
    start = time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for n, result in enumerate(pool.map(lambda c: run_case(c, runner, cases_dir, args.keep), cases), 1):
            results.append(result)
            print(case_line(n, len(cases), result), flush=True)
            if result.outcome == FAIL:
                print("\n".join(failure_details(result)), flush=True)
    s = summary(results, args, time.monotonic() - start, inputs_digest() != digest)
    Path(args.summary).write_text(json.dumps(s, indent=1) + "\n")
    print_summary(s)
    print(f"fuzz: summary written to {Path(args.summary).resolve()}")
    return 1 if s["outcomes"][FAIL] or s["repository_inputs_changed"] else 0


if __name__ == "__main__":
    sys.exit(main())
