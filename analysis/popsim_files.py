"""The contract the analysis tools share with popsim itself (docs/files.md, "Analysis tools"):
how they fail, how they read popsim's files and how they write their outputs. Every tool in
analysis/ uses this module and nothing else for these.

Failing: a tool's main() runs under run(main). A refusal (`Refused`: a file that is not what it
should be, an unfinished run where a year is needed, an option, an output that exists, is an
input or is being written) prints one line `error: ...` and exits 2; a failed write
(`WriteFailed`: full disk, read-only file system, quota) prints `error: writing FILE: REASON` and
exits 1; anything else is a bug: `error: internal: TYPE: MESSAGE`, exit 1. Never a traceback.

Reading: Results (results.h5 of popsim run), Ensemble (ensemble.h5 of popsim run --replicates or
popsim merge) and Population (a synthesised population or a checkpoint) check what a file is on
opening, and read every dataset through dataset(), which checks its shape, type and values
(counts: integers >= 0) and turns any HDF5 failure into a refusal naming the file and dataset.
A results file knows which time points were written: all of them for a finished run; for an
unfinished one (`complete` 0 or absent) up to /meta `last_year`, or, in files of an older popsim,
the leading non-zero /years entries.

Writing: Outputs collects every file an invocation writes and refuses before anything is
written; inside `with outputs:` it holds the lock of each output (the protocol of popsim's C++
side: `<dir>/.<name>.lock` for a file, `DIR/.popsim.lock` for a folder, a POSIX record lock on
it, one line naming the holder; lock files are never deleted), writes each file under a temporary
name in its folder and renames them all into place when the block ends without an error.
"""
import argparse
import contextlib
import datetime
import errno
import fcntl
import os
import shlex
import signal
import socket
import sys

import h5py
import numpy as np

COUNT = dict(kind="int", lo=0)  # dataset() checks of a count: integers >= 0
_MISSING = object()


class Refused(Exception):
    """Invalid input, option or output: `error: MESSAGE`, exit 2."""


class WriteFailed(Exception):
    """Writing an output failed: `error: writing PATH: REASON`, exit 1."""

    def __init__(self, path, error):
        super().__init__(f"writing {path}: {error.strerror or error}" if isinstance(error, OSError)
                         else f"writing {path}: {error}")


class _Stopped(Exception):
    pass


def run(main):
    """Runs main() and exits with its code (None: 0), or as the module docstring says."""
    def stop(signum, _frame):
        raise _Stopped(signum)
    signal.signal(signal.SIGTERM, stop)
    try:
        code = main()
    except Refused as e:
        _fail(str(e), 2)
    except WriteFailed as e:
        _fail(str(e), 1)
    except BrokenPipeError:  # stdout closed early (piped into head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _fail("writing standard output: Broken pipe", 1)
    except (KeyboardInterrupt, _Stopped) as e:
        signum = e.args[0] if isinstance(e, _Stopped) else signal.SIGINT
        _fail(f"stopped by {signal.Signals(signum).name}; no output was written", 128 + signum)
    except Exception as e:  # noqa: BLE001 -- a bug: said in one line, never a traceback
        _fail(f"internal: {type(e).__name__}: {e}", 1)
    sys.exit(code or 0)


def _fail(message, code):
    print("error: " + " ".join(message.split("\n")), file=sys.stderr, flush=True)
    sys.exit(code)


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are refusals; with `outputs` it has --overwrite."""

    def __init__(self, *args, outputs=True, **kwargs):
        super().__init__(*args, **kwargs)
        if outputs:
            self.add_argument("--overwrite", action="store_true",
                              help="replace output files that exist (never an input of this command)")

    def error(self, message):
        raise Refused(f"{message} (see {self.prog} --help)")


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, np.bytes_)) else str(value)


# --- Reading -----------------------------------------------------------------------------------------

class _Hdf5:
    """An HDF5 file opened read-only, whose datasets and attributes are read with checks."""

    def __init__(self, path, expected):
        self.path, self.expected = path, expected
        if not os.path.lexists(path):
            raise Refused(f"{path}: no such file (expected {expected})")
        if not os.path.isfile(path):
            raise Refused(f"{path}: not a regular file (expected {expected})")
        try:
            self.f = h5py.File(path, "r")
        except Exception as e:  # noqa: BLE001 -- h5py raises OSError, ValueError, ... for a damaged file
            raise Refused(f"{path}: not a readable HDF5 file, truncated or damaged "
                          f"({str(e).splitlines()[0] if str(e) else type(e).__name__}; expected {expected})") from e
        self.kind = self._kind()

    def check_locks(self):
        """Refuses an output that another process is writing now, creating nothing (a lock file that
        does not exist is held by nobody); for a check before a long computation."""
        for lock, output in self.locks:
            if os.path.isfile(lock):
                os.close(_take_lock(lock, output, announce=False))

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.f.close()

    def _kind(self):
        """What popsim file this is: results, ensemble, checkpoint, or None."""
        try:
            if text(self.f.attrs.get("format", "")) == "popsim-checkpoint":
                return "checkpoint"
            meta = self.f.get("meta")
            if isinstance(meta, h5py.Group):
                return "ensemble" if text(meta.attrs.get("format", "")) == "popsim-ensemble" else "results"
        except Exception as e:  # noqa: BLE001
            raise Refused(f"{self.path}: damaged HDF5 file ({e})") from e
        return None

    def require(self, kind):
        names = dict(results="a results file of popsim run", ensemble="an ensemble file of popsim merge",
                     checkpoint="a population or checkpoint file")
        if self.kind != kind or kind is None:
            what = names[self.kind] if self.kind else "an HDF5 file but no popsim file"
            raise Refused(f"{self.path}: {what}; expected {self.expected}")

    def has(self, name):
        try:
            return isinstance(self.f.get(name), h5py.Dataset)
        except Exception:  # noqa: BLE001 -- a damaged link reads as absent; dataset() says why
            return False

    def attribute(self, obj, name, kind, default=_MISSING):
        """Attribute `name` of group `obj` ('/': the root), of `kind` int, float or text."""
        try:
            attrs = self.f[obj].attrs
            if name not in attrs:
                if default is not _MISSING:
                    return default
                raise Refused(f"{self.path}: {obj} has no attribute '{name}' (expected {self.expected})")
            value = attrs[name]
        except Refused:
            raise
        except Exception as e:  # noqa: BLE001
            raise Refused(f"{self.path}: attribute {obj} {name} cannot be read: damaged file ({e})") from e
        if kind == "text" and isinstance(value, (bytes, str, np.bytes_, np.str_)):
            return text(value)
        if np.ndim(value) == 0 and not isinstance(value, (bool, np.bool_, bytes, str, np.bytes_, np.str_)):
            if kind == "int" and isinstance(value, (int, np.integer)):
                return int(value)
            if kind == "float" and isinstance(value, (int, float, np.integer, np.floating)):
                return float(value)
        raise Refused(f"{self.path}: attribute {obj} {name} is {value!r}; expected {'an integer' if kind == 'int' else 'a number' if kind == 'float' else 'text'}")

    def _get(self, name):
        d = self.f.get(name)
        if not isinstance(d, h5py.Dataset):
            raise Refused(f"{self.path}: no dataset {name} (expected {self.expected})")
        return d

    def length(self, name):
        """The length of the one-dimensional dataset `name`."""
        try:
            shape = self._get(name).shape
        except Refused:
            raise
        except Exception as e:  # noqa: BLE001
            raise Refused(f"{self.path}: {name} cannot be read: damaged file ({e})") from e
        if len(shape) != 1:
            raise Refused(f"{self.path}: {name} has shape {list(shape)}, expected one dimension")
        return shape[0]

    def dataset(self, name, shape, rows=None, kind="number", lo=None, hi=None, finite=True):
        """The values of dataset `name` (its first `rows` along the first axis if given), after
        checking its shape (None: any extent), its type (kind int, number or text) and, for numbers,
        that they lie within [lo, hi] and (if `finite`) are neither NaN nor infinite."""
        try:
            d = self._get(name)
            if len(d.shape) != len(shape) or any(s is not None and s != n for s, n in zip(shape, d.shape)):
                want = ", ".join("any" if s is None else str(s) for s in shape)
                raise Refused(f"{self.path}: {name} has shape {list(d.shape)}, expected [{want}]")
            kinds = dict(int="iu", number="iuf", text="SUO")[kind]
            if d.dtype.kind not in kinds:
                want = dict(int="integers", number="numbers", text="text")[kind]
                raise Refused(f"{self.path}: {name} holds {d.dtype}, expected {want}")
            values = d[:rows] if rows is not None else d[()]
        except Refused:
            raise
        except Exception as e:  # noqa: BLE001
            raise Refused(f"{self.path}: {name} cannot be read: damaged file ({e})") from e
        if kind == "text":
            return [text(v) for v in np.ravel(values)]
        values = np.asarray(values)
        bad = np.zeros(values.shape, bool)
        if finite and values.dtype.kind == "f":
            bad |= ~np.isfinite(values)
        with np.errstate(invalid="ignore"):
            if lo is not None:
                bad |= values < lo
            if hi is not None:
                bad |= values > hi
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            where = f" at [{', '.join(map(str, at))}]" if at else ""
            limits = (f"{lo}..{hi}" if hi is not None else f">= {lo}") if lo is not None else (
                f"<= {hi}" if hi is not None else "finite")
            raise Refused(f"{self.path}: {name} holds {values[at]}{where}; expected values {limits}"
                          + (", not NaN" if values.dtype.kind == "f" else ""))
        return values


def open_popsim(path, *classes):
    """`path` opened as whichever of `classes` (Results, Ensemble, Population) its kind is."""
    expected = " or ".join(c.EXPECTED for c in classes)
    with _Hdf5(path, expected) as probe:
        for c in classes:
            if probe.kind == c.KIND:
                break
        else:
            probe.require(None)
    return c(path)


class Results(_Hdf5):
    """A results.h5 of popsim run. On opening: /meta (scale), /years and /regions/code are
    checked, and which time points were written: `rows` of them, the years `years` (start ..
    `last_year`) of `start`..`end`; `complete` is False for a run stopped, killed or still running,
    and `status` then says so in one line (empty for a finished run)."""

    KIND, EXPECTED = "results", "a popsim results file (results.h5 of popsim run)"

    def __init__(self, path):
        super().__init__(path, self.EXPECTED)
        self.require(self.KIND)
        self.scale = self.attribute("/meta", "scale", "float")
        if not 0 < self.scale <= 1:
            raise Refused(f"{path}: /meta scale is {self.scale}; expected a number in (0, 1]")
        all_years = self.dataset("/years", (None,), kind="int")
        self.Y = len(all_years)
        self.codes = self.dataset("/regions/code", (None,), kind="int")
        self.R = len(self.codes)
        if self.Y == 0 or self.R == 0:
            raise Refused(f"{path}: /years or /regions/code is empty")
        self.start = self.attribute("/meta", "start_year", "int", int(all_years[0]))
        self.end = self.start + self.Y - 1
        if not 1000 <= self.start <= 10000 or all_years[0] not in (0, self.start):
            raise Refused(f"{path}: /meta start_year {self.start} and /years[0] {all_years[0]} are not one calendar year")
        end = self.attribute("/meta", "end_year", "int", self.end)
        if end != self.end:
            raise Refused(f"{path}: /meta end_year is {end} but /years holds {self.start}..{self.end}")
        self.rows = self._written_rows(all_years)
        self.years = all_years[:self.rows].astype(int)
        self.last_year = self.start + self.rows - 1
        complete = self.attribute("/meta", "complete", "int", None)
        self.complete = self.rows == self.Y if complete is None else complete == 1
        if self.complete and self.rows < self.Y:
            raise Refused(f"{path}: /meta complete is 1 but only {self.start}..{self.last_year} of "
                          f"{self.start}..{self.end} are written: the file is inconsistent")
        self.status = "" if self.complete else f"incomplete run: written up to {self.last_year} of {self.end}"
        if self.rows == 0:
            raise Refused(f"{path}: incomplete run: nothing written yet, not even the start state {self.start}")

    def _written_rows(self, years):
        """Rows up to /meta last_year; without it (an older popsim) the leading non-zero years."""
        last = self.attribute("/meta", "last_year", "int", None)
        if last is not None:
            if not self.start - 1 <= last <= self.end:
                raise Refused(f"{self.path}: /meta last_year {last} is outside the run ({self.start}..{self.end})")
            rows = last - self.start + 1
        else:
            rows = int(np.argmin(years != 0)) if (years == 0).any() else len(years)
            if (years[rows:] != 0).any():
                raise Refused(f"{self.path}: /years has a written year after an unwritten (0) one: {years.tolist()}")
        if (years[:rows] != self.start + np.arange(rows)).any():
            raise Refused(f"{self.path}: /years {years[:rows].tolist()} are not consecutive years from {self.start}")
        return rows

    def counts(self, name, *dims):
        """Written rows of a count dataset [year, *dims] (dims of None: any extent)."""
        return self.dataset(name, (self.Y, *dims), rows=self.rows, **COUNT)

    def values(self, name, *dims, **checks):
        """Written rows of a dataset [year, *dims] of numbers (NaN allowed: e.g. an index without
        a denominator)."""
        return self.dataset(name, (self.Y, *dims), rows=self.rows, finite=False, **checks)

    def row(self, year, needed_for):
        """The row of calendar `year`, refused when the run does not hold it or has not written it."""
        if self.start <= year <= self.last_year:
            return year - self.start
        if self.last_year < year <= self.end:
            raise Refused(f"{self.path}: {needed_for} needs {year}, which is not written (incomplete run: "
                          f"last_year {self.last_year} of {self.end}); finish the run with popsim run --restart")
        raise Refused(f"{self.path}: {needed_for} needs {year}, which is not in the run ({self.start}..{self.end})")

    def require_complete(self, needed_for):
        if not self.complete:
            raise Refused(f"{self.path}: {self.status} (last_year {self.last_year}); {needed_for} needs every year "
                          "of the run: finish it with popsim run --restart")


class Ensemble(_Hdf5):
    """An ensemble.h5 of popsim run --replicates or popsim merge: national and regional quantiles
    across replicates; rows that not every replicate simulated are NaN."""

    KIND, EXPECTED = "ensemble", "a popsim ensemble file (ensemble.h5 of popsim merge)"

    def __init__(self, path):
        super().__init__(path, self.EXPECTED)
        self.require(self.KIND)
        self.replicates = self.attribute("/meta", "replicates", "int")
        if self.replicates < 2:
            raise Refused(f"{path}: /meta replicates is {self.replicates}; an ensemble has at least 2")
        self.years = self.dataset("/years", (None,), lo=1000, hi=10000)
        if len(self.years) == 0 or (self.years != self.years[0] + np.arange(len(self.years))).any():
            raise Refused(f"{path}: /years {self.years.tolist()} are not consecutive calendar years")
        self.years = self.years.astype(int)
        self.codes = self.dataset("/regions/code", (None,)).astype(np.int64)

    def national(self, indicator, statistic, lo=None):
        """/summary/national/INDICATOR/STATISTIC [year], values >= lo: NaN where not every replicate
        got (never infinite)."""
        name = f"/summary/national/{indicator}/{statistic}"
        values = self.dataset(name, (len(self.years),), lo=lo, finite=False)
        if np.isinf(values).any():
            raise Refused(f"{self.path}: {name} holds an infinite value; expected numbers or NaN")
        return values


class Population(_Hdf5):
    """A synthesised population or a checkpoint (popsim synthesize, popsim run --checkpoint-every):
    the state at the end of `year`, at `scale`. Person columns are read with their checksums."""

    NATIVE = {"birth_year": np.int16, "region": np.uint16, "sex": np.uint8, "flags": np.uint8,
              "household": np.uint32, "parity": np.uint8, "id": np.uint32, "partner": np.uint32, "mother": np.uint32}

    KIND, EXPECTED = "checkpoint", "a popsim population or checkpoint file (popsim synthesize)"

    def __init__(self, path):
        super().__init__(path, self.EXPECTED)
        self.require(self.KIND)
        version = self.attribute("/", "schema_version", "int")
        if version not in (2, 3, 4):
            raise Refused(f"{path}: schema_version {version}; this reads versions 2 to 4")
        self.year = self.attribute("/", "year", "int")
        self.scale = self.attribute("/", "scale", "float")
        if not (1000 <= self.year <= 10000 and 0 < self.scale <= 1):
            raise Refused(f"{path}: year {self.year} or scale {self.scale} out of range")
        self.codes = self.dataset("/regions/code", (None,), kind="int")
        self.R = len(self.codes)
        self.N = self.length("/persons/id")

    def persons(self, name, lo=None, hi=None):
        """/persons/NAME [N] as its native type, checksum verified, values within [lo, hi]."""
        native = np.dtype(self.NATIVE[name])
        info = np.iinfo(native)
        values = self.dataset(f"/persons/{name}", (self.N,), kind="int", lo=info.min if lo is None else lo,
                              hi=info.max if hi is None else hi).astype(native)
        stored = self.attribute(f"/persons/{name}", "checksum", "int")
        if _checksum(values) != stored % 2**64:
            raise Refused(f"{self.path}: /persons/{name} fails its checksum: the file is damaged")
        return values


def _mix64(x):
    """SplitMix64's finaliser (src/core/hash.hpp)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _checksum(values, chunk=1 << 22):
    """popsim's dataset checksum (docs/files.md): the sum mod 2^64 of mix64(mix64(index) ^ value
    bits), computed in chunks to bound the memory."""
    bits = np.ascontiguousarray(values).view(f"u{values.dtype.itemsize}")
    total = np.uint64(0)
    with np.errstate(over="ignore"):
        for start in range(0, bits.size, chunk):
            part = bits[start:start + chunk].astype(np.uint64)
            index = np.arange(start, start + part.size, dtype=np.uint64)
            total += np.sum(_mix64(_mix64(index) ^ part), dtype=np.uint64)
    return int(total)


# --- Writing -----------------------------------------------------------------------------------------

def lock_file(path, directory):
    """The lock file of an output: DIR/.popsim.lock for a folder, <dir>/.<name>.lock for a file."""
    if directory:
        return os.path.join(path, ".popsim.lock")
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.lock")


def _same_file(a, b):
    try:
        return os.path.realpath(a) == os.path.realpath(b) or (
            os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b))
    except OSError:
        return False


class Outputs:
    """Every file one invocation writes. file() and folder() check the outputs as they are added
    (refusing an output that exists without `overwrite`, is one of `inputs`, or is not a regular
    file) and write nothing; `with outputs:` creates the folders, takes the locks, checks again,
    and at the end of the block renames the files written under target() into place, or deletes
    them if the block failed."""

    def __init__(self, overwrite, inputs):
        self.overwrite = overwrite
        self.inputs = [p for p in inputs if p]
        self.files, self.folders, self.locks, self.temps, self.fds = [], [], [], {}, []

    def file(self, path, option):
        """One output file, e.g. --json PATH; its folder must exist."""
        real = os.path.realpath(path)
        if not os.path.isdir(os.path.dirname(real)):
            raise Refused(f"{option} {path}: its folder does not exist")
        self._check(real, path, option)
        self.files.append((real, path, option))
        self.locks.append((lock_file(real, False), f"{option} {path}"))
        return real

    def folder(self, path, names, option):
        """Files `names` in the output folder `path` (created with its parents if missing);
        returns {name: path}."""
        real = os.path.realpath(path)
        if os.path.exists(real) and not os.path.isdir(real):
            raise Refused(f"{option} {path}: not a directory")
        for name in names:
            shown = os.path.join(path, name)
            self._check(os.path.join(real, name), shown, option)
            self.files.append((os.path.join(real, name), shown, option))
        self.folders.append(real)
        self.locks.append((lock_file(real, True), f"{option} {path}"))
        return {name: os.path.join(real, name) for name in names}

    def _check(self, path, shown, option):
        for source in self.inputs:
            if _same_file(path, source):
                which = "an input" if shown == source else f"the input {source}"
                raise Refused(f"{option}: {shown} is {which} of this command; choose another output")
        if os.path.lexists(path):
            if not os.path.isfile(path):
                raise Refused(f"{option}: {shown} exists and is not a regular file")
            if not self.overwrite:
                raise Refused(f"{option}: {shown} exists; give --overwrite to replace it")

    def check_locks(self):
        """Refuses an output that another process is writing now, creating nothing (a lock file that
        does not exist is held by nobody); for a check before a long computation."""
        for lock, output in self.locks:
            if os.path.isfile(lock):
                os.close(_take_lock(lock, output, announce=False))

    def __enter__(self):
        for folder in self.folders:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as e:
                raise WriteFailed(folder, e) from e
        try:
            for lock, output in self.locks:
                self.fds.append(_take_lock(lock, output))
            for path, shown, option in self.files:  # another writer may have finished since the first check
                self._check(path, shown, option)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, failed, _error, _tb):
        try:
            if failed is None:
                for path, temp in list(self.temps.items()):
                    try:
                        os.replace(temp, path)
                    except OSError as e:
                        raise WriteFailed(path, e) from e
                    del self.temps[path]
                for folder in {os.path.dirname(p) for p, _, _ in self.files}:
                    _fsync(folder, os.O_RDONLY | os.O_DIRECTORY)
        finally:
            for temp in self.temps.values():
                with contextlib.suppress(OSError):
                    os.remove(temp)
            for fd in self.fds:
                os.close(fd)
        return False

    @contextlib.contextmanager
    def target(self, path):
        """A temporary name in `path`'s folder to write output `path` to (flushed to disk after
        the write); a failure to write it is a WriteFailed naming `path`."""
        path = os.path.realpath(path)
        if path not in (p for p, _, _ in self.files) or not self.fds:
            raise RuntimeError(f"{path} is not an output of this command, or written outside `with`")
        folder, name = os.path.split(path)
        temp = self.temps[path] = os.path.join(folder, f".{name}.{os.getpid()}.partial")
        try:
            yield temp
            _fsync(temp, os.O_RDONLY)
        except OSError as e:
            raise WriteFailed(path, e) from e

    @contextlib.contextmanager
    def open(self, path, newline=None):
        """A text file (UTF-8) to write output `path`."""
        with self.target(path) as temp, open(temp, "w", encoding="utf-8", newline=newline) as f:
            yield f

    def write_text(self, path, content):
        with self.open(path) as f:
            f.write(content)

    def save_figure(self, fig, path, dpi=110):
        """Saves a matplotlib figure (the format of `path`'s extension) and closes it."""
        import matplotlib.pyplot as plt
        try:
            with self.target(path) as temp:
                fig.savefig(temp, format=os.path.splitext(path)[1][1:] or "png", dpi=dpi)
        finally:
            plt.close(fig)


def _fsync(path, flags):
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _take_lock(lock, output, announce=True):
    """Takes the lock of `output` ("--option PATH") or refuses, naming the process that holds it;
    `announce`: writes this process's line into the lock file."""
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise WriteFailed(lock, e) from e
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip().splitlines()
        os.close(fd)
        if e.errno in (errno.EACCES, errno.EAGAIN):
            raise Refused(f"{output}: is being written by another process "
                          f"({holder[0] if holder else 'which has not said who it is'}); wait for it to finish or "
                          "write elsewhere") from e
        raise WriteFailed(lock, e) from e
    if announce:
        since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"pid {os.getpid()} on {socket.gethostname()} since {since}: {shlex.join(sys.argv)}\n"
        with contextlib.suppress(OSError):  # the lock holds without its line (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, line.encode(), 0)
    return fd
