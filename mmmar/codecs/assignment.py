"""One-to-one assignment of a limb's child-joint candidates to the people
(the host side of MAR's grouping, :mod:`mmmar.codecs.grouping`).

:func:`assign_limb` maximises the summed pair scores of one limb, each
person getting at most one candidate and each candidate at most one person;
:func:`assign_limbs` does it for several limbs at once, taking the cheap
paths where they give the same result: no conflict (everyone takes its best
allowed candidate) and conflicts between people who have no other allowed
candidate; the rest is ``scipy.optimize.linear_sum_assignment``.
"""
import numpy as np
from scipy.optimize import linear_sum_assignment


def assign_limb(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Optimal one-to-one assignment of candidates to people for one limb.

    Maximises the sum of ``scores`` over the assigned pairs, each person
    getting at most one candidate and each candidate at most one person, with
    only ``allowed`` pairs (a person may stay without candidate:
    zero-score dummy columns). Allowed pair scores should be positive, so
    that any allowed pair is better than none (true for the ``score`` of
    :func:`~mmmar.codecs.grouping.limb_pair_scores` where
    ``link >= decode_paf_thr > 0``).

    Args:
        scores (np.ndarray): (N, M) pair scores.
        allowed (np.ndarray): (N, M) bool.

    Returns:
        np.ndarray: (N,) the assigned candidate of each person, or -1.
    """
    return assign_limbs(scores[None], allowed[None])[0]


def _optimal_assignment(scores: np.ndarray,
                        allowed: np.ndarray) -> np.ndarray:
    """The optimal part of :func:`assign_limb` (``linear_sum_assignment``
    over the people and candidates that have an allowed pair)."""
    match = np.full(len(scores), -1, dtype=np.intp)
    rows = np.flatnonzero(allowed.any(1))
    cols = np.flatnonzero(allowed.any(0))
    if rows.size == 0:
        return match
    ok = allowed[rows][:, cols]
    s = scores[rows][:, cols].astype(np.float64)
    if rows.size == 1 or cols.size == 1:  # trivial: best allowed pair
        s[~ok] = -np.inf
        r, c = divmod(int(s.argmax()), cols.size)
        match[rows[r]] = cols[c]
        return match
    # forbidden pairs cost more than leaving the person unmatched (cost 0)
    R, C = ok.shape
    big = 1. + 2. * np.abs(s[ok]).max()
    cost = np.full((R, C + R), big)
    np.negative(s, out=cost[:, :C], where=ok)
    np.fill_diagonal(cost[:, C:], 0.)
    r, c = linear_sum_assignment(cost)
    keep = c < C
    keep[keep] = ok[r[keep], c[keep]]
    match[rows[r[keep]]] = cols[c[keep]]
    return match


def assign_limbs(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """:func:`assign_limb` for several limbs at once.

    Where no two people of a limb prefer the same candidate, each takes its
    best allowed one. Where they do, but each of them has no other allowed
    candidate (a person whose own peak merged with a neighbour's), the
    candidate goes to the one with the highest score and the others to
    nobody: optimal, since every other person keeps its best. Otherwise the
    limb gets the optimal assignment (``linear_sum_assignment``).

    Args:
        scores (np.ndarray): (L, N, M) pair scores of L limbs.
        allowed (np.ndarray): (L, N, M) bool.

    Returns:
        np.ndarray: (L, N) the assigned candidate of each person, or -1.
    """
    L, N, M = scores.shape
    if N == 0 or M == 0:
        return np.full((L, N), -1, dtype=np.intp)
    best = np.where(allowed, scores, -np.inf).argmax(2).reshape(-1)
    has = allowed.reshape(L * N, M)[np.arange(L * N), best]
    match = np.where(has, best, -1)
    key = best + np.repeat(np.arange(L) * M, N)  # (limb, candidate)
    taken = np.bincount(key[has], minlength=L * M)
    if taken.max() <= 1:
        return match.reshape(L, N)
    want = np.flatnonzero(has & (taken[key] > 1))  # people in a conflict
    if (allowed.reshape(L * N, M)[want].sum(1) == 1).all():
        top = want[np.lexsort((-scores.reshape(L * N, M)[want, best[want]],
                               key[want]))]  # by candidate, score desc
        first = np.ones(len(top), bool)
        first[1:] = key[top[1:]] != key[top[:-1]]
        match[top[~first]] = -1
        return match.reshape(L, N)
    match = match.reshape(L, N)
    for l in np.unique(want // N):  # noqa: E741
        match[l] = _optimal_assignment(scores[l], allowed[l])
    return match
