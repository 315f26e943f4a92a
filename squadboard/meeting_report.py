"""The weekly meeting's tables in words (for the wall screen and the meeting pack) and the pack
itself: one self-contained HTML file, charts included, that opens offline. Pure: no Streamlit.

Every value is formatted here (money in whole dollars, percentages, dates as dates, a dash
for missing) and every text is HTML-escaped, so a name or message shows exactly as typed.
"""

from __future__ import annotations

import html
from datetime import date, datetime

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from squadboard.meeting import CATEGORIES

DASH = "–"


def money(value) -> str:
    if value is None:
        return DASH
    value = float(value)
    return f"{'−' if value < 0 else ''}${abs(value):,.0f}"


def signed_money(value) -> str:
    if value is None:
        return DASH
    return ("+" if float(value) > 0 else "") + money(value)


def pct(value) -> str:
    return DASH if value is None else f"{value:.0%}"


def points(value) -> str:
    return DASH if value is None else f"{value * 100:+.1f} pts"


def day(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return f"{value:%-d %b %Y %H:%M}"
    return f"{value:%-d %b %Y}" if isinstance(value, date) else str(value)


def text(value) -> str:
    return DASH if value is None or value == "" else str(value)


def _each(fmt, values: list) -> list[str]:
    """fmt of every value, worked out once per distinct value (50,000 deals share a few
    hundred close dates); the formatters are pure. Not for floats (_words): 0.0 and -0.0 are one
    key but not always the same words."""
    try:
        words = {v: fmt(v) for v in set(values)}
    except TypeError:  # a value that is not hashable
        return [fmt(v) for v in values]
    return [words[v] for v in values]


def _words(frame: pl.DataFrame, columns: dict[str, tuple[str, object]]) -> pl.DataFrame:
    """column -> (header in words, formatter): a frame of strings, in that order."""
    out = {
        header: [fmt(v) for v in frame[col].to_list()]
        if frame.schema[col].is_float()
        else _each(fmt, frame[col].to_list())
        for col, (header, fmt) in columns.items()
    }
    return pl.DataFrame(out, schema={h: pl.String for h, _ in columns.values()})


def standings(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame,
        {
            "squad": ("Squad", text),
            "attainment": ("Attainment", pct),
            "attainment_week_ago": ("A week before", pct),
            "change": ("Change", points),
            "credited_this_week": ("Credited this week", money),
            "pace": ("Pace", pct),
            "status": ("Status", text),
        },
    )


def bridge(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame.with_columns(
            label=pl.col("category").replace_strict({k: v[0] for k, v in CATEGORIES.items()})
        ),  # fmt: skip
        {"label": ("Category", text), "deals": ("Deals", text), "amount": ("Amount", money)},
    )


def movements(frame: pl.DataFrame) -> pl.DataFrame:
    shown = frame.with_columns(
        label=pl.col("category").replace_strict({k: v[0] for k, v in CATEGORIES.items()})
    )
    return _words(
        shown,
        {
            "deal": ("Deal", text),
            "owner": ("Owner", text),
            "label": ("Category", text),
            "amount_start": ("At the start", money),
            "amount_end": ("At the end", money),
            "change": ("Change", signed_money),
            "close_date_start": ("Close date then", day),
            "close_date_end": ("Close date now", day),
            "stage_end": ("Stage now", text),
        },
    )


def wins(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame,
        {
            "deal": ("Deal", text),
            "amount": ("Amount", money),
            "close_date": ("Closed", day),
            "revenue_credit": ("Revenue credit", text),
            "overlay_credit": ("Confirmed overlays", text),
            "pod_members": ("Also in the pod", text),
        },
    )


def needing_help(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame,
        {
            "deal": ("Deal", text),
            "owner": ("Owner", text),
            "amount": ("Amount", money),
            "close_date": ("Close date", day),
            "stage": ("Stage", text),
            "reasons": ("Why it needs help", text),
        },
    )


def kudos(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame,
        {
            "to_name": ("To", text),
            "from_name": ("From", text),
            "category": ("For", text),
            "message": ("Message", text),
            "given_at": ("When", day),
        },
    )


def recognised(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(frame, {"rank": ("Rank", text), "rep": ("Who", text), "kudos": ("Kudos", text)})


def actions(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame.with_columns(
            state=pl.when(pl.col("kind") == "decision")
            .then(pl.lit("decided"))
            .when(pl.col("done"))
            .then(pl.lit("done"))
            .otherwise(pl.lit("open")),
            since=pl.when(pl.col("carried"))
            .then(pl.lit("an earlier meeting"))
            .otherwise(pl.lit("this meeting")),  # fmt: skip
        ),
        {
            "kind": ("Kind", lambda v: text(v).capitalize()),
            "text": ("What", text),
            "owner": ("Owner", text),
            "due_date": ("Due", day),
            "state": ("State", text),
            "since": ("From", text),
        },
    )


# What a request for help went through in the week (mentoring_week's event), in words.
MENTORING_EVENTS = {
    "asked": "asked for help",
    "accepted": "mentoring started",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "done": "mentoring done",
}


def mentoring(frame: pl.DataFrame) -> pl.DataFrame:
    return _words(
        frame,
        {
            "at_time": ("When", day),
            "event": ("What happened", lambda v: MENTORING_EVENTS.get(v, text(v))),
            "asker": ("Asked by", text),
            "mentor": ("Mentor", text),
            "topic": ("Topic", text),
        },
    )


def mentoring_summary(frame: pl.DataFrame) -> str:
    """'3 asked for help · 2 mentoring started · 1 mentoring done' (zeros said too)."""
    counts = dict(frame.group_by("event").len().iter_rows()) if frame.height else {}
    shown = ("asked", "accepted", "done")
    return " · ".join(f"{counts.get(e, 0)} {MENTORING_EVENTS[e]}" for e in shown)


def masterminds(frame: pl.DataFrame) -> pl.DataFrame:
    """mastermind_week rows in words: what each is (active, a step due or overdue, an
    outcome of the week), the Mastermind, its owner and helpers, and the step or outcome."""

    def what(row: dict) -> str:
        if row["kind"] == "step":
            return "step overdue" if row["overdue"] else "step due this week"
        return {"active": "active", "outcome": "closed this week"}.get(row["kind"], row["kind"])

    def detail(row: dict) -> str:
        if row["kind"] == "step":
            owner = f" ({row['step_owner']})" if row["step_owner"] else ""
            return f"{row['step']}{owner}, due {day(row['due_date'])}"
        if row["kind"] == "outcome":
            return f"outcome: {text(row['outcome'])}"
        return f"goal: {text(row['goal'])}, by {day(row['target_date'])}"

    rows = frame.to_dicts()
    return pl.DataFrame(
        {
            "What": [what(r) for r in rows],
            "Mastermind": [text(r["title"]) for r in rows],
            "Owner": [text(r["owner"]) for r in rows],
            "Helpers": [text(r["helpers"]) for r in rows],
            "Step, goal or outcome": [detail(r) for r in rows],
        },
        schema={c: pl.String for c in ("What", "Mastermind", "Owner", "Helpers")}
        | {"Step, goal or outcome": pl.String},
    )


def html_table(frame: pl.DataFrame, empty: str = "Nothing this week.") -> str:
    """A frame of strings as an HTML table; every header and cell escaped."""
    if frame.is_empty():
        return f'<p class="meeting-empty">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(text(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return (
        f'<table class="meeting-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


PACK_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #000;
       background: #fff; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 2rem; margin-bottom: .25rem; } h2 { margin-top: 2.5rem; }
.meeting-table { border-collapse: collapse; width: 100%; font-size: .95rem; }
.meeting-table th, .meeting-table td { border-bottom: 1px solid #9e9e9e; padding: .4rem .6rem;
       text-align: left; vertical-align: top; }
.meeting-table th { background: #eeeeee; }
.meeting-empty { color: #333; font-style: italic; }
.meeting-note { color: #333; }
"""


def pack(
    title: str,
    subtitle: str,
    sections: list[tuple[str, str | None, go.Figure | None, pl.DataFrame | None]],
) -> str:
    """The meeting pack: (heading, note, figure, table) per section, in order. Plotly's
    JavaScript is inlined once, so the file needs no network."""
    parts = []
    first_chart = True
    for heading, note, figure, table in sections:
        parts.append(f"<section><h2>{html.escape(heading)}</h2>")
        if note:
            parts.append(f'<p class="meeting-note">{html.escape(note)}</p>')
        if figure is not None:
            parts.append(
                pio.to_html(
                    figure,
                    full_html=False,
                    include_plotlyjs=first_chart,  # True: the whole library, inlined
                    config={"displaylogo": False},
                )
            )
            first_chart = False
        if table is not None:
            parts.append(html_table(table))
        parts.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{PACK_STYLE}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="meeting-note">{html.escape(subtitle)}</p>'
        + "".join(parts)
        + "</body></html>"
    )


# The pack's part of each section: (note, figure, table), from the named queries through `run`
# (ui.run on the page, db.run bound to a connection elsewhere).


def standings_part(run, week: date, squad_id: str | None, plan):
    from squadboard.meeting_charts import standings_bars

    rows = run("meeting_standings", week_start=week, squad_id=squad_id)
    return None, standings_bars(rows), standings(rows)


def bridge_part(run, week: date, squad_id: str | None, plan):
    from squadboard.meeting_charts import bridge_waterfall

    rows = run("pipeline_bridge", week_start=week, squad_id=squad_id)
    moves = run("deal_movements", week_start=week, squad_id=squad_id)
    return None, bridge_waterfall(rows), movements(moves)


def wins_part(run, week: date, squad_id: str | None, plan):
    return None, None, wins(run("meeting_wins", week_start=week, squad_id=squad_id))


def help_part(run, week: date, squad_id: str | None, plan):
    from squadboard.meeting import needs_help

    health = run("meeting_deal_health", week_start=week, squad_id=squad_id)
    rooms = run("mastermind_week", week_start=week, squad_id=squad_id)
    note = f"Masterminds: {masterminds_summary(rooms)}." if rooms.height else None
    table = needing_help(needs_help(health, plan))
    if rooms.height:
        table = pl.concat(
            [
                table.with_columns(pl.lit("needs help").alias("What")),
                masterminds(rooms)
                .rename({"Mastermind": "Deal", "Step, goal or outcome": "Why it needs help"})
                .select("What", "Deal", "Owner", "Why it needs help"),
            ],
            how="diagonal",
        ).select("What", *table.columns)
    return note, None, table


def masterminds_summary(frame: pl.DataFrame) -> str:
    """'2 active · 1 step overdue · 1 closed this week'."""
    rows = masterminds(frame)["What"].to_list() if frame.height else []
    order = ("active", "step due this week", "step overdue", "closed this week")
    return " · ".join(f"{rows.count(w)} {w}" for w in order if rows.count(w)) or "none"


def mentoring_part(run, week: date, squad_id: str | None, plan):
    rows = run("mentoring_week", week_start=week, squad_id=squad_id)
    return mentoring_summary(rows) + ".", None, mentoring(rows)


def kudos_part(run, week: date, squad_id: str | None, plan):
    return None, None, kudos(run("meeting_kudos", week_start=week, squad_id=squad_id))


def actions_part(run, week: date, squad_id: str | None, plan):
    return None, None, actions(run("meeting_actions", week_start=week, squad_id=squad_id))
