"""Whose name may go next to whose figures: one rule for every page, applied before anything
reaches Streamlit (tables, charts, downloads, page source).

The plan's board naming (`named`, `anonymous`, `hide_bottom`) is not a setting of the
Leaderboards page alone: a board that hides names is undone by any other page that lists the
same people's figures with their names (match the anonymous row's squad and value against the
Targets table). So:

- `named`: every name is shown, everywhere;
- otherwise a rep's name (and rep_id) is shown next to their figures only to the rep
  themself, to the leaders of the rep's squad and to admins (`sees`); to anyone else the
  row stays, its figures stay, and the name becomes HIDDEN. The Leaderboards page adds what
  the setting promises there (`contribution.present_board`): ranks instead of names, or the
  bottom N left out.

Squad figures (squad totals, attainment, goals per squad) carry no rep name and are not touched.
"""

from __future__ import annotations

import polars as pl

from squadboard.auth import Viewer

HIDDEN = "(name hidden)"
NAMINGS = ("named", "anonymous", "hide_bottom")


def sees(viewer: Viewer, rep_id: str | None, squad_id: str | None) -> bool:
    """May `viewer` see this rep's name next to their figures whatever the board naming?"""
    return (
        (rep_id is not None and rep_id == viewer.rep_id)
        or viewer.is_admin
        or (viewer.access == "leader" and squad_id is not None and squad_id in viewer.leads)
    )


def _seen(viewer: Viewer, rep_id: str, squad_id: str) -> pl.Expr:
    """`sees` as a Polars expression over a frame's columns."""
    if viewer.is_admin:
        return pl.lit(True)
    seen = pl.col(rep_id).eq(viewer.rep_id).fill_null(False)
    if viewer.access == "leader" and viewer.leads:
        seen = seen | pl.col(squad_id).is_in(list(viewer.leads)).fill_null(False)
    return seen


def hide_names(
    frame: pl.DataFrame,
    viewer: Viewer,
    naming: str,
    *,
    squads: pl.DataFrame | None = None,
    rep: str | tuple[str, ...] = "rep",
    rep_id: str = "rep_id",
    squad_id: str = "squad_id",
    label: str = HIDDEN,
) -> pl.DataFrame:
    """The rows of `frame` with the names the viewer may not see replaced by `label` and their
    `rep_id` emptied. `rep` is the name column (or columns); a frame without a squad_id column
    gets the rep's squad from `squads` (rep_id, squad_id rows, e.g. the roster) to decide by.
    """
    if naming not in NAMINGS:
        raise ValueError(f"board naming must be one of {', '.join(NAMINGS)}, not {naming!r}")
    if naming == "named" or viewer.is_admin:
        return frame
    names = (rep,) if isinstance(rep, str) else rep
    work = frame
    joined = squad_id not in frame.columns
    if joined:
        if squads is None:
            raise ValueError("hide_names needs the reps' squads: the frame has no squad column")
        lookup = squads.select(
            pl.col("rep_id").alias(rep_id), pl.col("squad_id").alias("__squad_of")
        ).unique(rep_id, keep="first")
        work = frame.join(lookup, on=rep_id, how="left", maintain_order="left")
    seen = _seen(viewer, rep_id, "__squad_of" if joined else squad_id)
    work = work.with_columns(
        *[pl.when(seen).then(pl.col(n)).otherwise(pl.lit(label)).alias(n) for n in names],
        pl.when(seen).then(pl.col(rep_id)).otherwise(pl.lit(None)).alias(rep_id),
    )
    return work.drop("__squad_of") if joined else work


def visible_reps(viewer: Viewer, naming: str, people: pl.DataFrame) -> list[str]:
    """The rep_ids of `people` (rep_id, squad_id rows) whose figures the viewer may open by
    name (a leader's rep picker, the Profile page): everyone when the board is named."""
    if naming == "named" or viewer.is_admin:
        return people["rep_id"].to_list()
    return people.filter(_seen(viewer, "rep_id", "squad_id"))["rep_id"].to_list()
