"""Everything pages share: the database connection, who is looking, the period picker,
downloads. The only module besides app.py and pages/ that imports streamlit.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import duckdb

# Imported once here, by the first page run, before any page draws: Streamlit's table and
# chart code imports pandas and pyarrow on first use, and when several sessions' threads make
# that first import at once Python can hand one of them a partly initialised module
# ("partially initialized module 'pandas' has no attribute 'Series'", seen by the load test).
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import polars as pl
import pyarrow
import scipy.optimize  # noqa: F401
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from squadboard import auth, db, demo, display, periods, plan, store, visibility
from squadboard.exports import csv_file, excel_file, file_stem, fingerprint

LEADERS = auth.LEADERS


def _usable(con: duckdb.DuckDBPyConnection) -> bool:
    """False once DuckDB has invalidated the database after an internal error of its own
    ("database has been invalidated because of a previous fatal error"), or the connection
    was closed: the next run then opens the store again, so the dashboard heals instead of
    refusing every query until someone restarts it."""
    try:
        con.cursor().execute("select 1").fetchone()
        return True
    except (duckdb.FatalException, duckdb.ConnectionException) as exc:
        print(f"squadboard: opening the database again: {exc}", file=sys.stderr, flush=True)
        with contextlib.suppress(duckdb.Error):
            con.close()
        return False


@st.cache_resource(show_spinner="Opening the database…", validate=_usable)
def _root(path: str) -> duckdb.DuckDBPyConnection:
    db.check_database_file(path, tables=False)
    con = db.connect(path)
    cur = con.cursor()
    if cur.execute("select count(*) from reps").fetchone()[0] == 0:
        # A fresh checkout opens on the demo organisation, never on an empty screen.
        demo.load(con, today=today())
    if not store.is_lake_target(path) and path != ":memory:":
        # A command-line import or query while the dashboard holds the file runs here
        # (squadboard/handoff.py): a DuckDB file has one process at a time.
        from squadboard import cli, handoff

        handoff.serve(path, cli.handed_runner(con, path))
    return con


def _database(path: str) -> duckdb.DuckDBPyConnection:
    """The root connection, or a plain page when the file cannot be opened: another process
    holds it (a second app, a command-line import) or it is not a Squadboard database. The
    page names no path and lists no pages (the viewer is not known yet); the server log has
    the details."""
    try:
        return _root(path)
    except db.NewerDatabase as exc:
        reason = str(exc)
        _gate(lambda: _newer_screen(reason))
        raise  # not reached: _gate stops the run
    except (duckdb.IOException, db.NotSquadboard, store.StoreError) as exc:
        # StoreError: a shared store that is misnamed or unreachable (PostgreSQL down)
        print(f"squadboard: cannot open the database: {exc}", file=sys.stderr, flush=True)
        busy = isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()
        _gate(_busy_screen if busy else _unavailable_screen)
        raise  # not reached: _gate stops the run


def _busy_screen() -> None:
    st.title("Squadboard")
    st.info(
        "The database is busy, try again in a minute. (Someone may be importing data; "
        "Squadboard opens again by itself once they are done.)",
        icon=":material/hourglass_top:",
    )


def _newer_screen(reason: str) -> None:
    st.title("Squadboard")
    st.error(plain(reason))


def _unavailable_screen() -> None:
    st.title("Squadboard")
    st.error(
        "Squadboard cannot open its database. Try again in a minute; if it stays like this, "
        "tell whoever runs Squadboard (the server log says why)."
    )


@contextlib.contextmanager
def engine_guard():
    """A failure inside DuckDB itself (an internal or fatal error: an engine bug such as
    duckdb/duckdb#25713, never a fault of the data) is said in words instead of a stack trace,
    and stops the page; `run` and `derived` read under it. The next run opens the store again
    if DuckDB invalidated it (_usable). Any other error is left to show: those are
    Squadboard's to fix, and the tests catch them."""
    try:
        yield
    except (duckdb.InternalException, duckdb.FatalException):
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        st.error(
            "Squadboard's database engine failed while drawing this page (an error inside "
            "DuckDB, not in your data). Reload the page: it opens the database afresh. If it "
            "happens again, tell whoever runs Squadboard; the server log has the details.",
            icon=":material/error:",
        )
        st.stop()


def con() -> duckdb.DuckDBPyConnection:
    return _database(str(db.default_db_path()))


# Answers are kept as objects (cache_resource), not pickled copies (cache_data): a page run
# reads the same frame every session reads, in no time, where unpickling the 16,000-row roster
# and the boards cost a warm page a third of its run at the large scale (issue #19). Nobody
# changes an answer in place: a Polars frame has no in-place operation Squadboard uses.
@st.cache_resource(show_spinner=False, max_entries=512)
def _run_cached(path: str, version: int, name: str, sql: str, params: tuple) -> pl.DataFrame:
    return db.run(_root(path), name, **dict(params))


def run(name: str, **params: object) -> pl.DataFrame:
    """Run a named query (a cursor of its own; safe across browser sessions).

    Answers are shared by every session until the data changes: they are cached per data
    version, which every write bumps (db.audit), so a cached answer is never stale.
    """
    with engine_guard():
        return _run_cached(*_answer_key(name, params))


def _answer_key(name: str, params: dict) -> tuple[str, int, str, str, tuple]:
    """What a named query's answer is cached under: the file, the data version, the query
    and its text (an edited query file is not answered from the cache), the parameters."""
    path, version = _version()
    return path, version, name, db.get_query(name).sql, tuple(sorted(params.items()))


# The data version a page run read, kept for the rest of that run (a page asks for it with
# every answer, up to a dozen times, and a read costs a query or two; issue #19). A page run
# is a thread of its own; the version is read again when this process committed a write
# meanwhile (db.commits), and after VERSION_KEPT_S whatever happens, so that a long run (or a
# thread that runs one rerun after another) sees what another process committed on a lake.
_run_version = threading.local()
VERSION_KEPT_S = 1.0


def _version() -> tuple[str, int]:
    """The store's path and its data version (a busy or newer database is said, not raised)."""
    path = str(db.default_db_path())
    in_a_run = get_script_run_ctx() is not None
    kept = getattr(_run_version, "value", None)
    if in_a_run and kept is not None:
        kept_path, commits, version, since = kept
        fresh = time.monotonic() - since < VERSION_KEPT_S
        if fresh and kept_path == path and commits == db.commits():
            return path, version
    commits, since = db.commits(), time.monotonic()  # before the read: a commit during it counts
    version = db.data_version(_database(path), lake=store.is_lake_target(path))
    if in_a_run:
        _run_version.value = (path, commits, version, since)
    return path, version


@st.cache_resource(show_spinner=False, max_entries=64)
def _derived_cached(
    path: str, version: int, name: str, sql: str, params: tuple, how: tuple, _fn
) -> object:
    return _fn(db.run(_root(path), name, **dict(params)))


def derived(name: str, fn, **params: object) -> object:
    """fn(the named query's answer), computed once per data version and shared by every
    session like `run`'s answers, without keeping the query's own rows in the cache (a page
    that reduces 458,000 rows to what it shows reads only that back). `fn` must be pure: a
    function, or a functools.partial whose bound arguments (plan settings) are part of the key;
    and what it returns is shared as it is, so it must be something nobody changes (a frame, a
    tuple, a frozen dataclass, a MappingProxyType)."""
    base = getattr(fn, "func", fn)
    bound = (getattr(fn, "args", ()), tuple(sorted(getattr(fn, "keywords", {}).items())))
    how = (f"{base.__module__}.{base.__qualname__}", bound)
    with engine_guard():
        return _derived_cached(*_answer_key(name, params), how, fn)


def today() -> date:
    """Today, or SQUADBOARD_TODAY (YYYY-MM-DD) to pin the clock for demos and tests."""
    pinned = os.environ.get("SQUADBOARD_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def current_plan() -> plan.Plan:
    """The plan settings, read once per data version (every page reads them two or three
    times a run; a save goes through db.audit and bumps the version)."""
    return _plan_cached(*_version())


@st.cache_resource(show_spinner=False, max_entries=8)
def _plan_cached(path: str, version: int) -> plan.Plan:  # a frozen dataclass: shared as is
    return plan.load(_root(path))


def is_demo() -> bool:
    return _demo_cached(*_version())


@st.cache_resource(show_spinner=False, max_entries=8)
def _demo_cached(path: str, version: int) -> bool:
    return demo.is_demo(_root(path))


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


def _trusted_header(name: str) -> list[str]:
    """Every copy of the trusted header the request carried (a client may send its own)."""
    return st.context.headers.get_all(name)


def viewer() -> Viewer:
    """Who is looking: the signed-in person (OIDC or trusted header) or, in demo mode, whoever
    the viewer picks. Stops the run with a sign-in or refusal screen when nobody is identified."""
    config = sign_in()
    if config.mode == "demo":
        return _demo_viewer(derived("roster", _demo_choices, as_of=today()))
    roster = run("roster", as_of=today())
    if config.mode == "oidc":
        signed_in, email, verified = _signed_in_user()
        if not signed_in:
            _gate(lambda: _sign_in_screen(config))
        found = auth.match_email(roster, email, verified=verified)
    else:
        found = auth.match_header(roster, _trusted_header(config.header or ""), config.header)
        if found.status == "no_header":
            _gate(_no_header_screen)
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
        "duplicate": "This request carried the sign-in header more than once, so Squadboard "
        "cannot tell who you are. Tell whoever runs Squadboard: the sign-in proxy must replace "
        "the header, not add to it (docs/sign-in.md).",
    }
    if found.status == "duplicate":
        st.error(reasons[found.status], icon=":material/gpp_bad:")
    else:
        st.info(reasons[found.status], icon=":material/person_add:")
    if config.mode == "oidc":
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")


@dataclass(frozen=True)
class _DemoChoices:
    """Who a demo viewer can pick: every active rep, with their label."""

    ids: tuple[str, ...]
    labels: MappingProxyType  # rep_id -> "Name · role · Squad"
    rows: MappingProxyType  # rep_id -> their row of `active`
    active: pl.DataFrame  # the active reps' rows of the roster
    first_leader: str | None

    def viewer(self, rep_id: str) -> Viewer:
        return auth.viewer_from(self.active.row(self.rows[rep_id], named=True))


def _demo_choices(roster: pl.DataFrame) -> _DemoChoices:
    """Made once per data version and shared (ui.derived): at 16,000 reps, making the labels
    on every run was a third of a warm page's run (issue #19)."""
    active = roster.filter(pl.col("active"))
    shown = pl.when(pl.col("access") != "rep").then(pl.col("access")).otherwise(pl.col("role"))
    label = pl.concat_str(
        pl.col("rep"),
        pl.lit(" · "),
        shown,
        pl.when(pl.col("squad").is_not_null() & (pl.col("squad") != ""))
        .then(pl.lit(" · ") + pl.col("squad"))
        .otherwise(pl.lit("")),
    )
    ids = active["rep_id"].to_list()
    labels = active.select(label)[:, 0].to_list()
    leaders = active.filter(pl.col("access") == "leader")["rep_id"]
    return _DemoChoices(
        tuple(ids),
        MappingProxyType(dict(zip(ids, labels, strict=True))),
        MappingProxyType({rep_id: i for i, rep_id in enumerate(ids)}),
        active,
        leaders[0] if len(leaders) else None,
    )


def _demo_viewer(choices: _DemoChoices) -> Viewer:
    """Demo mode: the viewer picks who they are from the roster."""
    if not choices.ids:
        st.error("The roster is empty: import reps and squads first (see docs/importing.md).")
        st.stop()
    if st.session_state.get("viewer_id") not in choices.labels:
        st.session_state["viewer_id"] = choices.first_leader or choices.ids[0]
    st.sidebar.selectbox(
        "Viewing as (demo mode)",
        choices.ids,
        format_func=choices.labels.get,
        key="viewer_id",
        on_change=forget_selections,
        help="Demo mode: pick anyone in the roster to see their view.",
    )
    st.sidebar.warning(
        "**Demo mode**: nobody signs in and anyone can pick anyone. Set up sign-in before "
        "sharing real figures (docs/sign-in.md).",
        icon=":material/lock_open:",
    )
    return choices.viewer(st.session_state["viewer_id"])


@dataclass(frozen=True)
class People:
    """The roster's active reps: their rows, names and squads (ui.active_reps)."""

    frame: pl.DataFrame  # the `roster` rows of the active reps
    names: MappingProxyType  # rep_id -> name
    squad_of: MappingProxyType  # rep_id -> squad_id (None without a squad)


def _people(roster: pl.DataFrame) -> People:
    active = roster.filter(pl.col("active"))
    ids = active["rep_id"].to_list()
    return People(
        active,
        MappingProxyType(dict(zip(ids, active["rep"].to_list(), strict=True))),
        MappingProxyType(dict(zip(ids, active["squad_id"].to_list(), strict=True))),
    )


def active_reps(as_of: date) -> People:
    """The active reps on `as_of`, with their names and squads, made once per data version and
    shared: at 16,000 reps a page that made the two mappings on every run spent milliseconds
    on them (issue #19)."""
    return derived("roster", _people, as_of=as_of)


# Selections that belong to whoever is looking (widget keys): a new viewer starts from the
# defaults, not from the previous viewer's picks. A page with a per-viewer pick adds its key.
VIEWER_SELECTIONS = [
    "squad",  # default_squad
    "rep",  # My squad, a leader's rep: themself, else their squads' first rep
    "profile_rep",  # themself
    "lb_squad",  # All squads
    "kudos_to",
    "kudos_deal",  # (no deal)
    "kudos_message",
    "pod_deal",
    "claim_pick",
    "claim_deal",
    "claim_note",
    "history_pick",
    "what_if",  # 0
    "goal",  # their own goal
    "goal_period",
]


def forget_selections() -> None:
    """The demo viewer changed: drop the previous viewer's picks and the link's squad."""
    for key in VIEWER_SELECTIONS:
        st.session_state.pop(key, None)
    st.query_params.pop("squad", None)


def who() -> Viewer:
    """The viewer app.py identified for this session (identified here if a page runs alone)."""
    found = st.session_state.get("viewer")
    if not isinstance(found, Viewer):
        _one_navigation()
    return found if isinstance(found, Viewer) else viewer()


def _one_navigation() -> None:
    """Run every request through app.py's navigation, the first one after a server start too.

    Until some script calls st.navigation, Streamlit serves a server's requests the pages/
    folder's way (its multipage v1): the first request after a start that names a page URL
    runs that page's file alone, without app.py, its viewer and its navigation. Switch
    Streamlit to the declared navigation, as st.navigation itself does, and run the same
    request again: same page (a page's identity is its URL path), same query string (the
    deep link), same session (the demo viewer picked)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


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
            st.warning(plain(f"Ignored the link's period: {exc}"))
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


def default_squad(viewer: Viewer) -> str | None:
    """The squad a viewer starts on, on every page with a squad picker: their own squad, else
    the first squad they lead, else (an admin) the first squad by name (squad_picker)."""
    return viewer.squad_id or (viewer.leads[0] if viewer.leads else None)


def squad_picker(squads: pl.DataFrame, default: str | None = None) -> str | None:
    """Pick a squad (squad_id, squad rows); `?squad=falcons` in the URL selects and shares it.

    Without a link or an earlier pick: `default` (ui.default_squad), else the first squad by
    name, whatever order the rows come in, so that every page starts on the same squad."""
    squads = squads.sort("squad")
    ids = squads["squad_id"].to_list()
    if not ids:
        return None
    names = dict(zip(ids, squads["squad"].to_list(), strict=True))
    asked = st.query_params.get("squad")
    if asked is not None and "squad" not in st.session_state:
        if asked in names:
            st.session_state["squad"] = asked
        else:
            st.warning(plain(f"Ignored the link's squad {asked!r}: no such squad."))
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
    return squad_picker(squads, default=default_squad(viewer))


def select_squad(squad_id: str) -> None:
    """Make `squad_id` the picked squad on the next run (e.g. from a click on a table row)."""
    st.session_state["squad"] = squad_id
    st.query_params["squad"] = squad_id


_STATUS_COLOURS = {"ahead": "normal", "on track": "off", "behind": "inverse"}


def pace_metric(where, label: str, pace: float | None, status: str | None) -> None:
    """Pace as a metric with its status under it: green ahead, grey on track, red behind."""
    where.metric(
        label,
        display.percent(pace),
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
    viewer: Viewer | None = None,
) -> None:
    """The drill-down: the won credits behind `credited` and the open ones behind the forecast.

    Each credit's rep name is shown only where `viewer` may see it (visibility.py); without a
    viewer, only where anybody may."""
    rows = run("deals_behind", **period.params(as_of), squad_id=squad_id, rep_id=rep_id)
    seen_by = viewer or st.session_state.get("viewer")
    if not isinstance(seen_by, Viewer):
        seen_by = Viewer("", "", "rep", "", None, ())
    rows = visibility.hide_names(rows, seen_by, current_plan().board_naming)
    rows = rows.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    won, open_ = rows.filter(pl.col("kind") == "won"), rows.filter(pl.col("kind") == "open")
    with st.expander(
        f"Deals behind these figures: {won.height} won credits "
        f"({display.cents(won['credited'].sum())}), {open_.height} open "
        f"({display.cents(open_['weighted'].sum())} weighted)"
    ):
        # In cents: the rows add up to the tiles' figures to the cent.
        config = {
            "deal_amount": cents("Deal amount"),
            "close_date": day("Close date"),
            "split_pct": pct100("Split %"),
            "credited": cents("Credit"),
            "weighted": cents("Weighted", "credit × probability"),
            "probability": pct("Probability"),
        }
        for label, frame in (("won", won), ("open", open_)):
            st.markdown(f"**{'Won' if label == 'won' else 'Open pipeline'}**")
            shown = frame.select(_DRILL_COLUMNS[label])
            table(shown, width="stretch", column_config=config)
            downloads(shown, f"{name}_{label}")


# Tables and downloads ---------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=32)  # bytes: shared as they are
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
    name = file_stem(name)  # ids and labels from the data: a file name and sheet name safe
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


# Column formats: the rules of squadboard/display.py as Streamlit column configs. ui.table
# shows a frame through them (and a dash for a missing value, which a grid cannot).


def progress(label: str, help: str | None = None):
    """A fraction as a bar with its whole percentage (0.456 -> 46%)."""
    return st.column_config.ProgressColumn(
        label, help=help, format="percent", step=0.01, min_value=0, max_value=1
    )


def money(label: str, help: str | None = None):
    """Whole dollars: $12,346."""
    return st.column_config.NumberColumn(label, help=help, format="dollar", step=1)


def pct(label: str, help: str | None = None):
    """A fraction as a whole percentage: 0.456 -> 46%."""
    return st.column_config.NumberColumn(label, help=help, format="percent", step=0.01)


# Pages and their URLs -------------------------------------------------------------------------

HOME_URL = "(home)"  # reserved by the hidden page at "/"; no typed URL can name it


def page_url(path: str) -> str:
    """A page's one URL path, the same for every role: its file's name (pages/squads.py ->
    squads, served at /squads)."""
    return Path(path).stem


def home_page(home: st.Page) -> st.Page:
    """The page at "/": sends the viewer on to their home page (a rep's My squad, a leader's
    Squads) at that page's own URL, keeping the link's query string (?period=...&squad=...)."""

    def go_home() -> None:
        st.switch_page(home, query_params=st.query_params.to_dict())

    return st.Page(go_home, title=home.title, url_path=HOME_URL, default=True, visibility="hidden")


def forbidden_page(title: str, url_path: str, audience: str) -> st.Page:
    """What a viewer who may not open a page sees at its URL: that, in words, and why."""
    who_may = {"leader": "sales leaders and admins", "admin": "admins"}.get(audience, audience)

    def refuse() -> None:
        st.title("Not available to you")
        st.error(
            f"{plain(title)} (/{plain(url_path)}) is for {who_may} only. Ask your leader if "
            "you need access; the pages you can open are in the sidebar.",
            icon=":material/block:",
        )

    return st.Page(refuse, title=title, url_path=url_path, visibility="hidden")


def requested_page() -> str | None:
    """The page name of the URL this run was asked for (/squads -> squads), if the browser
    named one by its URL; None when it named the page otherwise (a click in the sidebar)."""
    ctx = get_script_run_ctx()
    return ctx.pages_manager.intended_page_name if ctx else None


def unknown_page(known: set[str]) -> list[st.Page]:
    """A page for a typed URL that names no page, saying so in words (instead of Streamlit's
    "Page not found" dialog and a silent jump to the home page). [] for any other URL."""
    name = requested_page()
    if not name or name in known or not re.fullmatch(r"[\w.~-]{1,100}", name):
        return []

    def missing() -> None:
        st.title("No such page")
        st.error(
            f"Squadboard has no page /{plain(name)}. Check the link, or pick a page in the "
            "sidebar.",
            icon=":material/link_off:",
        )

    return [st.Page(missing, title="No such page", url_path=name, visibility="hidden")]


def cents(label: str, help: str | None = None):
    """Dollars and cents, where figures must add up to the cent (drill-downs, pool shares)."""
    return st.column_config.NumberColumn(label, help=help, format="dollar", step=0.01)


def pct100(label: str, help: str | None = None):
    """A percentage stored as 0-100 (a split, an overlay %), whole: 33.3 -> 33%."""
    return st.column_config.NumberColumn(label, help=help, format="%.0f%%")


def points(label: str, help: str | None = None):
    """Percentage points, stored as 0-100 points, signed: +1.5 pts."""
    return st.column_config.NumberColumn(label, help=help, format="%+.1f pts")


def decimal(label: str, help: str | None = None, places: int = 1):
    """A plain number with 1 (or 2) decimals: activity points, scores."""
    return st.column_config.NumberColumn(label, help=help, format=f"%.{places}f")


def ratio(label: str, help: str | None = None):
    """A multiple: 2.5×."""
    return st.column_config.NumberColumn(label, help=help, format="%.1f×")


def count(label: str, help: str | None = None):
    """A whole number with thousands separators."""
    return st.column_config.NumberColumn(label, help=help, format="localized", step=1)


def day(label: str, help: str | None = None):
    """A date: 23 Nov 2026."""
    return st.column_config.DateColumn(label, help=help, format="D MMM YYYY")


def moment(label: str, help: str | None = None):
    """A date and time to the minute: 23 Nov 2026, 10:05."""
    return st.column_config.DatetimeColumn(label, help=help, format="D MMM YYYY, HH:mm")


# (column type, format, step) of the configs above -> the display.py rule that writes them out.
_KINDS = {
    ("number", "dollar", 1): "money",
    ("number", "dollar", 0.01): "cents",
    ("number", "percent", 0.01): "percent",
    ("number", "%.0f%%", None): "percent100",
    ("number", "%+.1f pts", None): "points100",
    ("number", "%.1f", None): "decimal",
    ("number", "%.2f", None): "decimal2",
    ("number", "%.1f×", None): "ratio",
    ("number", "localized", 1): "count",
    ("date", "D MMM YYYY", None): "day",
    ("datetime", "D MMM YYYY, HH:mm", None): "moment",
}


def _auto_column(series: pl.Series, label: str):
    """The config of a column a page did not format: its header in words, dates as dates."""
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        return day(label) if display.at_midnight(series) else moment(label)
    if dtype == pl.Date:
        return day(label)
    if dtype.is_integer():
        return count(label)
    if dtype.is_numeric():
        return decimal(label, places=2)
    return st.column_config.Column(label)


def _decimals(step: float) -> int:
    """The decimals of a column's step: 1 -> 0, 0.01 -> 2."""
    return max(0, -Decimal(str(step)).normalize().as_tuple().exponent)


def for_screen(frame: pl.DataFrame, columns: dict | None = None) -> tuple[pl.DataFrame, dict]:
    """`frame` and its column configs as ui.table shows them.

    `columns` maps a column to a config (ui.money(...), ...), a label (its header), or None
    (hidden); any other column gets its name in words. A missing value shows as a dash: a
    text column gets "–"; a number or date column with a missing value is written out by
    display.py (the grid would draw "None"), right-aligned. Date-times at midnight are dates.
    """
    columns = columns or {}
    shown, config = [], {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pl.Decimal):
            series = series.cast(pl.Float64)
        given = columns.get(name, display.header(name))
        if name in columns and given is None:
            config[name] = None
            shown.append(series)
            continue
        if isinstance(given, str):
            given = _auto_column(series, given)
            if isinstance(series.dtype, pl.Datetime) and display.at_midnight(series):
                series = series.cast(pl.Date)
        spec = given.get("type_config") or {}
        kind = _KINDS.get((spec.get("type"), spec.get("format"), spec.get("step")))
        if spec.get("step") and series.dtype.is_float():
            # The grid cuts a number to its step ($12,345.67 -> $12,345, 0.158 -> 15%) where
            # tiles and captions round (display.py): round it here so that both agree (and
            # a rounded -0.4 is 0, not the -0 the grid would draw as "-$0").
            rounded = series.round(_decimals(spec["step"]))
            series = pl.select(
                pl.when(rounded == 0).then(0.0).otherwise(rounded).alias(name)
            ).to_series()
        if series.dtype == pl.String:
            series = series.fill_null(display.DASH)
        elif kind is not None and series.null_count():
            series = display.as_text(series, kind)
            given = st.column_config.TextColumn(
                given.get("label"), help=given.get("help"), alignment="right"
            )
        elif series.dtype.is_float() and series.is_nan().any():
            series = display.as_text(series.fill_nan(None), kind or "decimal2")
            given = st.column_config.TextColumn(given.get("label"), alignment="right")
        shown.append(series)
        config[name] = given
    return pl.DataFrame(shown), config


def table(frame: pl.DataFrame, column_config: dict | None = None, **kwargs):
    """st.dataframe through the one formatting layer (for_screen); no index column. Takes
    st.dataframe's arguments: a page changes `st.dataframe(` to `ui.table(` and nothing else."""
    digest = fingerprint(frame)
    if digest is None:
        shown, config = for_screen(frame, column_config)
    else:  # once per table content and columns, shared by every session (as downloads)
        key = json.dumps(column_config or {}, sort_keys=True, default=str)
        shown, config = _for_screen_cached(digest, key, frame, column_config)
        config = copy.deepcopy(config)  # st.dataframe adds to the configs it is given
    kwargs.setdefault("hide_index", True)
    return st.dataframe(shown, column_config=config, **kwargs)


@st.cache_resource(show_spinner=False, max_entries=64)
def _for_screen_cached(digest: str, columns_key: str, _frame, _columns):
    """The table as the Arrow table st.dataframe sends, made once per content: Streamlit turns
    a Polars frame into pandas and then into Arrow on every run (a sixth of a warm page's run
    at the large scale, issue #19); an Arrow table it sends as it is. The conversion is the one
    Streamlit makes (through pandas), so the browser gets the same columns as before."""
    shown, config = for_screen(_frame, _columns)
    return pyarrow.Table.from_pandas(shown.to_pandas(), preserve_index=False), config


def once(make, *args, **kwargs):
    """make(*args, **kwargs), a pure function of frames and plain values, made once per
    content (each frame's exact row fingerprint) and shared by every session: what a page
    works out from its answers on every run (a list of 4,000 Masterminds written out, a board's
    bars), it then works out once per data version (issue #19). What `make` returns is shared
    as it is: a frame, a figure or a mapping nobody changes."""
    unkeyed = object()  # a frame Polars cannot fingerprint: made afresh

    def keyed(value):
        if not isinstance(value, pl.DataFrame):
            return value
        digest = fingerprint(value)
        return unkeyed if digest is None else ("frame", digest, str(value.schema))

    positional = tuple(map(keyed, args))
    named = tuple((k, keyed(v)) for k, v in sorted(kwargs.items()))
    if unkeyed in positional or unkeyed in (v for _, v in named):
        return make(*args, **kwargs)
    name = f"{make.__module__}.{make.__qualname__}"
    return _once_cached(name, (positional, named), make, args, kwargs)


@st.cache_resource(show_spinner=False, max_entries=128)
def _once_cached(name: str, key: tuple, _make, _args: tuple, _kwargs: dict):
    return _make(*_args, **_kwargs)


def figure(make, *args, **kwargs):
    """A chart of charts.py made once per content (ui.once). Plotly checks every property as
    a figure is built, tens of milliseconds for a board's bars on every run; Streamlit only
    reads the figure it is given (to_dict), so a shared one stays as it was made."""
    return once(make, *args, **kwargs)


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
