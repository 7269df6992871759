#!/usr/bin/python3
"""Population pyramid of a popsim population or checkpoint file, nationally and for the capital
region versus the rest. Needs only numpy, h5py and matplotlib (Debian's /usr/bin/python3).

Usage: analysis/pyramid.py FILE.h5 --out FIGURE.png
"""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def age_sex_counts(f, mask_regions=None):
    year = int(f.attrs["year"])
    age = year - f["/persons/birth_year"][:].astype(np.int32)
    age = np.minimum(age, 100)
    sex = f["/persons/sex"][:]
    if mask_regions is not None:
        keep = mask_regions[f["/persons/region"][:]]
        age, sex = age[keep], sex[keep]
    counts = np.zeros((2, 101), dtype=np.int64)
    for s in (0, 1):
        counts[s] = np.bincount(age[sex == s], minlength=101)[:101]
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        sys.exit(f"{args.file}: cannot open as HDF5: {e}")
    if f.attrs.get("format") not in (b"popsim-checkpoint", "popsim-checkpoint"):
        sys.exit(f"{args.file}: not a popsim population or checkpoint file")
    year = int(f.attrs["year"])
    scale = float(f.attrs["scale"])
    capital = f["/regions/capital_region"][:].astype(bool)
    panels = [("Korea", None), ("Capital region", capital), ("Rest of Korea", ~capital)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 6), sharey=True)
    ages = np.arange(101)
    for ax, (title, mask) in zip(axes, panels):
        c = age_sex_counts(f, mask) / scale / 1000.0
        ax.barh(ages, -c[0], height=1.0, color="#3b6ea8", label="men")
        ax.barh(ages, c[1], height=1.0, color="#c8553d", label="women")
        total = c.sum() * 1000.0
        ax.set_title(f"{title}: {total / 1e6:.2f} million")
        ax.set_xlabel("thousands per single year of age")
        lim = np.abs(c).max() * 1.05
        ax.set_xlim(-lim, lim)
        ax.axhline(65, color="grey", lw=0.6, ls=":")
        ax.axhspan(20, 39, color="grey", alpha=0.07)
    axes[0].set_ylabel("age (100 = 100+)")
    axes[0].legend(loc="upper right")
    fig.suptitle(f"popsim synthetic population, end of {year} (scale {scale:g}); shaded: ages 20-39, dotted: 65")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
