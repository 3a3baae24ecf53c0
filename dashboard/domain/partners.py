"""The Partner page's pure pieces on Polars frames: filters, own organisation first, counts per type, network layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

LAYOUT_SEED = 7
LAYOUT_ITERATIONS = 200
GRAVITY = 0.02  # pull to the centre per partner: keeps loners near the rest


@dataclass(frozen=True)
class PartnerFilter:
    """Which partners to show: organisation types and Kreise (AGS of the seat); empty means all. Hashable."""

    types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not self.types and not self.regions


def filter_partners(partners: pl.DataFrame, flt: PartnerFilter) -> pl.DataFrame:
    """The partners of the chosen types whose seat is in one of the chosen Kreise."""
    keep = pl.lit(value=True)
    if flt.types:
        keep &= pl.col("member_type").is_in(list(flt.types))
    if flt.regions:
        keep &= pl.col("region_ags").is_in(list(flt.regions))
    return partners.filter(keep)


def own_first(partners: pl.DataFrame, own_ids: frozenset[int]) -> pl.DataFrame:
    """An ``is_own`` column (the viewer's own organisation) and those rows first, the rest in their order."""
    flagged = partners.with_columns(pl.col("member_id").is_in(sorted(own_ids)).alias("is_own"))
    return flagged.sort("is_own", descending=True, maintain_order=True)


def type_counts(partners: pl.DataFrame) -> pl.DataFrame:
    """member_type, members: partners per organisation type, most first (ties by type code)."""
    return (
        partners.group_by("member_type")
        .agg(pl.len().cast(pl.Int64).alias("members"))
        .sort(["members", "member_type"], descending=[True, False])
    )


def network_layout(
    member_ids: Sequence[int], edges: pl.DataFrame, *, seed: int = LAYOUT_SEED, iterations: int = LAYOUT_ITERATIONS
) -> pl.DataFrame:
    """member_id, x, y: a force-directed (Fruchterman–Reingold) layout in [-1, 1]², the same for the same input.

    Partners that share projects attract each other (more strongly the more projects they share), all repel each
    other, and a weak pull to the centre keeps partners without shared projects near the others. Starting points come
    from a seeded generator over the sorted ids, so the picture does not move between reruns.
    """
    ids = sorted(set(member_ids))
    schema = {"member_id": pl.Int64(), "x": pl.Float64(), "y": pl.Float64()}
    count = len(ids)
    if count <= 1:
        return pl.DataFrame({"member_id": ids, "x": [0.0] * count, "y": [0.0] * count}, schema=schema)
    index = {member_id: position for position, member_id in enumerate(ids)}
    weights = np.zeros((count, count))
    known = edges.filter(pl.col("member_a").is_in(ids) & pl.col("member_b").is_in(ids))
    a = np.array([index[m] for m in known["member_a"].to_list()], dtype=int)
    b = np.array([index[m] for m in known["member_b"].to_list()], dtype=int)
    strength = 1.0 + np.log(known["projects"].to_numpy().astype(float)) if known.height else np.zeros(0)
    weights[a, b] = weights[b, a] = strength
    rng = np.random.default_rng(seed)
    position = rng.uniform(-1.0, 1.0, (count, 2))
    ideal = np.sqrt(4.0 / count)  # the ideal distance on a 2 × 2 square
    temperature = 0.2
    for _ in range(iterations):
        delta = position[:, None, :] - position[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=-1), 1e-3)
        push = ideal**2 / distance
        pull = weights * distance**2 / ideal
        force = (push - pull) / distance
        np.fill_diagonal(force, 0.0)
        move = (delta * force[..., None]).sum(axis=1) - GRAVITY * position * count
        length = np.maximum(np.linalg.norm(move, axis=1, keepdims=True), 1e-9)
        position += move / length * np.minimum(length, temperature)
        temperature *= 0.98
    # Each axis stretched to [-1, 1] on its own: the picture fills the chart's (wide) box.
    position -= (position.max(axis=0) + position.min(axis=0)) / 2
    scale = np.abs(position).max(axis=0)
    position = np.divide(position, scale, out=np.zeros_like(position), where=scale > 0)
    return pl.DataFrame({"member_id": ids, "x": position[:, 0], "y": position[:, 1]}, schema=schema)
