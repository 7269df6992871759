#!/usr/bin/python3
"""Population pyramid of a popsim population, checkpoint or results file, nationally and for the
capital region versus the rest. Needs only numpy, h5py and matplotlib (Debian's /usr/bin/python3).

Usage: /usr/bin/python3 analysis/pyramid.py FILE.h5 --out FIGURE.png [--year Y] [--overwrite]

FILE.h5 is a population (popsim synthesize) or a checkpoint: its persons at the end of its year;
or a results file (popsim run): /population at the end of year Y (default: the last year written).
An unfinished run (stopped, killed or still running) is drawn at a year it has written, and the
output and the figure's title say `incomplete run: written up to YEAR of END`.
Exit codes (docs/files.md, "Analysis tools"): 0 drawn; 2 refused, nothing written: FILE.h5 missing,
damaged or not one of those files, a year it does not hold, or FIGURE.png exists (--overwrite
replaces it), is FILE.h5 or is being written by another process; 1 a write failed (a full disk, a
read-only file system).
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import popsim_files  # noqa: E402
from popsim_files import Outputs, Population, Refused, Results  # noqa: E402


def population_counts(pop):
    """[R, 2, 101] persons by region, sex and age (100 = 100+) of a population or checkpoint file."""
    age = pop.year - pop.persons("birth_year", pop.year - 150, pop.year).astype(np.int64)
    cell = (pop.persons("region", 0, pop.R - 1).astype(np.int64) * 2 + pop.persons("sex", 0, 1)) * 101 \
        + np.minimum(age, 100)
    return np.bincount(cell, minlength=pop.R * 2 * 101).reshape(pop.R, 2, 101)


def read(args):
    """(counts [R, 2, 101], capital-region flags [R], year, scale, title, status) of FILE.h5."""
    with popsim_files.open_popsim(args.file, Population, Results) as f:
        capital = f.dataset("/regions/capital_region", (f.R,), kind="int").astype(bool)
        if isinstance(f, Population):
            if args.year is not None and args.year != f.year:
                raise Refused(f"--year {args.year}: {args.file} holds the population at the end of {f.year} only")
            return population_counts(f), capital, f.year, f.scale, "popsim synthetic population", ""
        year = f.last_year if args.year is None else args.year
        counts = f.counts("/population", f.R, 2, 101)[f.row(year, "--year")]
        return counts, capital, year, f.scale, "popsim projection", f.status


def main():
    parser = popsim_files.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--out", required=True)
    parser.add_argument("--year", type=int, help="the year of a results file (default: the last written)")
    args = parser.parse_args()
    counts, capital, year, scale, what, status = read(args)
    out = Outputs(args.overwrite, [args.file])
    path = out.file(args.out, "--out")
    panels = [("Korea", np.ones_like(capital)), ("Capital region", capital), ("Rest of Korea", ~capital)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 6), sharey=True)
    ages = np.arange(101)
    for ax, (title, mask) in zip(axes, panels):
        c = counts[mask].sum(axis=0) / scale / 1000.0
        ax.barh(ages, -c[0], height=1.0, color="#3b6ea8", label="men")
        ax.barh(ages, c[1], height=1.0, color="#c8553d", label="women")
        total = c.sum() * 1000.0
        ax.set_title(f"{title}: {total / 1e6:.2f} million")
        ax.set_xlabel("thousands per single year of age")
        lim = max(np.abs(c).max(), 1e-9) * 1.05
        ax.set_xlim(-lim, lim)
        ax.axhline(65, color="grey", lw=0.6, ls=":")
        ax.axhspan(20, 39, color="grey", alpha=0.07)
    axes[0].set_ylabel("age (100 = 100+)")
    axes[0].legend(loc="upper right")
    fig.suptitle(f"{what}, end of {year} (scale {scale:g}); shaded: ages 20-39, dotted: 65"
                 + (f"\n{status}" if status else ""), color="firebrick" if status else "black")
    fig.tight_layout()
    with out:
        out.save_figure(fig, path)
    if status:
        print(f"pyramid: {args.file}: {status}; drawn at the end of {year}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    popsim_files.run(main)
