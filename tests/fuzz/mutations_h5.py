"""Mutations of popsim's HDF5 files: population/checkpoint files and results files.

Byte-level damage (truncation, bit flips, zeroed blocks) tests the reader's defences against a
damaged file. Edits made with h5py test what a well-formed HDF5 file with wrong content does:
missing datasets, index arrays of the wrong length, out-of-range values, attributes with extreme
values or the wrong type. Most such edits recompute the dataset's `checksum` attribute (the sum
over elements of a 64-bit mix of index and value bits, docs/files.md), so that the damage gets
past the checksum and reaches the checks behind it.
"""
from dataclasses import dataclass

import h5py
import numpy as np

from mutations_text import Mutation, bit_flipped, emptied, rewrite, truncated, with_garbage_appended

U64 = np.uint64


def mix64(x):
    """SplitMix64's finaliser on a uint64 array (src/core/hash.hpp)."""
    with np.errstate(over="ignore"):
        x = x + U64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> U64(27))) * U64(0x94D049BB133111EB)
        return x ^ (x >> U64(31))


def checksum(values: np.ndarray) -> int:
    """popsim's dataset checksum of `values` as stored with their dtype (src/io/detail/hdf5.cpp)."""
    flat = np.ascontiguousarray(values).reshape(-1)
    bits = flat.view(np.dtype(f"u{flat.dtype.itemsize}")).astype(U64)
    index = np.arange(flat.size, dtype=U64)
    with np.errstate(over="ignore"):
        return int(np.sum(mix64(mix64(index) ^ bits), dtype=U64))


def h5_edit(kind, description, edit, tag=""):
    """A mutation made with h5py: edit(h5py.File) changes the file opened for writing. `tag` names
    the dataset or attribute (for case ids)."""
    def apply(path):
        with h5py.File(path, "r+") as f:
            edit(f)
    return Mutation(kind, description, apply, tag.strip("/").replace("/", "-").replace("_", "-"))


def attributes_of(obj):
    """(name, value, dtype) of every attribute, to copy them to a replacement dataset."""
    return [(name, obj.attrs[name], obj.attrs.get_id(name).dtype) for name in obj.attrs]


def replace_dataset(f, name, data, checksum_dtype=None):
    """Replaces dataset `name` by `data`, keeping its attributes. Its checksum is recomputed as
    popsim would compute it after reading `data` as `checksum_dtype` (default: the old dtype),
    so that only the type, shape or values differ."""
    old = f[name]
    attributes, old_dtype = attributes_of(old), old.dtype
    del f[name]
    new = f.create_dataset(name, data=data)
    for attr, value, dtype in attributes:
        new.attrs.create(attr, value, dtype=dtype)
    if "checksum" in new.attrs and np.asarray(data).dtype.kind in "iuf":
        as_read = np.asarray(data).astype(checksum_dtype or old_dtype)
        new.attrs.create("checksum", U64(checksum(as_read)), dtype=new.attrs.get_id("checksum").dtype)


def values_changed(name, change, description, kind="value", fix_checksum=True):
    """Dataset `name` replaced by change(values) (same dtype); checksum recomputed unless told not to."""
    def edit(f):
        values = np.array(f[name][()])
        values = change(values)
        if fix_checksum:
            replace_dataset(f, name, values)
        else:
            f[name][...] = values
    return h5_edit(kind, f"{name}: {description}" + ("" if fix_checksum else " (checksum not updated)"), edit, name)


def set_at(index, value):
    def change(values):
        values[index] = value
        return values
    return change


def linked_to_self(link, i):
    """Person i's partner or mother is person i."""
    def edit(f):
        ids = f["/persons/id"][()]
        values = np.array(f[link][()])
        values[i] = ids[i]
        replace_dataset(f, link, values)
    return h5_edit("value", f"{link}: person {i} linked to her/himself", edit, link)


def swapped(values, a, b):
    values[[a, b]] = values[[b, a]]
    return values


def deleted(name):
    def edit(f):
        del f[name]
    return h5_edit("delete", f"{name} deleted", edit, name)


def attribute_set(obj, name, value, dtype=None, label=None):
    """Attribute `name` of `obj` set to `value` (of `dtype`, replacing the old type)."""
    def edit(f):
        target = f[obj]
        if name in target.attrs:
            del target.attrs[name]
        if dtype == "vlen-str":
            target.attrs[name] = value  # a Python str: h5py writes a variable-length string
        else:
            target.attrs.create(name, value, dtype=dtype)
    shown = label or repr(value)
    return h5_edit("attr", f"attribute {obj}:{name} = {shown}", edit, name)


def attribute_deleted(obj, name):
    def edit(f):
        del f[obj].attrs[name]
    return h5_edit("attr-delete", f"attribute {obj}:{name} deleted", edit, name)


def dataset_replaced(name, make, description, checksum_dtype=None):
    """Dataset `name` replaced by make(old values): another type or shape."""
    def edit(f):
        replace_dataset(f, name, make(np.array(f[name][()])), checksum_dtype)
    return h5_edit("retype", f"{name} {description}", edit, name)


# --- Byte-level damage of a binary file -----------------------------------------------------------

def zeroed_block(rng, size, length=4096):
    at = rng.randrange(int(0.1 * size), int(0.9 * size))

    def transform(data):
        return data[:at] + bytes(min(length, len(data) - at)) + data[at + length:]
    return rewrite("zero-block", f"{length} bytes zeroed at offset {at}", transform)


def truncated_to(at, size):
    return rewrite("truncate", f"truncated to {at} of {size} bytes", lambda data: data[:at])


# --- Facts about the pristine files that the mutations refer to ---------------------------------

@dataclass(frozen=True)
class PopulationShape:
    persons: int
    households: int
    regions: int

    @classmethod
    def of(cls, path):
        with h5py.File(path, "r") as f:
            return cls(f["/persons/id"].shape[0], f["/households/id"].shape[0], f["/regions/code"].shape[0])


# --- The mutation tables --------------------------------------------------------------------------

def population_mutations(rng, shape: PopulationShape, with_results: bool):
    """Structural and attribute mutations of a population or checkpoint file."""
    n, h, r = shape.persons, shape.households, shape.regions
    i = rng.randrange(1, n - 1)  # a person in the middle
    k = rng.randrange(2, r - 2)  # a region in the middle
    m = [
        deleted("/persons/id"),
        deleted("/persons/birth_year"),
        deleted("/regions/person_offset"),
        deleted("/households/region"),
        deleted("/regions/code"),
        deleted("/persons"),
        # Index arrays of the wrong length or with impossible values.
        values_changed("/regions/person_offset", lambda v: v[:-1], f"shrunk to {r} values (of {r + 1})", "shrink"),
        values_changed("/regions/person_offset", lambda v: v[:0], "emptied", "shrink"),
        values_changed("/regions/person_offset", lambda v: v[:1], "shrunk to 1 value", "shrink"),
        values_changed("/regions/person_offset", set_at(-1, n + 1000), f"last offset {n + 1000} (persons: {n})"),
        values_changed("/regions/person_offset", set_at(-1, 2**64 - 1), "last offset 2^64-1"),
        values_changed("/regions/person_offset", lambda v: swapped(v, k, k + 1),
                       f"entries {k} and {k + 1} swapped (not monotonic)"),
        values_changed("/regions/person_offset", lambda v: np.zeros_like(v), "all zero"),
        values_changed("/regions/person_offset", set_at(0, 5), "first offset 5"),
        values_changed("/regions/household_offset", set_at(-1, h + 1), f"last offset {h + 1} (households: {h})"),
        values_changed("/regions/household_offset", lambda v: v[:-1], f"shrunk to {r} values", "shrink"),
        # Out-of-range person and household values.
        values_changed("/persons/region", set_at(i, 60000), f"person {i} in region 60000"),
        values_changed("/persons/region", set_at(i, r), f"person {i} in region {r} (one past the last)"),
        values_changed("/persons/sex", set_at(i, 7), f"person {i} of sex 7"),
        values_changed("/persons/birth_year", set_at(i, 32767), f"person {i} born in 32767"),
        values_changed("/persons/birth_year", set_at(i, -32768), f"person {i} born in -32768"),
        linked_to_self("/persons/partner", i),
        values_changed("/persons/partner", set_at(i, 2**63), f"person {i}'s partner is id 2^63 (nobody)"),
        linked_to_self("/persons/mother", i),
        values_changed("/persons/household", set_at(i, 2**32 - 1), f"person {i} in household 2^32-1"),
        values_changed("/persons/id", lambda v: set_at(i, v[i - 1])(v), f"person {i} has person {i - 1}'s id"),
        values_changed("/persons/id", set_at(i, 0), f"person {i} has id 0"),
        values_changed("/households/id", lambda v: set_at(1, v[0])(v), "household 1 has household 0's id"),
        values_changed("/persons/flags", set_at(i, 0xFF), f"person {i} flags 0xff"),
        values_changed("/persons/parity", set_at(i, 255), f"person {i} parity 255"),
        values_changed("/persons/sex", lambda v: v[:-1], f"one value short ({n - 1} of {n})", "shrink"),
        values_changed("/persons/id", lambda v: np.append(v, v[-1] + 1), f"one value too many ({n + 1})", "grow"),
        values_changed("/regions/code", set_at(k, 1), f"region {k} has code 1"),
        values_changed("/regions/code", lambda v: set_at(k, v[k - 1])(v), f"region {k} has region {k - 1}'s code"),
        values_changed("/regions/province", set_at(k, 99), f"region {k} in province 99"),
        values_changed("/provinces/code", set_at(0, 0), "province 0 has code 0"),
        # Damage the checksum must catch.
        values_changed("/persons/birth_year", lambda v: set_at(i, v[i] - 1)(v), f"person {i} a year older",
                       fix_checksum=False),
        attribute_deleted("/persons/id", "checksum"),
        attribute_set("/persons/id", "checksum", "abc", dtype="vlen-str"),
        # Root attributes: extreme values and the wrong types.
        *[attribute_set("/", "year", np.int64(v)) for v in (-1, 0, 32767, 2**63 - 1, 2022, 2200)],
        *[attribute_set("/", "scale", np.float64(v)) for v in (0.0, -1.0, float("nan"), float("inf"), 2.0)],
        *[attribute_set("/", "schema_version", np.int64(v)) for v in (1, 3, -1, 2**31)],
        attribute_set("/", "seed", np.int64(-1)),
        attribute_set("/", "seed", np.uint64(2**64 - 1)),
        attribute_set("/", "base_year", np.int64(0)),
        attribute_set("/", "base_year", np.int64(2024)),
        attribute_set("/", "next_person_id", np.uint64(0)),
        attribute_set("/", "next_person_id", np.uint64(1)),
        *[attribute_set("/", "ranks", np.int64(v)) for v in (0, -1, 2**31 - 1)],
        attribute_set("/", "format", np.bytes_(b"popsim-results")),
        attribute_set("/", "format", np.bytes_(b"x" * 30000), label="'x' * 30000"),
        attribute_set("/", "year", "2025", dtype="vlen-str"),
        attribute_set("/", "scale", np.bytes_(b"0.002")),
        attribute_set("/", "schema_version", np.float64(2.5)),
        attribute_set("/", "format", np.int64(2)),
        attribute_set("/", "format", "popsim-checkpoint", dtype="vlen-str",
                      label="'popsim-checkpoint' (variable-length)"),
        attribute_set("/", "config", np.bytes_(b"")),
        attribute_set("/", "config", np.bytes_(b"#" * 30000), label="'#' * 30000"),
        attribute_set("/", "config_path", np.bytes_(b"\xff\xfe\x00bad")),
        attribute_deleted("/", "year"),
        attribute_deleted("/", "format"),
        attribute_deleted("/", "schema_version"),
        # Datasets of another type or shape (checksums as popsim computes them after conversion).
        dataset_replaced("/persons/birth_year", lambda v: v.astype(np.float64), "as float64 (same values)", np.int16),
        dataset_replaced("/persons/birth_year", lambda v: v[: v.size // 2 * 2].reshape(-1, 2), "as a 2-D array"),
        dataset_replaced("/regions/person_offset", lambda v: np.array([str(x).encode() for x in v]), "as strings"),
        dataset_replaced("/persons/sex", lambda v: v.astype(np.int64), "as int64 (same values)", np.uint8),
        dataset_replaced("/persons/id", lambda v: v.astype(np.float32), "as float32", np.uint64),
        dataset_replaced("/regions/code", lambda v: np.array([str(x).encode() for x in v]), "as strings"),
        dataset_replaced("/persons/region", lambda v: v[0], "as a scalar"),
        dataset_replaced("/regions/name_en", lambda v: np.arange(v.size), "as integers"),
    ]
    if with_results:
        m += results_in_checkpoint_mutations()
    return m



def results_in_checkpoint_mutations():
    """The /results of a run's checkpoint: the results.h5 rows that a restart rebuilds."""
    return [
        deleted("/results"),
        deleted("/results/population"),
        deleted("/results/years"),
        *[attribute_set("/results/population", "rows", np.int64(v)) for v in (99, 0, -1)],
        *[attribute_set("/results/population", "shape", np.bytes_(v.encode()), label=repr(v))
          for v in ("garbage", "4,229", "", "99999999999,99999999999,2,101")],
        values_changed("/results/population", lambda v: v[: v.size // 2], "halved", "shrink"),
        values_changed("/results/years", lambda v: v[::-1].copy(), "years reversed"),
        dataset_replaced("/results/population", lambda v: np.where(v > 5, np.nan, v.astype(np.float64)),
                         "as float64 with NaN", np.int64),
    ]


def results_file_mutations(rng, other_seed):
    """Structural and attribute mutations of a results.h5 (`other_seed`: the other replicate's)."""
    return [
        deleted("/years"),
        deleted("/population"),
        deleted("/meta"),
        deleted("/regions/code"),
        deleted("/nationals/population"),
        deleted("/extinction"),
        dataset_replaced("/population", lambda v: v[:-1], "without its last year"),
        dataset_replaced("/population", lambda v: v.astype(np.float64), "as float64 (same values)"),
        dataset_replaced("/population", lambda v: set_at((1, 0, 0, 0), -5)(v), "one count -5"),
        dataset_replaced("/population", lambda v: set_at((1, 0, 0, 0), np.nan)(v.astype(np.float64)), "with a NaN"),
        dataset_replaced("/years", lambda v: np.array([2023, 2030, 2024, 2040], dtype=v.dtype),
                         "2023, 2030, 2024, 2040"),
        dataset_replaced("/years", lambda v: np.array([str(x).encode() for x in v]), "as strings"),
        dataset_replaced("/years", lambda v: v[:0], "emptied"),
        dataset_replaced("/regions/code", lambda v: v[:-1], "one region short"),
        *[attribute_set("/meta", "scale", np.float64(v)) for v in (0.0, float("nan"), -1.0)],
        attribute_set("/meta", "scale", np.bytes_(b"0.002")),
        attribute_deleted("/meta", "scale"),
        attribute_set("/meta", "complete", np.int64(0)),
        attribute_set("/meta", "seed", np.int64(other_seed), label=f"{other_seed} (the other replicate's)"),
        attribute_set("/meta", "start_year", np.int64(-1)),
        attribute_set("/meta", "end_year", np.int64(10**9)),
        attribute_set("/meta", "config", np.bytes_(b"")),
    ]


def binary_damage(rng, size):
    """Byte-level damage of an HDF5 file of `size` bytes."""
    return [
        truncated(rng, size),
        truncated(rng, size),
        truncated_to(size // 2, size),
        truncated_to(512, size),
        emptied(),
        *[bit_flipped(rng, size, flips=1, lo=0.1, hi=0.9) for _ in range(3)],
        bit_flipped(rng, size, flips=64, lo=0.1, hi=0.9),
        bit_flipped(rng, size, flips=1, lo=0.0, hi=0.001),
        zeroed_block(rng, size),
        with_garbage_appended(rng),
    ]
