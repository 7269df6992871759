"""Mutations of text inputs: the CSV tables, the configuration and scenario files (TOML).

A Mutation names what it does and applies it to a file of a case's own copy of the inputs. The
generators below draw their parameters (offsets, rows, columns) from a random.Random when the case
list is built, so each case's description states exactly what was done and a case with the same
seed is the same case on every run.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

# A file mutation: `apply` changes the file at the given path in place (or replaces it by
# something that is not a regular file).
@dataclass(frozen=True)
class Mutation:
    kind: str          # the kind of mutation, in case ids: "truncate", "nan", "as-directory"
    description: str   # what exactly was done, with its parameters
    apply: Callable[[Path], None]
    tag: str = ""      # what it was done to, when a kind applies to several things: "persons-id"
    transform: Optional[Callable[[bytes], bytes]] = None  # the change of content, for content mutations


def rewrite(kind, description, transform):
    """A mutation of the file's bytes by transform(bytes) -> bytes."""
    def apply(path: Path):
        path.write_bytes(transform(path.read_bytes()))
    return Mutation(kind, description, apply, transform=transform)


# --- Replacing the file by something else -------------------------------------------------------

def as_directory():
    def apply(path: Path):
        path.unlink()
        path.mkdir()
    return Mutation("as-directory", "replaced by a directory", apply)


def as_dev_zero():
    def apply(path: Path):
        path.unlink()
        path.symlink_to("/dev/zero")
    return Mutation("as-dev-zero", "replaced by a symlink to /dev/zero", apply)


def removed():
    return Mutation("missing", "deleted", lambda path: path.unlink())


def emptied():
    return rewrite("empty", "emptied (0 bytes)", lambda data: b"")


def swapped_with(other: Path):
    content = other.read_bytes()
    return rewrite("swapped", f"replaced by the content of {other.name}", lambda data: content)


def binary_garbage(rng, size=4096):
    content = bytes(rng.randrange(256) for _ in range(size))
    return rewrite("binary", f"replaced by {size} random bytes", lambda data: content)


# --- Byte-level damage --------------------------------------------------------------------------

def truncated(rng, size):
    at = rng.randrange(1, max(2, size))
    return rewrite("truncate", f"truncated to {at} of {size} bytes", lambda data: data[:at])


def bit_flipped(rng, size, flips=1, lo=0.0, hi=1.0):
    """Flips `flips` random bits in the byte range [lo * size, hi * size)."""
    first, last = int(lo * size), max(int(lo * size) + 1, int(hi * size))
    bits = sorted(rng.randrange(first * 8, last * 8) for _ in range(flips))

    def transform(data):
        out = bytearray(data)
        for bit in bits:
            if bit // 8 < len(out):
                out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out)
    where = ", ".join(f"byte {b // 8} bit {b % 8}" for b in bits)
    return rewrite("bitflip", f"bit flipped at {where}", transform)


def with_bom():
    return rewrite("bom", "UTF-8 byte-order mark prepended", lambda data: b"\xef\xbb\xbf" + data)


def with_crlf():
    return rewrite("crlf", "CRLF line endings", lambda data: data.replace(b"\n", b"\r\n"))


def with_garbage_appended(rng, size=64):
    tail = bytes(rng.randrange(256) for _ in range(size))
    return rewrite("garbage", f"{size} random bytes appended", lambda data: data + tail)


# --- CSV tables -----------------------------------------------------------------------------------

def is_number(field):
    try:
        float(field)
        return True
    except ValueError:
        return False


@dataclass
class Csv:
    """A table as the inputs lay it out: '#' comment lines, one header row, data rows."""
    lines: list          # every line, without line ends
    header_line: int     # index of the header in lines
    data_lines: list     # indices of the data rows in lines

    @classmethod
    def parse(cls, data: bytes):
        lines = data.decode("utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
        rows = [i for i in range(header + 1, len(lines)) if lines[i] and not lines[i].startswith("#")]
        return cls(lines, header, rows)

    @property
    def header(self):
        return self.lines[self.header_line].split(",")

    def numeric_columns(self):
        """Columns whose every value is a number (codes and ages included: they are read as numbers)."""
        rows = [self.lines[i].split(",") for i in self.data_lines]
        return [c for c, _ in enumerate(self.header) if all(c < len(r) and is_number(r[c]) for r in rows)]

    def render(self):
        return ("\n".join(self.lines) + "\n").encode("utf-8")


def csv_rewrite(kind, description, edit):
    """A mutation that edits the parsed table: edit(Csv) changes it in place."""
    def transform(data):
        table = Csv.parse(data)
        edit(table)
        return table.render()
    return rewrite(kind, description, transform)


def set_fields(table, line, updates):
    fields = table.lines[line].split(",")
    for column, value in updates.items():
        fields[column] = value
    table.lines[line] = ",".join(fields)


def deleted_row(rng, table: Csv):
    line = rng.choice(table.data_lines)
    return csv_rewrite("delete-row", f"line {line + 1} deleted", lambda t: t.lines.pop(line))


def duplicated_row(rng, table: Csv):
    line = rng.choice(table.data_lines)
    return csv_rewrite("duplicate-row", f"line {line + 1} duplicated",
                       lambda t: t.lines.insert(line + 1, t.lines[line]))


def header_only():
    def edit(t):
        del t.lines[t.header_line + 1:]
    return csv_rewrite("header-only", "every data row deleted", edit)


def deleted_column(rng, table: Csv):
    column = rng.randrange(len(table.header))

    def edit(t):
        for i in [t.header_line] + t.data_lines:
            fields = t.lines[i].split(",")
            if column < len(fields):
                del fields[column]
            t.lines[i] = ",".join(fields)
    return csv_rewrite("delete-column", f"column '{table.header[column]}' deleted (header and values)", edit)


def swapped_headers(rng, table: Csv):
    a, b = rng.sample(range(len(table.header)), 2)
    names = table.header

    def edit(t):
        set_fields(t, t.header_line, {a: names[b], b: names[a]})
    return csv_rewrite("swap-headers", f"headers of columns '{names[a]}' and '{names[b]}' swapped", edit)


def field_replaced(rng, table: Csv, value, kind):
    """A random value of a numeric column replaced by `value`."""
    column = rng.choice(table.numeric_columns() or range(len(table.header)))
    line = rng.choice(table.data_lines)
    return csv_rewrite(kind, f"line {line + 1} column '{table.header[column]}' set to {value!r}",
                       lambda t: set_fields(t, line, {column: value}))


def column_set(table: Csv, name, value):
    """Every row of column `name` set to `value` (e.g. all-zero fertility)."""
    column = table.header.index(name)

    def edit(t):
        for line in t.data_lines:
            set_fields(t, line, {column: value})
    return csv_rewrite("all-zero" if value == "0" else "column-set",
                       f"column '{name}' set to {value} in every row", edit)


def scaled_number(field, factor):
    if re.fullmatch(r"-?\d+", field):
        return str(int(field) * factor)
    return f"{float(field) * factor:.10g}"


def column_scaled(table: Csv, name, factor=1000):
    column = table.header.index(name)

    def edit(t):
        for line in t.data_lines:
            fields = t.lines[line].split(",")
            set_fields(t, line, {column: scaled_number(fields[column], factor)})
    return csv_rewrite("scale-column", f"column '{name}' multiplied by {factor}", edit)


# --- TOML files (configuration, scenario) -------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.\"-])[-+]?\d[\d_]*(\.\d+)?([eE][-+]?\d+)?(?![\w.\"])")
QUOTED = re.compile(r'"[^"]*"')


def key_lines(text):
    """Indices of the lines that set a key (not comments, blank lines or table headers)."""
    lines = text.split("\n")
    return [i for i, line in enumerate(lines) if re.match(r"\s*[A-Za-z_][\w.]*\s*=", line)]


def number_spans(line):
    """(start, end) of every number in the value part of a key line, outside strings and comments."""
    masked = QUOTED.sub(lambda m: " " * len(m.group()), line).split("#", 1)[0]
    value_start = masked.index("=") + 1
    return [m.span() for m in NUMBER.finditer(masked) if m.start() >= value_start]


def introduced_strings(mutation: Mutation, pristine: bytes):
    """The quoted strings (paths, names) on the lines that a content mutation changes in a TOML
    file, and their base names: a message may name such a path instead of the file itself (a
    table path changed by a bit flip, a table swapped for another)."""
    if mutation.transform is None:
        return ()
    try:
        mutated = mutation.transform(pristine).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 -- a transform that fails on its own input introduces nothing
        return ()
    old_lines = set(pristine.decode("utf-8").split("\n"))
    changed = [line.split("#", 1)[0] for line in mutated.split("\n") if line not in old_lines]
    values = {v.strip('"') for line in changed for v in QUOTED.findall(line)}
    names = values | {Path(v).name for v in values}
    return tuple(sorted(n for n in names if len(n) >= 3 and re.search(r"[A-Za-z]", n)))


def toml_lines_rewrite(kind, description, edit):
    """A mutation of the TOML text's lines: edit(list of lines) changes them in place."""
    def transform(data):
        lines = data.decode("utf-8").split("\n")
        edit(lines)
        return "\n".join(lines).encode("utf-8")
    return rewrite(kind, description, transform)


def toml_number_replaced(rng, text, value, kind):
    """A random number of a random key line replaced by `value` (a TOML literal)."""
    lines = text.split("\n")
    candidates = [(i, span) for i in key_lines(text) for span in number_spans(lines[i])]
    line, (start, end) = rng.choice(candidates)
    key = lines[line].split("=", 1)[0].strip()

    def edit(ls):
        ls[line] = ls[line][:start] + value + ls[line][end:]
    return toml_lines_rewrite(kind, f"line {line + 1} ({key}): {lines[line][start:end]} -> {value}", edit)


def toml_key_set(key, value, kind=None):
    """The first `key = ...` outside comments (a top-level or inline-table key) set to `value`."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(key)}\s*=\s*(\{{.*\}}|\"[^\"]*\"|\[[^\]]*\]|[^,}}\s#]+)")

    def transform(data):
        lines = data.decode("utf-8").split("\n")
        for i, line in enumerate(lines):
            if not line.lstrip().startswith("#") and pattern.search(line):
                lines[i] = pattern.sub(lambda m: f"{key} = {value}", line, count=1)
                return "\n".join(lines).encode("utf-8")
        raise ValueError(f"no key {key} to set")
    return rewrite(kind or f"set-{key}", f"{key} = {value}", transform)


def toml_line_deleted(rng, text):
    lines = text.split("\n")
    line = rng.choice(key_lines(text))
    return toml_lines_rewrite("delete-line", f"line {line + 1} deleted ({lines[line].split('#')[0].strip()})",
                              lambda ls: ls.pop(line))


def toml_line_duplicated(rng, text):
    lines = text.split("\n")
    line = rng.choice(key_lines(text))
    return toml_lines_rewrite("duplicate-key", f"line {line + 1} duplicated ({lines[line].split('=')[0].strip()})",
                              lambda ls: ls.insert(line + 1, ls[line]))


def toml_unknown_key(rng, text):
    line = rng.choice(key_lines(text))
    return toml_lines_rewrite("unknown-key", f"unknown key 'fuzz_unknown_key = 1' after line {line + 1}",
                              lambda ls: ls.insert(line + 1, "fuzz_unknown_key = 1"))


def toml_table_header_deleted(rng, text):
    lines = text.split("\n")
    headers = [i for i, line in enumerate(lines) if re.match(r"\s*\[", line)]
    line = rng.choice(headers)
    return toml_lines_rewrite("delete-table", f"table header {lines[line].strip()} deleted (line {line + 1})",
                              lambda ls: ls.pop(line))


def toml_key_line_bit_flipped(rng, data: bytes):
    """One bit flipped inside a key line, where a flip changes meaning (comments are ignored)."""
    text = data.decode("utf-8")
    lines = text.split("\n")
    line = rng.choice(key_lines(text))
    offset = sum(len(l.encode("utf-8")) + 1 for l in lines[:line])
    length = len(lines[line].split("#")[0].encode("utf-8"))
    bit = rng.randrange(offset * 8, (offset + max(1, length)) * 8)

    def transform(d):
        out = bytearray(d)
        out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out)
    return rewrite("bitflip", f"bit flipped at byte {bit // 8} bit {bit % 8} (line {line + 1})", transform)

