"""k-medoids (PAM: greedy BUILD, then best-improvement SWAP) on a precomputed distance matrix.

Used with the Gower distance as the typology's robustness check: a second, distance-based
method on the same encoded data. Deterministic: BUILD has no random start.
"""

from __future__ import annotations

import numpy as np


def build(distance: np.ndarray, k: int) -> list[int]:
    """Greedy BUILD: the most central household first, then the one that lowers the cost most."""
    medoids = [int(distance.sum(axis=0).argmin())]
    nearest = distance[:, medoids[0]].copy()
    for _ in range(1, k):
        gain = np.maximum(nearest[:, None] - distance, 0.0).sum(axis=0)
        gain[medoids] = -1.0
        medoids.append(int(gain.argmax()))
        nearest = np.minimum(nearest, distance[:, medoids[-1]])
    return medoids


def _swap_costs(distance: np.ndarray, medoids: list[int]) -> np.ndarray:
    """Total cost after swapping medoid i for household x (k x n)."""
    order = np.argsort(distance[:, medoids], axis=1)
    to_medoid = distance[:, medoids]
    rows = np.arange(len(distance))
    near, near_at = to_medoid[rows, order[:, 0]], order[:, 0]
    second = to_medoid[rows, order[:, 1]] if len(medoids) > 1 else np.full(len(rows), np.inf)
    costs = np.empty((len(medoids), len(distance)))
    for i in range(len(medoids)):
        keep = np.where(near_at == i, second, near)
        costs[i] = np.minimum(distance, keep[:, None]).sum(axis=0)
    costs[:, medoids] = np.inf
    return costs


def pam(distance: np.ndarray, k: int, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Medoid indices and labels (each household to its nearest medoid)."""
    medoids = build(distance, k)
    cost = distance[:, medoids].min(axis=1).sum()
    for _ in range(max_iter):
        costs = _swap_costs(distance, medoids)
        i, x = np.unravel_index(costs.argmin(), costs.shape)
        if costs[i, x] >= cost - 1e-12:
            break
        medoids[i], cost = int(x), costs[i, x]
    labels = distance[:, medoids].argmin(axis=1)
    return np.array(medoids), labels
