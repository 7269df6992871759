#!/usr/bin/python3
"""Fault injection: popsim and the analysis tools on a machine that fails under them.

The contract checked (docs/cli.md, docs/files.md; issue 20 item 7):
  - every write failure (ENOSPC on a full disk, EFBIG past `ulimit -f`, EROFS when the file system
    turns read-only mid-run, EDQUOT past a quota) ends the command with exit code 1 and a line
    `popsim: error: writing FILE: REASON` (an analysis tool's: `error: writing FILE: REASON`),
    REASON the strerror text; on 1 and on 2 MPI ranks; never a signal (no exit code above 128),
    never a hang; the checkpoints and outputs that existed before are unchanged and no `*.partial`
    file is left; a results.h5 left by a run that failed mid-run says so (`popsim info`:
    `  status: incomplete: written up to YEAR of END`, no row past YEAR); a failing creation of
    results.h5 removes it;
  - one writer per output: a second popsim command or analysis tool on an output that another
    process is writing is refused with exit code 2 naming the holder (`is being written by
    another process (pid ...`);
  - restart safety: `run --restart` into a directory that holds another run's results, or `run`
    into one that holds results, is refused (exit 2) unless --overwrite; a run killed with SIGKILL
    during synthesis, during a year or while writing a checkpoint and restarted from
    DIR/checkpoints ends with results identical to an uninterrupted run (h5diff of every dataset
    but /meta and /performance), and `popsim info` on the killed run's results.h5 says it is
    incomplete or refuses with exit code 2;
  - sizes are checked before allocation: a small file whose dataset declares 2^31 elements is
    refused by `popsim info` and `popsim run --restart` (exit 2, naming the dataset) quickly and
    under `ulimit -v 4000000`.

Mechanisms: tmpfs mounts sized so that the write fails where intended (creation, the end of the
run, a checkpoint) or filled by another process mid-run; `ulimit -f` (EFBIG); an ext4 loop file
system mounted with errors=remount-ro and turned read-only mid-run (the kernel refuses
`mount -o remount,ro` with EBUSY while a file is open for writing, and popsim holds its lock file
and results.h5 open all run: tried first, then /sys/fs/ext4/DEV/trigger_fs_error, after which
every write fails with EROFS); a btrfs loop file system with a qgroup limit (EDQUOT; needs
mkfs.btrfs from btrfs-progs). Without root (mount not permitted, or FAULTS_NO_MOUNT=1) the
full-disk cases use `ulimit -f` instead and the EROFS/EDQUOT cases are reported as not run:
nothing is skipped silently. Every mount is removed when the suite ends (test_faults.sh unmounts
what is left). `ulimit -f` below about 4 MiB stops Open MPI's MPI_Init itself (its shared-memory
files), so EFBIG is not made for merge (its ensemble.h5 is a few hundred KiB): a tmpfs is.

Usage: /usr/bin/python3 tests/faults/faults.py [--only REGEX] [--keep] [--list] [--work DIR]
Environment: POPSIM (default build/src/popsim), MPIEXEC (default mpiexec on PATH), POPSIM_SOURCE_DIR,
FAULTS_TIMEOUT (seconds per command, default 60), FAULTS_NO_MOUNT=1 (behave as without root). Prints one line per case (name, outcome,
seconds, what happened), details under a failing case, and a summary; exits 1 if any case fails.
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import h5py

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
from harness import HOLD_LOCK, kill_session, results_failures, signal_name, snapshot, stderr_failures  # noqa: E402

SOURCE_DIR = Path(os.environ.get("POPSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
CONFIG = SOURCE_DIR / "inputs" / "korea" / "baseline.toml"
SCALE = "0.01"
YEARS = 4                    # 2024..2027
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
ENOSPC, EFBIG, EROFS, EDQUOT = (os.strerror(e) for e in (28, 27, 30, 122))
# `[popsim: ]error: [(rank R) ]writing FILE: REASON[ (explanation)]`: REASON is the strerror text.
WRITE_ERROR = re.compile(r"^(?:popsim: )?error: (?:\(rank \d+\) )?writing (.+?): ([^:()]+?)(?: \(.*\))?$")
# `  status: incomplete: written up to YEAR of END[ (what to do)]`
STATUS = re.compile(r"^  status: incomplete: written up to (\d{4}) of (\d{4})(?: \(.*\))?$")
HUGE = 2 ** 31
VMEM_KB = 4000000


class CaseFailed(Exception):
    pass


class NotRun(Exception):
    """The case cannot be made on this machine (said in its line)."""


# Open MPI's MPI_Init (also a singleton's) fails below a file-size limit of about 4 MiB (its
# shared-memory backing files), so `ulimit -f` cases of popsim stay above this.
MPI_MIN_FSIZE_KB = 4096
# A failed write ends the command promptly (these commands take 1-3 s): popsim's ranks agree on a
# failure at once, and wait for each other only as a last resort (kWriteFailurePatienceSeconds,
# 30 s, then MPI_Abort), which means that a rank did not take part in the agreement.
PROMPT_SECONDS = 15


@dataclass
class Result:
    argv: list
    code: object            # None: killed after the timeout
    out: str
    err: str
    seconds: float
    mpi: bool = False

    def describe(self):
        code = "hang" if self.code is None else self.code
        lines = ([l for l in self.err.splitlines() if l.startswith(("popsim: error:", "error:", "popsim: internal"))]
                 or [l for l in self.err.splitlines() if "error" in l] or self.err.strip().splitlines()[-2:])
        return f"exit {code}" + (f": {lines[0][:240]}" if lines else "")


@dataclass
class Outcome:
    failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    commands: list = field(default_factory=list)   # Results of the commands, for the details
    not_run: str = ""


# --- Running commands -----------------------------------------------------------------------------

class Suite:
    def __init__(self, work: Path, popsim: str, mpiexec: str, analysis: Path, timeout: float):
        self.work, self.popsim, self.mpiexec, self.analysis, self.timeout = work, popsim, mpiexec, analysis, timeout
        self.python = "/usr/bin/python3"
        self.env = dict(os.environ, **MPI_ENV)
        self.mounts = []          # mount points, newest last
        self.sessions = set()     # process sessions started in the background
        self.outcome = None       # the Outcome of the running case
        self.can_mount = False
        self.mount_note = ""
        self.has_loop = False
        self.has_btrfs = shutil.which("mkfs.btrfs") is not None and shutil.which("btrfs") is not None
        self.fx = None

    # argv of a popsim command (np ranks), an analysis tool, with ulimits
    def popsim_argv(self, *args, np=1):
        prefix = [self.mpiexec, "-n", str(np), "--oversubscribe", "--bind-to", "none"] if np > 1 else []
        return prefix + [self.popsim, *map(str, args)]

    def tool_argv(self, tool, *args):
        return [self.python, str(self.analysis / tool), *map(str, args)]

    @staticmethod
    def limited(argv, fsize_kb=None, vmem_kb=None):
        """argv run in a shell with `ulimit -f` (1024-byte blocks) and/or `ulimit -v` (KiB)."""
        limits = []
        if fsize_kb is not None:
            limits.append(f"ulimit -f {int(fsize_kb)}")
        if vmem_kb is not None:
            limits.append(f"ulimit -v {int(vmem_kb)}")
        if not limits:
            return argv
        return ["bash", "-c", "; ".join(limits) + '; exec "$@"', "ulimit", *argv]

    def run(self, argv, cwd, timeout=None, mpi=False, threads="2"):
        env = dict(self.env, OMP_NUM_THREADS="1" if mpi else threads)
        start = time.monotonic()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
        self.sessions.add(process.pid)
        try:
            out, err = process.communicate(timeout=timeout or self.timeout)
            code = process.returncode
        except subprocess.TimeoutExpired:
            kill_session(process.pid)
            out, err = process.communicate()
            code = None
        self.sessions.discard(process.pid)
        result = Result(argv, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                        time.monotonic() - start, mpi)
        if self.outcome is not None:
            self.outcome.commands.append(result)
        return result

    def start(self, argv, cwd, log: Path, mpi=False):
        """A command in the background, its stdout and stderr in `log`."""
        env = dict(self.env, OMP_NUM_THREADS="1" if mpi else "2")
        with open(log, "wb") as f:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                                       start_new_session=True)
        process.argv, process.log, process.mpi, process.started = argv, log, mpi, time.monotonic()
        self.sessions.add(process.pid)
        return process

    def finish(self, process, timeout=None):
        """Waits for a background command (killing it after the timeout) and returns its Result."""
        try:
            process.wait(timeout=timeout or self.timeout)
            code = process.returncode
        except subprocess.TimeoutExpired:
            kill_session(process.pid)
            process.wait()
            code = None
        self.sessions.discard(process.pid)
        text = process.log.read_text(errors="replace")
        result = Result(process.argv, code, "", text, time.monotonic() - process.started, process.mpi)
        if self.outcome is not None:
            self.outcome.commands.append(result)
        return result

    def kill(self, process):
        kill_session(process.pid)
        process.wait()
        self.sessions.discard(process.pid)

    # --- Mounts -----------------------------------------------------------------------------------
    def sh(self, *argv, check=True):
        r = subprocess.run(list(map(str, argv)), stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise CaseFailed(f"harness: {shlex.join(map(str, argv))} failed: {r.stderr.strip()[:300]}")
        return r

    def tmpfs(self, path: Path, kbytes, ro=False):
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={int(kbytes)}k" + (",ro" if ro else "")
        self.sh("mount", "-t", "tmpfs", "-o", options, "tmpfs", path)
        self.mounts.append(path)

    def ext4(self, path: Path, mbytes):
        """An ext4 file system in a loop file, mounted with errors=remount-ro; returns the sysfs file
        whose write makes it read-only at once (as after a disk error)."""
        image = path.with_suffix(".img")
        with open(image, "wb") as f:
            f.truncate(mbytes << 20)
        self.sh("mkfs.ext4", "-q", "-F", image)
        path.mkdir(parents=True, exist_ok=True)
        self.sh("mount", "-o", "loop,errors=remount-ro", image, path)
        self.mounts.append(path)
        device = Path(self.sh("findmnt", "-n", "-o", "SOURCE", path).stdout.strip()).name
        return Path("/sys/fs/ext4") / device / "trigger_fs_error"

    def btrfs_quota(self, path: Path, limit_bytes):
        """A btrfs file system in a loop file with quotas on; returns a subvolume limited to
        `limit_bytes` (writes past it fail with EDQUOT, root's too)."""
        image = path.with_suffix(".img")
        with open(image, "wb") as f:
            f.truncate(256 << 20)
        self.sh("mkfs.btrfs", "-q", "-f", image)
        path.mkdir(parents=True, exist_ok=True)
        self.sh("mount", "-o", "loop", image, path)
        self.mounts.append(path)
        self.sh("btrfs", "quota", "enable", path)
        self.sh("btrfs", "subvolume", "create", path / "vol")
        self.sh("btrfs", "qgroup", "limit", str(int(limit_bytes)), path / "vol")
        return path / "vol"

    def umount(self, path: Path):
        if path in self.mounts:
            if self.sh("umount", path, check=False).returncode != 0:
                self.sh("umount", "-l", path, check=False)
            self.mounts.remove(path)

    def umount_all(self):
        for path in reversed(list(self.mounts)):
            self.umount(path)

    def cleanup(self):
        for sid in list(self.sessions):
            kill_session(sid)
        self.sessions.clear()
        self.umount_all()

    def probe(self):
        """Whether tmpfs and loop mounts work here (root), said once at the start."""
        probe = self.work / "probe"
        if os.environ.get("FAULTS_NO_MOUNT", "") not in ("", "0"):
            self.mount_note = "FAULTS_NO_MOUNT is set"
        elif os.geteuid() != 0:
            self.mount_note = "not root"
        else:
            try:
                self.tmpfs(probe, 64)
                self.umount(probe)
                self.can_mount = True
            except CaseFailed as error:
                self.mount_note = str(error)
        if self.can_mount:
            try:
                self.ext4(self.work / "probe-ext4", 16)
                self.umount(self.work / "probe-ext4")
                self.has_loop = True
            except CaseFailed as error:
                self.mount_note = f"loop mounts fail: {error}"
            for f in self.work.glob("probe*"):
                shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink()

    def full_disk(self, path: Path, tmpfs_kb, fsize_kb, tool=False):
        """A place where writes fail: a tmpfs of tmpfs_kb KiB at `path` (ENOSPC), or, where mounting
        is not permitted, `path` on the work disk and a file-size limit of fsize_kb KiB for the
        command (EFBIG). Returns (fsize limit or None, the expected reason)."""
        if self.can_mount:
            self.tmpfs(path, tmpfs_kb)
            return None, ENOSPC
        if not tool and fsize_kb < MPI_MIN_FSIZE_KB:
            raise NotRun(f"needs a tmpfs mount (root): ulimit -f {fsize_kb} would stop MPI_Init itself")
        path.mkdir(parents=True, exist_ok=True)
        self.outcome.notes.append("ulimit -f instead of a full tmpfs")
        return fsize_kb, EFBIG


# --- Checks: each appends to the running case's failures -------------------------------------------

def crashed(s: Suite, r: Result):
    """Never a hang, a signal (exit code above 128, also under mpiexec) or a forbidden stderr marker."""
    failures = []
    if r.code is None:
        failures.append(f"hang: killed after {s.timeout:.0f} s")
    elif r.code < 0:
        failures.append(f"killed by {signal_name(-r.code)}")
    elif r.code > 128:
        failures.append(f"exit {r.code} (signal {signal_name(r.code - 128)})")
    m = re.search(r"exited on signal (\d+)", r.err)
    if m:
        failures.append(f"a rank was killed by {signal_name(int(m.group(1)))} (under mpiexec)")
    failures += [f"{reason}: {detail}" for reason, detail in stderr_failures(r.err)]
    return failures


def check(s: Suite, condition, message):
    if not condition:
        s.outcome.failures.append(message)
    return condition


def fail_all(s: Suite, failures, what):
    for f in failures:
        s.outcome.failures.append(f"{what}: {f}")
    return not failures


def expect_write_failure(s: Suite, r: Result, fragment, reason, what, tool=False):
    """Exit 1 with `[popsim: ]error: writing FILE: REASON`, FILE containing `fragment`."""
    ok = fail_all(s, crashed(s, r), what)
    if r.code is None or r.code < 0 or r.code > 128:
        return False
    ok &= check(s, r.code == 1, f"{what}: exit {r.code}, expected 1 ({r.describe()})")
    ok &= check(s, r.seconds < PROMPT_SECONDS, f"{what}: the failure took {r.seconds:.0f} s to end the command "
                f"(a rank waited for the others to agree; limit {PROMPT_SECONDS} s)")
    prefix = "error:" if tool else "popsim: error:"
    lines = [l for l in r.err.splitlines() if l.startswith(prefix)]
    matches = [m for m in map(WRITE_ERROR.match, lines) if m]
    if not matches:
        ok &= check(s, False, f"{what}: no '{prefix} writing FILE: REASON' line"
                    + (f" (first error line: {lines[0][:240]})" if lines else f" ({r.describe()})"))
    elif not any(fragment in m.group(1) and m.group(2) == reason for m in matches):
        ok &= check(s, False, f"{what}: expected 'writing ...{fragment}...: {reason}', got '{matches[0].group(0)[:240]}'")
    return ok


def expect_refusal(s: Suite, r: Result, fragments, what, tool=False):
    """Exit 2 with a `[popsim: ]error:` line that contains every fragment."""
    ok = fail_all(s, crashed(s, r), what)
    ok &= check(s, r.code == 2, f"{what}: {r.describe()}, expected exit 2")
    prefix = ("error:", "popsim: error:") if tool else ("popsim: error:",)
    lines = [l for l in r.err.splitlines() if l.startswith(prefix)]
    if r.code == 2:
        ok &= check(s, any(all(f in l for f in fragments) for l in lines),
                    f"{what}: the error does not say {' ... '.join(map(repr, fragments))}: "
                    + (lines[0][:240] if lines else "no error line"))
    return ok


def expect_success(s: Suite, r: Result, what):
    ok = fail_all(s, crashed(s, r), what)
    return ok & check(s, r.code == 0, f"{what}: {r.describe()}, expected exit 0")


def partials(root: Path):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.endswith(".partial"))


def expect_no_partials(s: Suite, root: Path, what):
    left = partials(root)
    return check(s, not left, f"{what}: left {', '.join(left)}")


def outputs(root: Path):
    """snapshot() without lock files (their one line names the latest holder, by design)."""
    return {k: v for k, v in snapshot(root).items() if not k.endswith(".lock")}


def expect_unchanged(s: Suite, before, root: Path, what):
    after = outputs(root)
    ok = True
    for rel, digest in before.items():
        if rel not in after:
            ok &= check(s, False, f"{what}: deleted the pre-existing {rel}")
        elif after[rel] != digest:
            ok &= check(s, False, f"{what}: changed the pre-existing {rel}")
    return ok


def info(s: Suite, path: Path, cwd: Path):
    return s.run(s.popsim_argv("info", path), cwd)


def expect_incomplete(s: Suite, results: Path, cwd: Path, what, end=None):
    """`popsim info` on a run's results.h5 left after a failure: exit 0, `status: incomplete:
    written up to YEAR of END`, no row of the series past YEAR."""
    if not check(s, results.is_file(), f"{what}: no results.h5 left (a run that fails mid-run keeps the years written)"):
        return False
    r = info(s, results, cwd)
    if not (fail_all(s, crashed(s, r), f"{what}: popsim info") and
            check(s, r.code == 0, f"{what}: popsim info {results.name}: {r.describe()}, expected exit 0")):
        return False
    status = [m for m in map(STATUS.match, r.out.splitlines()) if m]
    if not check(s, bool(status), f"{what}: popsim info has no '  status: incomplete: written up to YEAR of END' line: "
                 + next((l.strip() for l in r.out.splitlines() if "status" in l), "no status line")):
        return False
    year, last = int(status[0].group(1)), int(status[0].group(2))
    ok = check(s, end is None or last == end, f"{what}: status says the run ends in {last}, expected {end}")
    rows = [int(m.group(1)) for m in re.finditer(r"^    (\d{4}) ", r.out, re.M)]
    ok &= check(s, bool(rows) and max(rows) <= year, f"{what}: popsim info shows rows {rows} past {year}")
    s.outcome.notes.append(f"info: incomplete up to {year} of {last}")
    return ok


def expect_info_clean(s: Suite, results: Path, cwd: Path, what):
    """A killed run's results.h5: info says incomplete (exit 0) or refuses with exit 2; no results.h5 is fine."""
    if not results.exists():
        s.outcome.notes.append("no results.h5 yet")
        return True
    r = info(s, results, cwd)
    ok = fail_all(s, crashed(s, r), f"{what}: popsim info")
    if r.code == 0:
        ok &= check(s, any(STATUS.match(l) for l in r.out.splitlines()),
                    f"{what}: popsim info exit 0 without '  status: incomplete: ...': "
                    + next((l.strip() for l in r.out.splitlines() if "status" in l), "no status line"))
        s.outcome.notes.append("info: " + next((l.strip() for l in r.out.splitlines() if "status" in l), "?"))
    elif r.code == 2:
        ok &= check(s, "popsim: error:" in r.err, f"{what}: popsim info exit 2 without 'popsim: error:'")
        s.outcome.notes.append("info: refused (exit 2)")
    else:
        ok &= check(s, False, f"{what}: popsim info {r.describe()}, expected 0 (incomplete) or 2")
    return ok


def dataset_names(path: Path):
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: names.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(n for n in names if not n.startswith(("/meta/", "/performance/")))


def expect_same_results(s: Suite, reference: Path, results: Path, what):
    """Every dataset but /meta and /performance identical (h5diff), and the same datasets."""
    if not check(s, results.is_file(), f"{what}: no results.h5"):
        return False
    ref_names, names = dataset_names(reference), dataset_names(results)
    if not check(s, ref_names == names and len(names) >= 60,
                 f"{what}: the datasets differ from the reference's ({len(names)} vs {len(ref_names)})"):
        return False
    whole = subprocess.run(["h5diff", "-q", "--exclude-path", "/meta", "--exclude-path", "/performance",
                            str(reference), str(results)], capture_output=True)
    if whole.returncode == 0:
        return True
    for name in names:  # attributes may differ; the data must not
        r = subprocess.run(["h5diff", "-q", str(reference), str(results), name, name], capture_output=True)
        if r.returncode != 0:
            return check(s, False, f"{what}: {name} differs from the uninterrupted run")
    return True


def expect_complete(s: Suite, results: Path, what):
    return fail_all(s, [f"{r}: {d}" for r, d in results_failures(results, strict=True)], what)


# --- Fixtures -------------------------------------------------------------------------------------

@dataclass
class Fixtures:
    root: Path
    seed: int
    ref: Path            # a run of YEARS years with a checkpoint every year (ckpt-2025, ckpt-2026 kept)
    ref_b: Path          # the same with seed + 1, no checkpoints
    pop: Path            # a synthesised population (seed + 1)
    ensemble: Path       # merge of ref and ref_b
    results_size: int
    derived_size: int    # bytes of the datasets added when the run ends (/extinction, /aggregates)
    ckpt_size: int       # ckpt-2026.h5
    pop_size: int
    ensemble_size: int
    export_size: int     # the CSV tables of export.py on ref


def make_fixtures(s: Suite):
    root = s.work / "fixtures"
    root.mkdir()
    with open(CONFIG, "rb") as f:
        seed = tomllib.load(f)["run"]["seed"]

    def fixture(argv):
        r = s.run(argv, root, timeout=300)
        if r.code != 0:
            sys.exit(f"faults: making a fixture failed: {shlex.join(map(str, argv))}\n{r.err[-3000:]}")

    fixture(s.popsim_argv("run", CONFIG, "--scale", SCALE, "--years", YEARS, "--checkpoint-every", 1, "--out", root / "ref"))
    fixture(s.popsim_argv("run", CONFIG, "--scale", SCALE, "--years", YEARS, "--seed", seed + 1, "--out", root / "ref-b"))
    fixture(s.popsim_argv("synthesize", CONFIG, "--scale", SCALE, "--seed", seed + 1, "--out", root / "pop.h5"))
    fixture(s.popsim_argv("merge", "--out", root / "ensemble.h5", root / "ref" / "results.h5", root / "ref-b" / "results.h5"))
    fixture(s.tool_argv("export.py", root / "ref" / "results.h5", "--csv", root / "export"))
    results = root / "ref" / "results.h5"
    sizes = []
    with h5py.File(results, "r") as f:
        for group in ("extinction", "aggregates"):
            if group in f:
                f[group].visititems(lambda _n, o: sizes.append(o.id.get_storage_size()) if isinstance(o, h5py.Dataset) else None)
    derived = sum(sizes)
    return Fixtures(root, seed, root / "ref", root / "ref-b", root / "pop.h5", root / "ensemble.h5",
                    results.stat().st_size, derived, (root / "ref" / "checkpoints" / "ckpt-2026.h5").stat().st_size,
                    (root / "pop.h5").stat().st_size, (root / "ensemble.h5").stat().st_size,
                    sum(p.stat().st_size for p in (root / "export").iterdir()))


def marked_copy(source: Path, destination: Path):
    """A copy of an HDF5 file with an extra root attribute, so that a file written anew in its
    place (even with the same data) is told from it."""
    shutil.copy2(source, destination)
    with h5py.File(destination, "r+") as f:
        f.attrs["faults_marker"] = "written by the fault suite before the command"


def run_args(out, *extra, years=YEARS):
    return ["run", CONFIG, "--scale", SCALE, "--years", years, "--out", out, *extra]


def kb(n_bytes):
    return int(n_bytes) // 1024


# --- Cases ----------------------------------------------------------------------------------------

CASES = []   # (name, needs, function, arguments)


def case(name, needs=(), **kwargs):
    def register(fn):
        CASES.append((name, tuple(needs), fn, kwargs))
        return fn
    return register


def register_np(name, fn, needs=(), nps=(1, 2)):
    for np in nps:
        CASES.append((f"{name}.np{np}", tuple(needs), fn, {"np": np}))


# Write failures: popsim run --------------------------------------------------------------------------

def run_create(s: Suite, d: Path, np):
    """The disk is too small for results.h5 (written whole when it is created)."""
    fsize, reason = s.full_disk(d / "mnt", kb(s.fx.results_size) // 2, kb(s.fx.results_size) // 2)
    out = d / "mnt" / "run"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out), np=np), fsize), d, mpi=np > 1)
    expect_write_failure(s, r, "results.h5", reason, "run")
    check(s, not (out / "results.h5").exists(), "run: a failed creation left results.h5")
    expect_no_partials(s, d, "run")


def run_end(s: Suite, d: Path, np):
    """results.h5 fits, the datasets derived when the run ends do not: the failure comes after the
    last year, with results.h5 open."""
    fx = s.fx
    total = fx.results_size - fx.derived_size // 2 + 3 * 4096   # + the lock files and directories
    fsize, reason = s.full_disk(d / "mnt", kb(total), kb(fx.results_size - fx.derived_size // 2))
    out = d / "mnt" / "run"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out), np=np), fsize), d, mpi=np > 1)
    if expect_write_failure(s, r, "results.h5", reason, "run"):
        expect_incomplete(s, out / "results.h5", d, "run", end=2023 + YEARS)
    expect_no_partials(s, d, "run")


def run_filled(s: Suite, d: Path, np):
    """Another process fills the disk after the first year; the next checkpoint cannot be written."""
    if not s.can_mount:
        s.outcome.not_run = "needs a tmpfs mount (root)"
        return
    s.tmpfs(d / "mnt", 256 * 1024)
    out = d / "mnt" / "run"
    p = s.start(s.popsim_argv(*run_args(out, "--checkpoint-every", 2, years=6), np=np), d, d / "run.log", mpi=np > 1)
    if not wait_for(p, lambda: "2024: population" in p.log.read_text(errors="replace")):
        s.finish(p)
        raise CaseFailed("harness: the run ended before its first year was logged")
    filler = d / "mnt" / "filler"
    with open(filler, "wb") as f:
        free = os.statvfs(d / "mnt").f_bavail * os.statvfs(d / "mnt").f_frsize
        try:
            os.posix_fallocate(f.fileno(), 0, free)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    s.outcome.notes.append("disk filled after 2024")
    r = s.finish(p)
    if expect_write_failure(s, r, str(out), ENOSPC, "run"):
        expect_incomplete(s, out / "results.h5", d, "run", end=2029)
    expect_no_partials(s, d, "run")


def checkpoint_full(s: Suite, d: Path, np):
    """A restart from ckpt-2025.h5 in a checkpoint directory with room for it and half another: writing
    ckpt-2026.h5 fails; ckpt-2025.h5 stays as it was, results.h5 (elsewhere) says incomplete."""
    fx = s.fx
    ck25 = fx.ref / "checkpoints" / "ckpt-2025.h5"
    tmpfs_kb = kb(ck25.stat().st_size + fx.ckpt_size // 2) + 16
    fsize_kb = kb((fx.results_size + fx.ckpt_size) // 2)   # results.h5 fits, a checkpoint not
    fsize, reason = s.full_disk(d / "ck", tmpfs_kb, fsize_kb)
    shutil.copy2(ck25, d / "ck" / "ckpt-2025.h5")
    before = outputs(d)
    out = d / "run"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out, "--restart", d / "ck" / "ckpt-2025.h5", "--checkpoint-every", 1,
                                                    "--checkpoint-dir", d / "ck"), np=np), fsize), d, mpi=np > 1)
    if expect_write_failure(s, r, "ckpt-2026.h5", reason, "run --restart"):
        expect_incomplete(s, out / "results.h5", d, "run --restart", end=2023 + YEARS)
    expect_unchanged(s, before, d, "run --restart")
    expect_no_partials(s, d, "run --restart")
    check(s, not (d / "ck" / "ckpt-2026.h5").exists(), "run --restart: ckpt-2026.h5 exists after its write failed")


def checkpoint_efbig(s: Suite, d: Path, np):
    """ulimit -f between the sizes of results.h5 and of a checkpoint: the first checkpoint fails."""
    fx = s.fx
    out = d / "run"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out, "--checkpoint-every", 1), np=np),
                            kb((fx.results_size + fx.ckpt_size) // 2)), d, mpi=np > 1)
    if expect_write_failure(s, r, "ckpt-2024.h5", EFBIG, "run"):
        expect_incomplete(s, out / "results.h5", d, "run", end=2023 + YEARS)
    expect_no_partials(s, d, "run")
    check(s, not list((out / "checkpoints").glob("ckpt-*")), "run: a checkpoint file exists after its write failed")


def run_create_efbig(s: Suite, d: Path, np):
    out = d / "run"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out), np=np), kb(s.fx.results_size) // 2), d, mpi=np > 1)
    expect_write_failure(s, r, "results.h5", EFBIG, "run")
    check(s, not (out / "results.h5").exists(), "run: a failed creation left results.h5")
    expect_no_partials(s, d, "run")


def wait_for(process, condition, timeout=60, poll=0.001):
    """Polls `condition` until it holds (True) or the process ends or the time is up (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if process.poll() is not None:
            return condition()
        time.sleep(poll)
    return False


def read_only_midrun(s: Suite, d: Path, np):
    """The file system turns read-only while the run writes results.h5 (year 2026 of 30)."""
    if not s.has_loop:
        s.outcome.not_run = f"needs loop mounts (root): {s.mount_note}"
        return
    trigger = s.ext4(d / "mnt", 256)
    out = d / "mnt" / "run"
    p = s.start(s.popsim_argv(*run_args(out, years=30), np=np), d, d / "run.log", mpi=np > 1)
    if not wait_for(p, lambda: "2025: population" in p.log.read_text(errors="replace")):
        s.finish(p)
        raise CaseFailed("harness: the run ended before 2025 was logged")
    remount = s.sh("mount", "-o", "remount,ro", d / "mnt", check=False)
    if remount.returncode == 0:
        s.outcome.notes.append("mount -o remount,ro")
    else:
        trigger.write_text("fault suite: read-only mid-run\n")
        s.outcome.notes.append("remount,ro refused (busy): ext4 trigger_fs_error")
    r = s.finish(p)
    check(s, "2053: population" not in r.err, "run: the run ended before the file system turned read-only (harness timing)")
    if expect_write_failure(s, r, "results.h5", EROFS, "run"):
        expect_incomplete(s, out / "results.h5", d, "run", end=2053)
    expect_no_partials(s, d, "run")


def quota_checkpoint(s: Suite, d: Path, np):
    """A btrfs qgroup limit between the sizes of results.h5 and results.h5 + a checkpoint."""
    if not s.has_loop:
        s.outcome.not_run = f"needs loop mounts (root): {s.mount_note}"
        return
    if not s.has_btrfs:
        s.outcome.not_run = "needs mkfs.btrfs and btrfs (apt-get install btrfs-progs): EDQUOT not tested"
        return
    vol = s.btrfs_quota(d / "mnt", s.fx.results_size + s.fx.ckpt_size // 2)
    out = vol / "run"
    r = s.run(s.popsim_argv(*run_args(out, "--checkpoint-every", 1), np=np), d, mpi=np > 1)
    if expect_write_failure(s, r, "ckpt-2024.h5", EDQUOT, "run"):
        expect_incomplete(s, out / "results.h5", d, "run", end=2023 + YEARS)
    expect_no_partials(s, d, "run")


def read_only_create(s: Suite, d: Path, command):
    """The output's file system is read-only from the start."""
    if not s.can_mount:
        s.outcome.not_run = f"needs a tmpfs mount (root): {s.mount_note}"
        return
    s.tmpfs(d / "mnt", 1024, ro=True)
    if command == "run":
        r = s.run(s.popsim_argv(*run_args(d / "mnt" / "run")), d)
        expect_write_failure(s, r, "mnt/run", EROFS, "run")
    elif command == "synthesize":
        r = s.run(s.popsim_argv("synthesize", CONFIG, "--scale", SCALE, "--out", d / "mnt" / "pop.h5"), d)
        expect_write_failure(s, r, "mnt/", EROFS, "synthesize")
    else:
        r = s.run(s.tool_argv("export.py", s.fx.ref / "results.h5", "--csv", d / "mnt" / "csv"), d)
        expect_write_failure(s, r, "mnt/", EROFS, "export.py", tool=True)


register_np("enospc.run.create", run_create)
register_np("enospc.run.end", run_end)
register_np("enospc.run.filled-midrun", run_filled, nps=(2,))
register_np("enospc.checkpoint", checkpoint_full)
register_np("efbig.run.create", run_create_efbig)
register_np("efbig.checkpoint", checkpoint_efbig)
register_np("erofs.run.midrun", read_only_midrun)
register_np("edquot.run.checkpoint", quota_checkpoint, nps=(1,))
for _command in ("run", "synthesize", "export"):
    CASES.append((f"erofs.{_command}.create", (), read_only_create, {"command": _command}))


# Write failures: synthesize, merge, replicates ------------------------------------------------------

@case("enospc.synthesize")
def synthesize_full(s: Suite, d: Path):
    half = kb(s.fx.pop_size) // 2
    fsize, reason = s.full_disk(d / "mnt", half, half)
    r = s.run(Suite.limited(s.popsim_argv("synthesize", CONFIG, "--scale", SCALE, "--out", d / "mnt" / "pop.h5"), fsize), d)
    expect_write_failure(s, r, "pop.h5", reason, "synthesize")
    check(s, not (d / "mnt" / "pop.h5").exists(), "synthesize: pop.h5 exists after its write failed")
    expect_no_partials(s, d, "synthesize")


@case("enospc.synthesize.overwrite")
def synthesize_overwrite_full(s: Suite, d: Path):
    """--overwrite of an existing population on a disk without room for the new one: the old one stays."""
    fx = s.fx
    fsize, reason = s.full_disk(d / "mnt", kb(fx.pop_size * 3 // 2), kb(fx.pop_size) // 2)
    marked_copy(fx.pop, d / "mnt" / "pop.h5")
    before = outputs(d)
    r = s.run(Suite.limited(s.popsim_argv("synthesize", CONFIG, "--scale", SCALE, "--out", d / "mnt" / "pop.h5",
                                          "--overwrite"), fsize), d)
    expect_write_failure(s, r, "pop.h5", reason, "synthesize --overwrite")
    expect_unchanged(s, before, d, "synthesize --overwrite")
    expect_no_partials(s, d, "synthesize --overwrite")


@case("efbig.synthesize.np2")
def synthesize_efbig(s: Suite, d: Path):
    r = s.run(Suite.limited(s.popsim_argv("synthesize", CONFIG, "--scale", SCALE, "--out", d / "pop.h5", np=2),
                            kb(s.fx.pop_size) // 2), d, mpi=True)
    expect_write_failure(s, r, "pop.h5", EFBIG, "synthesize")
    check(s, not (d / "pop.h5").exists(), "synthesize: pop.h5 exists after its write failed")
    expect_no_partials(s, d, "synthesize")


@case("enospc.merge")
def merge_full(s: Suite, d: Path):
    fx = s.fx
    half = kb(fx.ensemble_size) // 2
    fsize, reason = s.full_disk(d / "mnt", half, half)
    r = s.run(Suite.limited(s.popsim_argv("merge", "--out", d / "mnt" / "ens.h5", fx.ref / "results.h5",
                                          fx.ref_b / "results.h5"), fsize), d)
    expect_write_failure(s, r, "ens.h5", reason, "merge")
    check(s, not (d / "mnt" / "ens.h5").exists(), "merge: ens.h5 exists after its write failed")
    expect_no_partials(s, d, "merge")


@case("enospc.merge.overwrite")
def merge_overwrite_full(s: Suite, d: Path):
    fx = s.fx
    fsize, reason = s.full_disk(d / "mnt", kb(fx.ensemble_size * 3 // 2) + 8, kb(fx.ensemble_size) // 2)
    marked_copy(fx.ensemble, d / "mnt" / "ens.h5")
    before = outputs(d)
    r = s.run(Suite.limited(s.popsim_argv("merge", "--out", d / "mnt" / "ens.h5", "--overwrite", fx.ref / "results.h5",
                                          fx.ref_b / "results.h5"), fsize), d)
    expect_write_failure(s, r, "ens.h5", reason, "merge --overwrite")
    expect_unchanged(s, before, d, "merge --overwrite")
    expect_no_partials(s, d, "merge --overwrite")


@case("enospc.replicates.np2")
def replicates_full(s: Suite, d: Path):
    """--replicates 2 on 2 ranks with room for one replicate's results.h5 and a half."""
    fx = s.fx
    fsize, reason = s.full_disk(d / "mnt", kb(fx.results_size * 3 // 2), kb(fx.results_size) // 2)
    out = d / "mnt" / "ens"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out, "--replicates", 2), np=2), fsize), d, mpi=True)
    expect_write_failure(s, r, str(out), reason, "run --replicates 2")
    check(s, not (out / "ensemble.h5").exists(), "run --replicates 2: ensemble.h5 exists after the failure")
    expect_no_partials(s, d, "run --replicates 2")
    for results in out.glob("replicate-*/results.h5"):
        r = info(s, results, d)
        fail_all(s, crashed(s, r), f"popsim info {results.parent.name}/results.h5")
        if r.code == 0 and "status: complete" not in r.out:
            check(s, any(STATUS.match(l) for l in r.out.splitlines()),
                  f"popsim info {results.parent.name}/results.h5: neither complete nor 'incomplete: written up to'")


@case("efbig.replicates.np2")
def replicates_efbig(s: Suite, d: Path):
    out = d / "ens"
    r = s.run(Suite.limited(s.popsim_argv(*run_args(out, "--replicates", 2), np=2), kb(s.fx.results_size) // 2),
              d, mpi=True)
    expect_write_failure(s, r, str(out), EFBIG, "run --replicates 2")
    check(s, not (out / "ensemble.h5").exists(), "run --replicates 2: ensemble.h5 exists after the failure")
    expect_no_partials(s, d, "run --replicates 2")


# Write failures: the analysis tools ------------------------------------------------------------------

@case("enospc.report")
def report_full(s: Suite, d: Path):
    fsize, reason = s.full_disk(d / "mnt", 96, 96, tool=True)
    r = s.run(Suite.limited(s.tool_argv("report.py", s.fx.ref / "results.h5", "--out", d / "mnt" / "fig"), fsize), d)
    expect_write_failure(s, r, "mnt/fig", reason, "report.py", tool=True)
    expect_no_partials(s, d, "report.py")


@case("enospc.export")
def export_full(s: Suite, d: Path):
    fsize, reason = s.full_disk(d / "mnt", 512, 512, tool=True)
    r = s.run(Suite.limited(s.tool_argv("export.py", s.fx.ref / "results.h5", "--csv", d / "mnt" / "csv"), fsize), d)
    expect_write_failure(s, r, "mnt/csv", reason, "export.py", tool=True)
    expect_no_partials(s, d, "export.py")


@case("enospc.export.overwrite")
def export_overwrite_full(s: Suite, d: Path):
    """--overwrite of an earlier export on a disk with room for little more: the old tables stay."""
    fx = s.fx
    fsize, reason = s.full_disk(d / "mnt", kb(fx.export_size) + 1024, 1024, tool=True)
    shutil.copytree(fx.root / "export", d / "mnt" / "csv")
    for table in (d / "mnt" / "csv").glob("*.csv"):
        with open(table, "a") as f:
            f.write("# written by the fault suite before the command\n")
    before = outputs(d)
    r = s.run(Suite.limited(s.tool_argv("export.py", fx.ref / "results.h5", "--csv", d / "mnt" / "csv", "--overwrite"),
                            fsize), d)
    expect_write_failure(s, r, "mnt/csv", reason, "export.py --overwrite", tool=True)
    expect_unchanged(s, before, d, "export.py --overwrite")
    expect_no_partials(s, d, "export.py --overwrite")


@case("efbig.report")
def report_efbig(s: Suite, d: Path):
    r = s.run(Suite.limited(s.tool_argv("report.py", s.fx.ref / "results.h5", "--out", d / "fig"), 16), d)
    expect_write_failure(s, r, "fig", EFBIG, "report.py", tool=True)
    expect_no_partials(s, d, "report.py")


# One writer per output ---------------------------------------------------------------------------------

def held(s: Suite, lock: Path, argv):
    """argv run by hold_lock.py, which holds `lock` meanwhile; its pid names the holder."""
    return [s.python, str(HOLD_LOCK), str(lock), *argv]


def lock_held_run(s: Suite, d: Path, np):
    out = d / "run"
    out.mkdir()
    r = s.run(held(s, out / ".popsim.lock", s.popsim_argv(*run_args(out), np=np)), d, mpi=np > 1)
    # The holder's line (hold_lock.py writes it) is quoted in the refusal.
    expect_refusal(s, r, ["is being written by another process (pid ", "hold_lock.py"], "run")
    check(s, not (out / "results.h5").exists(), "run: wrote results.h5 although refused")


register_np("lock.run.held", lock_held_run)


def lock_live(s: Suite, d: Path, np):
    """A second popsim run and an analysis tool on the directory of a run in progress (stopped with
    SIGSTOP meanwhile, so that it is still running whatever the time the others take to start)."""
    out = d / "run"
    p = s.start(s.popsim_argv(*run_args(out, years=10), np=np), d, d / "a.log", mpi=np > 1)
    if not wait_for(p, lambda: "2025: population" in p.log.read_text(errors="replace")):
        s.finish(p)
        raise CaseFailed("harness: the first run ended before 2025 was logged")
    holders = session_pids(p.pid)
    signal_session(holders, signal.SIGSTOP)
    second = s.run(s.popsim_argv(*run_args(out, "--overwrite"), np=np), d, mpi=np > 1)
    if expect_refusal(s, second, ["is being written by another process (pid "], "a second run --overwrite"):
        named_holder(s, second, holders, "a second run --overwrite")
    tool = s.run(s.tool_argv("export.py", out / "results.h5", "--csv", out), d)
    if expect_refusal(s, tool, ["is being written by another process (pid "], "export.py --csv RUN_DIR", tool=True):
        named_holder(s, tool, holders, "export.py --csv RUN_DIR")
    check(s, p.poll() is None, "the second writers were checked after the first run ended (harness timing)")
    signal_session(holders, signal.SIGCONT)
    first = s.finish(p)
    if expect_success(s, first, "the first run"):
        expect_complete(s, out / "results.h5", "the first run's results")
    check(s, not list(out.glob("*.csv")), "export.py wrote a table into the run's directory")


def signal_session(pids, number):
    for pid in pids:
        try:
            os.kill(pid, number)
        except OSError:
            pass


def session_pids(sid):
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == sid:
                pids.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return pids


def named_holder(s: Suite, r: Result, holders, what):
    m = re.search(r"is being written by another process \(pid (\d+)", r.err)
    check(s, m is not None and int(m.group(1)) in holders,
          f"{what}: the holder named (pid {m.group(1) if m else '?'}) is not a process of the running command "
          f"({sorted(holders)})")


register_np("lock.run.live", lock_live)


@case("lock.synthesize")
def lock_synthesize(s: Suite, d: Path):
    r = s.run(held(s, d / ".pop.h5.lock", s.popsim_argv("synthesize", CONFIG, "--scale", SCALE, "--out", d / "pop.h5")), d)
    expect_refusal(s, r, ["pop.h5", "is being written by another process (pid ", "hold_lock.py"], "synthesize")
    check(s, not (d / "pop.h5").exists() and not partials(d), "synthesize: wrote pop.h5 although refused")


@case("lock.merge")
def lock_merge(s: Suite, d: Path):
    fx = s.fx
    r = s.run(held(s, d / ".ens.h5.lock", s.popsim_argv("merge", "--out", d / "ens.h5", fx.ref / "results.h5",
                                                        fx.ref_b / "results.h5")), d)
    expect_refusal(s, r, ["ens.h5", "is being written by another process (pid ", "hold_lock.py"], "merge")
    check(s, not (d / "ens.h5").exists() and not partials(d), "merge: wrote ens.h5 although refused")


@case("lock.report")
def lock_report(s: Suite, d: Path):
    (d / "fig").mkdir()
    r = s.run(held(s, d / "fig" / ".popsim.lock", s.tool_argv("report.py", s.fx.ref / "results.h5", "--out", d / "fig")), d)
    expect_refusal(s, r, ["is being written by another process (pid ", "hold_lock.py"], "report.py", tool=True)
    check(s, not [p for p in (d / "fig").iterdir() if not p.name.endswith(".lock")], "report.py wrote into fig/ although refused")


# Restart safety ----------------------------------------------------------------------------------------

@case("restart.into-other-run")
def restart_into_other_run(s: Suite, d: Path):
    """--restart from run A's checkpoint into a directory holding run B's complete results (other seed)."""
    fx = s.fx
    shutil.copytree(fx.ref_b, d / "b")
    before = outputs(d)
    ckpt = fx.ref / "checkpoints" / "ckpt-2025.h5"
    r = s.run(s.popsim_argv(*run_args(d / "b", "--restart", ckpt)), d)
    expect_refusal(s, r, [f"--out {d / 'b'}:"], "run --restart CKPT --out B")
    expect_unchanged(s, before, d, "run --restart CKPT --out B")
    r = s.run(s.popsim_argv(*run_args(d / "b", "--restart", ckpt, "--overwrite")), d)
    if expect_success(s, r, "run --restart CKPT --out B --overwrite"):
        expect_same_results(s, fx.ref / "results.h5", d / "b" / "results.h5", "run --restart --overwrite")


@case("restart.run-over-results")
def run_over_results(s: Suite, d: Path):
    shutil.copytree(s.fx.ref_b, d / "b")
    before = outputs(d)
    r = s.run(s.popsim_argv(*run_args(d / "b")), d)
    expect_refusal(s, r, [f"--out {d / 'b'}:"], "run --out B (B holds results)")
    expect_unchanged(s, before, d, "run --out B")


def killed(s: Suite, d: Path, np, point):
    """A run (YEARS years, a checkpoint every year) killed with SIGKILL at `point`, then restarted from
    DIR/checkpoints: the same results as the uninterrupted run."""
    fx = s.fx
    out = d / "run"
    logs = lambda p: p.log.read_text(errors="replace")  # noqa: E731
    conditions = {
        "synthesis": lambda p: "projecting" in logs(p),
        "year": lambda p: "ckpt-2025.h5 (" in logs(p),
        "checkpoint": lambda p: (out / "checkpoints" / "ckpt-2026.h5.partial").exists(),
    }
    hit_checks = {   # the kill came where intended
        "synthesis": lambda p: "2024: population" not in logs(p) and not (out / "results.h5").exists(),
        "year": lambda p: "2026: population" not in logs(p),
        "checkpoint": lambda p: "ckpt-2026.h5 (" not in logs(p) and (out / "checkpoints" / "ckpt-2026.h5.partial").exists(),
    }
    for attempt in range(1, 6):
        shutil.rmtree(out, ignore_errors=True)
        p = s.start(s.popsim_argv(*run_args(out, "--checkpoint-every", 1), np=np), d, d / "run.log", mpi=np > 1)
        reached = wait_for(p, lambda: conditions[point](p))
        s.kill(p)
        if reached and hit_checks[point](p):
            break
    else:
        raise CaseFailed(f"harness: could not kill the run {point} in 5 attempts")
    s.outcome.notes.append(f"killed {point}" + (f" (attempt {attempt})" if attempt > 1 else ""))
    expect_info_clean(s, out / "results.h5", d, "the killed run")
    r = s.run(s.popsim_argv(*run_args(out, "--checkpoint-every", 1, "--restart", out / "checkpoints"), np=np), d, mpi=np > 1)
    if point == "synthesis":
        # Nothing to continue: the restart is refused (exit 2), and the run starts over with --overwrite
        # (what jobs/lib.sh does).
        expect_refusal(s, r, ["holds no checkpoint"], "run --restart DIR/checkpoints (nothing to continue)")
        r = s.run(s.popsim_argv(*run_args(out, "--checkpoint-every", 1, "--overwrite"), np=np), d, mpi=np > 1)
        if expect_success(s, r, "run --overwrite"):
            expect_same_results(s, fx.ref / "results.h5", out / "results.h5", "the rerun")
    elif expect_success(s, r, "run --restart DIR/checkpoints"):
        expect_same_results(s, fx.ref / "results.h5", out / "results.h5", "the restarted run")
    expect_no_partials(s, d, "run --restart DIR/checkpoints")


for _point in ("synthesis", "year", "checkpoint"):
    CASES.append((f"kill.{_point}.np1", (), killed, {"np": 1, "point": _point}))
CASES.append(("kill.checkpoint.np2", (), killed, {"np": 2, "point": "checkpoint"}))


# Sizes checked before allocation -------------------------------------------------------------------------

def huge_copy(source: Path, destination: Path, dataset):
    """A copy of `source` whose `dataset` declares at least 2^31 elements (chunked and compressed, never
    written: the file stays small), with the same type and attributes."""
    shutil.copy2(source, destination)
    with h5py.File(destination, "r+") as f:
        old = f[dataset]
        attrs, dtype, shape = dict(old.attrs), old.dtype, old.shape
        del f[dataset]
        rest = 1
        for n in shape[1:]:
            rest *= n
        first = -(-HUGE // rest)
        new_shape = (first, *shape[1:])
        chunks = (min(first, max(1, (1 << 20) // rest)), *shape[1:])
        new = f.create_dataset(dataset, shape=new_shape, dtype=dtype, chunks=chunks, compression="gzip")
        for k, v in attrs.items():
            new.attrs[k] = v
    return new_shape


def huge(s: Suite, d: Path, kind, dataset, restart):
    fx = s.fx
    sources = {"population": fx.pop, "checkpoint": fx.ref / "checkpoints" / "ckpt-2025.h5", "results": fx.ref / "results.h5"}
    path = d / f"huge-{kind}.h5"
    shape = huge_copy(sources[kind], path, dataset)
    check(s, path.stat().st_size < 64 << 20, f"harness: the file is {path.stat().st_size} bytes")
    s.outcome.notes.append(f"{dataset} {list(shape)}")
    # `info` on a checkpoint reads its index and persons, not /results: it may describe the file
    # (exit 0) as long as it allocates nothing it declares (ulimit -v); every reader of it refuses.
    info_reads_it = not (kind == "checkpoint" and dataset.startswith("/results/"))
    commands = [("popsim info", s.popsim_argv("info", path))] if info_reads_it else []
    if not info_reads_it:
        r = s.run(Suite.limited(s.popsim_argv("info", path), vmem_kb=VMEM_KB), d)
        fail_all(s, crashed(s, r), "popsim info")
        check(s, r.code in (0, 2), f"popsim info (ulimit -v {VMEM_KB}): {r.describe()}, expected exit 0 or 2")
    if restart:
        seed = ["--seed", fx.seed + 1] if kind == "population" else []
        commands.append(("run --restart", s.popsim_argv(*run_args(d / "run", "--restart", path, *seed))))
    for what, argv in commands:
        r = s.run(Suite.limited(argv, vmem_kb=VMEM_KB), d)
        if expect_refusal(s, r, [], f"{what} (ulimit -v {VMEM_KB})"):
            # Naming the dataset: its path, or, for one at the root, "dataset NAME".
            # (paths below the case's directory, whose name holds the dataset's, do not count)
            lines = [l.replace(str(d), "CASE") for l in r.err.splitlines() if l.startswith("popsim: error:")]
            names = [dataset, dataset[1:].replace("/", ".")] + ([f"dataset {dataset[1:]} "] if dataset.count("/") == 1 else [])
            check(s, any(n in l for n in names for l in lines),
                  f"{what}: the error does not name {dataset}: {lines[0][:240] if lines else ''}")
            line = next(l for l in r.err.splitlines() if l.startswith("popsim: error:"))
            check(s, not re.search(r"alloc|memory", line, re.I), f"{what}: refused by an allocation failure: {line[:240]}")
        check(s, r.seconds < 10, f"{what}: took {r.seconds:.1f} s")


for _kind, _dataset, _restart in (("population", "/persons/birth_year", True), ("population", "/households/id", True),
                                  ("checkpoint", "/persons/partner", True), ("checkpoint", "/results/population", True),
                                  ("results", "/population", False), ("results", "/years", False)):
    CASES.append((f"huge.{_kind}{_dataset.replace('/', '.')}", (), huge,
                  {"kind": _kind, "dataset": _dataset, "restart": _restart}))


# --- Main -----------------------------------------------------------------------------------------------

def run_case(s: Suite, name, fn, kwargs):
    d = s.work / "cases" / name
    d.mkdir(parents=True)
    s.outcome = Outcome()
    start = time.monotonic()
    try:
        fn(s, d, **kwargs)
    except CaseFailed as error:
        s.outcome.failures.append(str(error))
    except NotRun as why:
        s.outcome.not_run = str(why)
    except Exception as error:  # noqa: BLE001 -- a harness bug is reported as the case's failure
        s.outcome.failures.append(f"harness: {type(error).__name__}: {error}")
    finally:
        for sid in list(s.sessions):
            kill_session(sid)
        s.sessions.clear()
        s.umount_all()
    outcome, s.outcome = s.outcome, None
    return outcome, time.monotonic() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="run the cases whose name matches this regular expression")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--work", help="the work directory (default: a new one under $TMPDIR)")
    args = p.parse_args()
    cases = [c for c in CASES if not args.only or re.search(args.only, c[0])]
    if args.list:
        print("\n".join(c[0] for c in cases))
        return 0
    popsim = Path(os.environ.get("POPSIM", SOURCE_DIR / "build" / "src" / "popsim"))
    if not popsim.is_file():
        sys.exit(f"faults: no popsim binary at {popsim} (build it or set POPSIM)")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="popsim-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    # Copies, so that a rebuild or an edit during the suite changes nothing.
    (work / "bin").mkdir()
    shutil.copy2(popsim, work / "bin" / "popsim")
    shutil.copytree(SOURCE_DIR / "analysis", work / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    mpiexec = os.environ.get("MPIEXEC") or shutil.which("mpiexec") or "mpiexec"
    s = Suite(work, str(work / "bin" / "popsim"), mpiexec, work / "analysis", float(os.environ.get("FAULTS_TIMEOUT", "60")))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    start = time.monotonic()
    results = []
    try:
        s.probe()
        if not s.can_mount:
            print(f"faults: NOTE: mounting is not permitted ({s.mount_note}): the full-disk cases use ulimit -f "
                  f"(EFBIG) instead of a full tmpfs, and the read-only and quota cases are not run", flush=True)
        elif not s.has_loop:
            print(f"faults: NOTE: {s.mount_note}: the read-only (mid-run) and quota cases are not run", flush=True)
        if not s.has_btrfs:
            print("faults: NOTE: no mkfs.btrfs (btrfs-progs): the quota (EDQUOT) case is not run", flush=True)
        s.fx = make_fixtures(s)
        fx = s.fx
        print(f"faults: {len(cases)} cases, popsim {popsim}, fixtures in {time.monotonic() - start:.1f} s "
              f"(results.h5 {fx.results_size >> 10} KiB of which {fx.derived_size >> 10} KiB derived at the end, "
              f"checkpoint {fx.ckpt_size >> 10} KiB, population {fx.pop_size >> 10} KiB, ensemble {fx.ensemble_size >> 10} KiB)",
              flush=True)
        for name, _needs, fn, kwargs in cases:
            outcome, seconds = run_case(s, name, fn, kwargs)
            label = "not-run" if outcome.not_run and not outcome.failures else ("FAIL" if outcome.failures else "pass")
            detail = outcome.not_run if label == "not-run" else "; ".join(
                [r.describe() for r in outcome.commands[:1]] + outcome.notes)
            print(f"{name:<44} {label:<8} {seconds:6.1f}s  {detail[:200]}", flush=True)
            if outcome.failures:
                for f in outcome.failures:
                    print(f"      - {f}")
                for r in outcome.commands:
                    print(f"      $ {shlex.join(map(str, r.argv))}")
                    print(f"        -> {r.describe()}")
            results.append((name, label, outcome))
    finally:
        s.cleanup()
        if args.keep:
            print(f"faults: the work directory is kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [n for n, label, _ in results if label == "FAIL"]
    not_run = [n for n, label, _ in results if label == "not-run"]
    print(f"\nfaults: {len(results)} cases in {time.monotonic() - start:.1f} s")
    if failed:
        print("failed: " + ", ".join(failed))
    if not_run:
        print("not run (said above why): " + ", ".join(not_run))
    print(f"{len(results) - len(failed) - len(not_run)} passed, {len(failed)} failed, {len(not_run)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
