"""Everything pages share: the database connection, who is looking, the period picker,
downloads. The only module besides app.py and pages/ that imports streamlit.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import duckdb
import polars as pl
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from squadboard import auth, db, demo, periods, plan
from squadboard.exports import csv_file, excel_file, fingerprint

LEADERS = auth.LEADERS


@st.cache_resource(show_spinner="Opening the database…")
def _root(path: str) -> duckdb.DuckDBPyConnection:
    con = db.connect(path)
    cur = con.cursor()
    if cur.execute("select count(*) from reps").fetchone()[0] == 0:
        # A fresh checkout opens on the demo organisation, never on an empty screen.
        demo.load(con, today=today())
    return con


def con() -> duckdb.DuckDBPyConnection:
    return _root(str(db.default_db_path()))


@st.cache_data(show_spinner=False, max_entries=512)
def _run_cached(path: str, version: int, name: str, sql: str, params: tuple) -> pl.DataFrame:
    return db.run(_root(path), name, **dict(params))


def run(name: str, **params: object) -> pl.DataFrame:
    """Run a named query (a cursor of its own; safe across browser sessions).

    Answers are shared by every session until the data changes: they are cached per data
    version, which every write bumps (db.audit), so a cached answer is never stale.
    """
    path = str(db.default_db_path())
    version = db.data_version(_root(path))
    # The query's text is part of the key: an edited query file is not answered from the cache.
    sql = db.get_query(name).sql
    return _run_cached(path, version, name, sql, tuple(sorted(params.items())))


def today() -> date:
    """Today, or SQUADBOARD_TODAY (YYYY-MM-DD) to pin the clock for demos and tests."""
    pinned = os.environ.get("SQUADBOARD_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def current_plan() -> plan.Plan:
    return plan.load(con())


def is_demo() -> bool:
    return demo.is_demo(con())


# Who is looking ---------------------------------------------------------------------------

Viewer = auth.Viewer  # pages type-hint ui.Viewer; the rules live in squadboard/auth.py


def sign_in() -> auth.SignIn:
    """The sign-in mode from .streamlit/secrets.toml; never from the URL or the session."""
    secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    try:
        return auth.sign_in_config(secrets)
    except auth.SignInConfigError as exc:
        message = f"Sign-in is misconfigured: {exc} See docs/sign-in.md."
        _gate(lambda: st.error(message))
        raise  # not reached: _gate stops the run


def _gate(render) -> None:
    """Show only `render` (a sign-in or refusal screen) and stop: no navigation, no data."""
    st.navigation([st.Page(render, title="Sign in", url_path="sign-in")], position="hidden").run()
    st.stop()


def plain(text: object) -> str:
    """Text for a markdown element (title, caption, info...) that shows exactly as typed.
    Every markdown character is escaped. GitHub-style markdown also makes a link of a bare
    http(s)://… or www.… whatever the escapes, so an invisible word joiner (U+2060) goes into
    the scheme (http|s) and after www. (An e-mail address may become a mailto: link.)"""
    text = re.sub(r"(?i)(?<=http)(?=s?:)|(?<=www)(?=\.)", "\u2060", str(text))
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~=])", r"\\\1", text)


def _signed_in_user() -> tuple[bool, str | None, object]:
    """(signed in?, email, email_verified) from st.user after an OpenID Connect sign-in."""
    if not st.user.get("is_logged_in"):
        return False, None, None
    return True, st.user.get("email"), st.user.get("email_verified")


def _trusted_header(name: str) -> str | None:
    return st.context.headers.get(name)


def viewer() -> Viewer:
    """Who is looking: the signed-in person (OIDC or trusted header) or, in demo mode, whoever
    the viewer picks. Stops the run with a sign-in or refusal screen when nobody is identified."""
    config = sign_in()
    roster = run("roster", as_of=today())
    if config.mode == "demo":
        return _demo_viewer(roster.filter(pl.col("active")))
    if config.mode == "oidc":
        signed_in, email, verified = _signed_in_user()
        if not signed_in:
            _gate(lambda: _sign_in_screen(config))
    else:
        email, verified = _trusted_header(config.header or ""), None
        if email is None:
            _gate(_no_header_screen)
    found = auth.match_email(roster, email, verified=verified)
    if found.viewer is None:
        _gate(lambda: _not_in_roster_screen(found, config))
    me = found.viewer
    st.sidebar.caption(f"Signed in as **{plain(me.name)}** ({plain(found.email)}) · {me.access}")
    if config.mode == "oidc":
        st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
    return me


def _sign_in_screen(config: auth.SignIn) -> None:
    st.title("Squadboard")
    st.write("Sign in with your company account to see your squad, your targets and the boards.")
    args = (config.provider,) if config.provider else ()
    st.button("Sign in", type="primary", on_click=st.login, args=args, icon=":material/login:")


def _no_header_screen() -> None:
    st.title("Squadboard")
    st.error(
        "This request did not come through the company sign-in. Open Squadboard through its "
        "usual address; if that is what you did, tell whoever runs it (docs/sign-in.md)."
    )


def _not_in_roster_screen(found: auth.Match, config: auth.SignIn) -> None:
    st.title("Squadboard")
    reasons = {
        "unknown": f"You are signed in as **{plain(found.email)}**, but that address is not in "
        "Squadboard's roster yet. Ask your leader to add you (the email column of the reps "
        "import).",
        "inactive": f"The roster lists **{plain(found.email)}** as no longer active. Ask your leader "
        "if that is a mistake.",
        "unverified": f"Your sign-in provider has not verified **{plain(found.email)}**. Verify it "
        "there, or ask your leader.",
        "no_email": "Your sign-in did not tell Squadboard your email address. Ask whoever runs "
        "Squadboard to request the `email` scope (docs/sign-in.md).",
    }
    st.info(reasons[found.status], icon=":material/person_add:")
    if config.mode == "oidc":
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def _demo_viewer(roster: pl.DataFrame) -> Viewer:
    """Demo mode: the viewer picks who they are from the roster."""
    if roster.is_empty():
        st.error("The roster is empty: import reps and squads first (see docs/importing.md).")
        st.stop()
    labels = {
        r["rep_id"]: f"{r['rep']} · {r['access'] if r['access'] != 'rep' else r['role']}"
        + (f" · {r['squad']}" if r["squad"] else "")
        for r in roster.iter_rows(named=True)
    }
    ids = list(labels)
    if st.session_state.get("viewer_id") not in labels:
        leaders = roster.filter(pl.col("access") == "leader")["rep_id"]
        st.session_state["viewer_id"] = leaders[0] if len(leaders) else ids[0]
    st.sidebar.selectbox(
        "Viewing as (demo mode)",
        ids,
        format_func=labels.get,
        key="viewer_id",
        help="Demo mode: pick anyone in the roster to see their view.",
    )
    st.sidebar.warning(
        "**Demo mode**: nobody signs in and anyone can pick anyone. Set up sign-in before "
        "sharing real figures (docs/sign-in.md).",
        icon=":material/lock_open:",
    )
    row = roster.filter(pl.col("rep_id") == st.session_state["viewer_id"]).row(0, named=True)
    return auth.viewer_from(row)


def who() -> Viewer:
    """The viewer app.py identified for this session (identified here if a page runs alone)."""
    found = st.session_state.get("viewer")
    if PagesManager.uses_pages_directory and not isinstance(found, Viewer):
        # The first request after a server start that names a page URL is served the
        # pages/ folder's way (Streamlit's multipage v1), without app.py. Send it through
        # app.py, which declares the navigation and so switches Streamlit to it for good.
        st.switch_page("app.py")
    return found if isinstance(found, Viewer) else viewer()


def require_leader(who: Viewer) -> None:
    """Server-side check for pages that write: stop here unless leader or admin."""
    if not who.is_leader:
        st.error("This page is for sales leaders and admins. Ask your leader if you need access.")
        st.stop()


def demo_notice() -> None:
    if is_demo():
        st.info(
            "**Demo data.** Everyone here is made up. To see your own team, import your CRM "
            "export and quota sheet (Import page, or `python -m squadboard import`).",
            icon=":material/science:",
        )


# The period and the deep link ---------------------------------------------------------------


def period_picker() -> periods.Period:
    """Fiscal quarters and months; `?period=2026-Q4` in the URL selects and shares it."""
    fy = current_plan().fiscal_year_start_month
    options = periods.recent_quarters(today(), 8, fy) + periods.recent_months(today(), 12)
    labels = [p.label for p in options]
    default = periods.quarter_of(today(), fy).label
    asked = st.query_params.get("period")
    if asked is not None and "period" not in st.session_state:
        try:
            picked = periods.parse(asked, fy)
            if picked.label not in labels:
                options.append(picked)
                labels.append(picked.label)
            st.session_state["period"] = picked.label
        except ValueError as exc:
            st.warning(f"Ignored the link's period: {exc}")
    # Re-assigned every run: a widget on another page does not take over a value that only
    # the previous page's widget set (Streamlit forgets it on a page switch otherwise).
    st.session_state["period"] = st.session_state.get("period")
    if st.session_state["period"] not in labels:
        st.session_state["period"] = default
    label = st.sidebar.selectbox("Period", labels, key="period")
    st.query_params["period"] = label
    return options[labels.index(label)]


def as_of_for(period: periods.Period) -> date:
    """Figures for a past period are final; for the current one they are as of today."""
    return min(today(), period.end - timedelta(days=1))


def squad_picker(squads: pl.DataFrame, default: str | None = None) -> str | None:
    """Pick a squad (squad_id, squad rows); `?squad=falcons` in the URL selects and shares it."""
    ids = squads["squad_id"].to_list()
    if not ids:
        return None
    names = dict(zip(ids, squads["squad"].to_list(), strict=True))
    asked = st.query_params.get("squad")
    if asked is not None and "squad" not in st.session_state:
        if asked in names:
            st.session_state["squad"] = asked
        else:
            st.warning(f"Ignored the link's squad {asked!r}: no such squad.")
    st.session_state["squad"] = st.session_state.get("squad")  # kept across pages, as period
    if st.session_state["squad"] not in names:
        st.session_state["squad"] = default if default in names else ids[0]
    picked = st.sidebar.selectbox("Squad", ids, format_func=names.get, key="squad")
    st.query_params["squad"] = picked
    return picked


def admin_squad_picker(viewer: Viewer, as_of: date) -> str | None:
    """The squad an admin looks at on pages that list pods and claims: the whole organisation's
    (236,000 pods a quarter at 16,000 reps) is no table to read. None for anyone else, who sees
    their own and their squads' rows."""
    if viewer.access != "admin":
        return None
    squads = run("roster", as_of=as_of).select("squad_id", "squad").drop_nulls().unique()
    return squad_picker(squads.sort("squad"), default=viewer.squad_id)


def select_squad(squad_id: str) -> None:
    """Make `squad_id` the picked squad on the next run (e.g. from a click on a table row)."""
    st.session_state["squad"] = squad_id
    st.query_params["squad"] = squad_id


_STATUS_COLOURS = {"ahead": "normal", "on track": "off", "behind": "inverse"}


def pace_metric(where, label: str, pace: float | None, status: str | None) -> None:
    """Pace as a metric with its status under it: green ahead, grey on track, red behind."""
    where.metric(
        label,
        "–" if pace is None else f"{pace:.0%}",
        status,
        _STATUS_COLOURS.get(status, "off"),
        delta_arrow="off",
        help="attainment ÷ elapsed fraction of the period; ≥100 % ahead, ≥90 % on track",
    )


_DRILL_COLUMNS = {
    "won": ["deal", "account", "close_date", "rep", "squad", "deal_amount", "split_pct"]
    + ["credited"],
    "open": ["deal", "account", "stage", "close_date", "rep", "squad", "credited"]
    + ["probability", "weighted"],
}


def deals_behind(
    period: periods.Period,
    as_of: date,
    *,
    name: str,
    squad_id: str | None = None,
    rep_id: str | None = None,
) -> None:
    """The drill-down: the won credits behind `credited` and the open ones behind the forecast."""
    rows = run("deals_behind", **period.params(as_of), squad_id=squad_id, rep_id=rep_id)
    rows = rows.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    won, open_ = rows.filter(pl.col("kind") == "won"), rows.filter(pl.col("kind") == "open")
    with st.expander(
        f"Deals behind these figures: {won.height} won credits "
        f"(${won['credited'].sum():,.0f}), {open_.height} open "
        f"(${open_['weighted'].sum():,.0f} weighted)"
    ):
        config = {
            "deal_amount": money("Deal amount"),
            "split_pct": st.column_config.NumberColumn("Split %", format="%.2f"),
            "credited": money("Credit"),
            "weighted": money("Weighted", "credit × probability"),
            "probability": pct("Probability"),
        }
        for label, frame in (("won", won), ("open", open_)):
            st.markdown(f"**{'Won' if label == 'won' else 'Open pipeline'}**")
            shown = frame.select(_DRILL_COLUMNS[label])
            st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
            downloads(shown, f"{name}_{label}")


# Tables and downloads ---------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def _csv_cached(digest: str, _frame: pl.DataFrame) -> bytes:
    return csv_file(_frame)


@st.cache_data(show_spinner=False, max_entries=8)
def _excel_cached(digest: str, name: str, _frame: pl.DataFrame) -> bytes:
    return excel_file(_frame, name)


def downloads(frame: pl.DataFrame, name: str) -> None:
    """CSV and Excel downloads of exactly what the table shows.

    The CSV file is made with the page, once per table content (an exact row fingerprint) and
    shared by every session. The Excel file, which takes seconds for a big table, is made only
    when someone clicks its button (Streamlit runs the callable then), also once per content.
    """
    digest = fingerprint(frame)
    csv = csv_file(frame) if digest is None else _csv_cached(digest, frame)
    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        csv,
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
        icon=":material/download:",
    )
    right.download_button(
        "Download Excel",
        (lambda: excel_file(frame, name))
        if digest is None
        else (lambda: _excel_cached(digest, name, frame)),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{name}",
        icon=":material/download:",
    )


def progress(label: str, help: str | None = None):
    return st.column_config.ProgressColumn(
        label, help=help, format="percent", min_value=0, max_value=1
    )


def money(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, help=help, format="dollar")


def pct(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, help=help, format="percent")


def html_download(label: str, make, file_name: str, key: str) -> None:
    """A self-contained HTML file (e.g. the weekly meeting pack), made only when clicked.
    `make` returns the HTML text; whoever builds it escapes every text (meeting_report.py)."""
    st.download_button(
        label,
        lambda: make().encode("utf-8"),
        file_name,
        "text/html",
        icon=":material/download:",
        key=key,
    )
