"""What the input-preparation scripts share: their error, reading a raw CSV, and PCLM ungrouping
(with the composition matrix of age groups it needs)."""
import os

import numpy as np
import pandas as pd


class InputError(Exception):
    """A raw file is missing or does not have the expected content."""


def read_csv(raw, rel, required, **kw):
    """Read RAW/rel, failing with the file name and the missing columns if it is not as expected."""
    path = os.path.join(raw, rel)
    if not os.path.isfile(path):
        raise InputError(f"missing raw file: {path}")
    try:
        df = pd.read_csv(path, **kw)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot parse {path}: {exc}") from exc
    df.columns = [str(c).lstrip("\ufeff") for c in df.columns]
    miss = [c for c in required if c not in df.columns]
    if miss:
        raise InputError(f"malformed {path}: missing columns {miss}")
    if len(df) == 0:
        raise InputError(f"malformed {path}: no rows")
    return df


def pclm(y, C, offset, lam, n_iter=200, tol=1e-10):
    """Penalised composite link model (Rizzi, Gampe & Eilers 2015) with a log offset.

    Ungroups positive grouped counts y (G,) into single years exp(offset + beta) with a
    second-difference penalty on beta, so the result follows the offset's shape where the data
    say nothing and reproduces every group sum (to solver precision)."""
    A = C.shape[1]
    D = np.diff(np.eye(A), n=2, axis=0)
    P = lam * D.T @ D
    prior = np.exp(offset)
    beta = np.log(np.maximum(C.T @ (y / np.maximum(C @ prior, 1e-300)), 1e-12))
    for _ in range(n_iter):
        gamma = np.exp(offset + beta)
        mu = np.maximum(C @ gamma, 1e-12)
        Q = C * gamma[None, :]
        lhs = Q.T @ ((1.0 / mu)[:, None] * Q) + P + 1e-10 * np.eye(A)
        rhs = Q.T @ ((1.0 / mu) * (y - mu + Q @ beta))
        new = np.linalg.solve(lhs, rhs)
        step = np.max(np.abs(new - beta))
        beta = new
        if step < tol:
            break
    return np.exp(offset + beta)


def comp_matrix(edges, n_ages):
    """Composition matrix of the age groups starting at `edges` (the last group open to n_ages - 1)."""
    C = np.zeros((len(edges), n_ages))
    for g, lo in enumerate(edges):
        hi = edges[g + 1] if g + 1 < len(edges) else n_ages
        C[g, lo:hi] = 1.0
    return C
