"""Running one fuzz case and judging what popsim did.

A case prepares its own directory (a copy of the inputs, fixture files, a mutation), then runs
its steps: popsim commands or analysis tools (analysis/*.py, analysis/run_scenarios.sh), each
with the exit codes it may end with and the names an error message must contain. The contract
checked for every step (docs/cli.md, docs/files.md "Analysis tools"):
  - the command ends by itself (no hang), with exit code 0 or 2 (never a signal, an abort or 1);
  - exit 2 comes with a 'popsim: error:' line (an analysis tool: a line starting 'error:') that
    names the damaged file or the option;
  - no sanitizer report, HDF5 error stack, uncaught exception, Python traceback or MPI_ABORT on
    stderr;
  - every file that existed before the step still exists with the same content;
  - an analysis tool leaves no temporary (*.partial) file, and when it refuses (exit 2) no new
    file but its lock files; on exit 0 its output says what a step requires (e.g. that the run
    is incomplete);
  - a run that succeeds leaves a complete results.h5 without NaN or negative counts and, at the
    test scale, with births and deaths every year and no jump of the population.
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import h5py
import numpy as np

OK, REFUSED, FAIL = "ok-run", "refused-exit-2", "FAIL"

# Markers of failures that exit codes may hide: sanitizers, HDF5's own error stack printed past
# popsim's handler, an uncaught C++ exception, and a job ended by MPI_Abort.
FORBIDDEN_STDERR = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "HDF5-DIAG", "terminate called",
                    "MPI_ABORT", "Traceback")
HOLD_LOCK = Path(__file__).resolve().parent / "hold_lock.py"


@dataclass(frozen=True)
class Step:
    """One popsim command or analysis tool of a case. `args` may hold '{dir}' (the case's directory)."""
    label: str                          # check, run, info, restart-file, restart-dir, merge, ...
    args: tuple
    names: tuple                        # an exit-2 message must contain one of these
    expect: frozenset = frozenset({0, 2})
    results: Optional[str] = None       # an output directory whose results.h5 must be valid after exit 0
    strict_results: bool = True         # also require plausible numbers (not for tiny samples)
    after_success_of: Optional[str] = None  # run only if this earlier step exited 0
    may_write: tuple = ()               # pre-existing files (relative to the case dir) it may replace
    tool: Optional[str] = None          # an analysis tool (a file of analysis/) run instead of popsim
    lock_held: Optional[str] = None     # a lock file (relative to the case dir) another process holds meanwhile
    says: str = ""                      # text that stdout must contain after exit 0
    env: tuple = ()                     # NAME=VALUE settings of a tool's environment ('{popsim}', '{mpiexec}' too)


@dataclass(frozen=True)
class Case:
    id: str
    family: str                         # table, config, scenario, checkpoint, population, results, cli
    kind: str                           # the kind of mutation: truncate, nan, as-directory, ...
    target: str                         # the file (or option) under test
    mutation: str                       # what exactly was done to it
    prepare: Callable[[Path], None]     # builds the case's directory
    steps: tuple
    mpi: bool = False                   # run every step under mpiexec -n 2
    essential: bool = False             # kept in the default (sampled) selection


@dataclass
class StepResult:
    label: str
    argv: list
    exit_code: Optional[int]            # None: killed after the timeout
    seconds: float
    failures: list = field(default_factory=list)  # (reason, detail)
    skipped: bool = False
    stderr_tail: str = ""


@dataclass
class CaseResult:
    case: Case
    steps: list
    seconds: float
    outcome: str = OK
    reason: str = ""

    @property
    def failures(self):
        return [(s, reason, detail) for s in self.steps for reason, detail in s.failures]


@dataclass(frozen=True)
class Runner:
    """How to start popsim and the analysis tools: the binary, mpiexec, the folder of the tools
    and their Python, the environment, the time limit per command."""
    popsim: str
    mpiexec: str
    timeout: float
    env: dict
    analysis: str = ""
    python: str = "/usr/bin/python3"

    def argv(self, step: Step, case_dir: Path, mpi: bool):
        def expand(text):
            return text.replace("{dir}", str(case_dir)).replace("{popsim}", self.popsim).replace("{mpiexec}", self.mpiexec)
        args = [expand(a) for a in step.args]
        if step.tool:
            tool = str(Path(self.analysis) / step.tool)
            env = ["env", *map(expand, step.env)] if step.env else []
            command = env + ([tool] if tool.endswith(".sh") else [self.python, tool]) + args
            held = [self.python, str(HOLD_LOCK), str(case_dir / step.lock_held)] if step.lock_held else []
            return held + command
        prefix = [self.mpiexec, "-n", "2", "--oversubscribe", "--bind-to", "none"] if mpi else []
        return prefix + [self.popsim] + args

    def run(self, argv, mpi, cwd):
        env = dict(self.env, OMP_NUM_THREADS="1" if mpi else "2")
        start = time.monotonic()
        # A session of its own, so that a hung mpiexec and its ranks can be killed together.
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = process.communicate(timeout=self.timeout)
            code = process.returncode
        except subprocess.TimeoutExpired:
            kill_session(process.pid)
            out, err = process.communicate()
            code = None
        return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - start


def kill_session(sid):
    """SIGKILL to every process of session `sid` (one started by Runner.run): mpiexec gives each rank
    a process group of its own, but they all stay in its session. mpiexec may ignore SIGTERM."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (command)"
            if int(fields[3]) == sid:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass  # the process ended meanwhile


# --- Files that existed before a step ---------------------------------------------------------------

def snapshot(root: Path):
    """relative path -> content hash ('dir', 'link:TARGET' or 'special' for other kinds)."""
    state = {}
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            path = Path(directory, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                state[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                state[rel] = "dir"
            elif path.is_file():
                state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[rel] = "special"
    return state


def changed_files(before, after, may_write):
    """Failures for every pre-existing entry that was deleted or changed (unless allowed): popsim
    must never damage an input, a checkpoint or an earlier output, whatever it was given."""
    failures = []
    for rel, digest in before.items():
        if rel in may_write:
            continue
        if rel not in after:
            failures.append(("deleted a pre-existing file", rel))
        elif after[rel] != digest:
            failures.append(("changed a pre-existing file", rel))
    return failures


# --- The exit code and stderr ---------------------------------------------------------------------

def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def exit_failures(step: Step, code, stderr, mpi):
    """The exit-code contract: a reason for every way the exit code breaks it."""
    if code is None:  # a deadlock (e.g. one rank waiting in a collective another left) or a loop
        return [("hang (killed after the timeout)", "")]
    if code < 0:  # a memory error, an assertion or an uncaught exception ended the process
        return [(f"killed by {signal_name(-code)}", "")]
    mpi_signal = re.search(r"exited on signal (\d+)", stderr)
    if mpi_signal:  # the same under mpiexec, which reports the rank's signal and exits with its own code
        return [(f"killed by {signal_name(int(mpi_signal.group(1)))} (under mpiexec)", f"exit {code}")]
    if code == 134 or (mpi and code > 128):
        return [("abort (exit 134)" if code == 134 else f"killed by {signal_name(code - 128)} (under mpiexec)",
                 f"exit {code}")]
    if code in step.expect:
        return []
    if code == 1:  # exit 1 means an internal or system failure: bad input must never end so
        return [("exit 1", first_error_line(stderr))]
    if code == 0:  # an input that the documentation says is invalid was accepted
        return [("exit 0 where 2 was expected (invalid input accepted)", "")]
    if code == 2:  # a valid input or option was refused
        return [("exit 2 where 0 was expected", first_error_line(stderr))]
    return [(f"exit {code}", first_error_line(stderr))]


def first_error_line(stderr):
    lines = [l for l in stderr.splitlines() if "error" in l.lower()] or stderr.splitlines()[-1:]
    return lines[0][:300] if lines else ""


def message_failures(step: Step, code, stderr, case_dir: Path):
    """Exit 2 must come with a 'popsim: error:' line (an analysis tool's: 'error:') naming the file
    or option, so that a user knows what to fix (a message about another file, e.g. a cross-table
    check that blames the table that was not changed, is reported as such)."""
    if code != 2:
        return []
    # An analysis tool's own refusal, or that of a popsim command it runs (run_scenarios.sh).
    prefix = ("error:", "popsim: error:") if step.tool else ("popsim: error:",)
    # Paths are compared below the case's directory, whose name (the case id) must not count.
    lines = [l.replace(f"{case_dir}/", "") for l in stderr.splitlines() if l.startswith(prefix)]
    if not lines:
        return [(f"exit 2 without a '{prefix[0]}' line", first_error_line(stderr))]
    if not any(name in line for line in lines for name in step.names):
        if re.search(r"\.(csv|toml|h5)\b", lines[0]):
            return [("exit 2 but the message names another file", lines[0][:300])]
        return [("exit 2 but the message does not name the file/option", lines[0][:300])]
    return []


def stderr_failures(stderr):
    """Failures that an exit code can hide (FORBIDDEN_STDERR)."""
    return [(f"stderr shows {marker}", first_line_with(stderr, marker)) for marker in FORBIDDEN_STDERR
            if marker in stderr]


def first_line_with(text, marker):
    return next((l[:300] for l in text.splitlines() if marker in l), "")


# --- The results of a run that succeeded ------------------------------------------------------------

SIGNED_DATASETS = ("extinction/", "aggregates/", "performance/", "regions/", "provinces/", "years")


def results_failures(path: Path, strict: bool):
    """A run that exits 0 must leave a complete, sane results.h5."""
    if not path.is_file():
        return [("exit 0 but no results.h5", str(path))]
    problems = []
    try:
        with h5py.File(path, "r") as f:
            if int(f["/meta"].attrs.get("complete", 0)) != 1:
                problems.append(("results: /meta complete != 1", ""))
            f.visititems(lambda name, obj: problems.extend(dataset_problems(name, obj, strict)))
            if strict:
                problems += plausibility_problems(f)
    except Exception as error:  # noqa: BLE001 -- an unreadable file is the finding
        problems.append(("results.h5 unreadable", str(error)[:200]))
    return problems


def dataset_problems(name, obj, strict):
    if not isinstance(obj, h5py.Dataset) or obj.dtype.kind not in "iuf" or name.startswith("performance/"):
        return []
    values = obj[()]
    if values.dtype.kind == "f" and not np.isfinite(values).all() and (strict or name.endswith("population")):
        return [("results: NaN or inf in a float dataset", f"/{name}")]
    if values.dtype.kind in "i" and not name.startswith(SIGNED_DATASETS) and (values < 0).any():
        return [("results: negative counts", f"/{name}")]
    return []


def plausibility_problems(f):
    """At the test scale (0.002: about 106,000 agents) every simulated year has births and deaths,
    and the population changes by less than 10% a year."""
    population = f["/population"][()].sum(axis=(1, 2, 3)).astype(float)
    births = f["/births"][()].sum(axis=(1, 2))[1:]
    deaths = f["/deaths"][()].sum(axis=(1, 2, 3))[1:]
    problems = []
    if (births == 0).any():
        problems.append(("results: a simulated year without births", f"births {births.tolist()}"))
    if (deaths == 0).any():
        problems.append(("results: a simulated year without deaths", f"deaths {deaths.tolist()}"))
    if population[0] <= 0 or (np.abs(np.diff(population)) > 0.1 * population[:-1]).any():
        problems.append(("results: population changes by more than 10% a year", f"population {population.tolist()}"))
    return problems


# --- A whole case -------------------------------------------------------------------------------------

def run_case(case: Case, runner: Runner, work: Path, keep=False):
    """Prepares the case's directory, runs its steps and judges them; removes the directory unless
    `keep`."""
    case_dir = work / case.id
    start = time.monotonic()
    try:
        case.prepare(case_dir)
    except Exception as error:  # noqa: BLE001 -- a harness bug, reported as such
        step = StepResult("prepare", [], None, 0.0, [("harness: preparing the case failed", repr(error))])
        return judged(CaseResult(case, [step], time.monotonic() - start))
    results, codes = [], {}
    for step in case.steps:
        if step.after_success_of and codes.get(step.after_success_of) != 0:
            continue
        result = run_step(step, case, case_dir, runner)
        codes[step.label] = result.exit_code
        results.append(result)
    if not keep:
        shutil.rmtree(case_dir, ignore_errors=True)
    return judged(CaseResult(case, results, time.monotonic() - start))


def tool_failures(step: Step, code, out, before, after):
    """An analysis tool leaves no temporary file, writes nothing but lock files when it refuses,
    and says what the step requires when it succeeds."""
    new = [rel for rel in after if rel not in before and after[rel] != "dir"]
    failures = [("left a temporary file", rel) for rel in new if rel.endswith(".partial")]
    if code == 2:
        failures += [("wrote a file before refusing", rel) for rel in new
                     if not rel.endswith(".lock") and not rel.endswith(".partial")]
    if code == 0 and step.says and step.says not in out:
        failures.append(("exit 0 without saying " + repr(step.says), out.strip().splitlines()[-1][:300] if out.strip() else ""))
    return failures


def run_step(step: Step, case: Case, case_dir: Path, runner: Runner):
    before = snapshot(case_dir)
    argv = runner.argv(step, case_dir, case.mpi)
    code, out, err, seconds = runner.run(argv, case.mpi, case_dir)
    failures = exit_failures(step, code, err, case.mpi) + message_failures(step, code, err, case_dir)
    failures += stderr_failures(err)
    after = snapshot(case_dir)
    failures += changed_files(before, after, step.may_write)
    if step.tool:
        failures += tool_failures(step, code, out, before, after)
    if code == 0 and step.results:
        failures += results_failures(case_dir / step.results / "results.h5", step.strict_results)
    return StepResult(step.label, argv, code, seconds, failures, stderr_tail=err[-2000:])


def judged(result: CaseResult):
    """The case's outcome: FAIL on the first failure of any step, otherwise refused when a step
    exited with 2, otherwise ok."""
    failures = result.failures
    if failures:
        step, reason, _detail = failures[0]
        result.outcome, result.reason = FAIL, f"{step.label}: {reason}"
    elif any(s.exit_code == 2 for s in result.steps):
        result.outcome = REFUSED
    return result
