"""Helpers shared by the browser tests and tests/test_hostile_input.py (no fixtures here)."""

from __future__ import annotations

import ast
from pathlib import Path

from squadboard import db, facts

ROOT = Path(__file__).resolve().parents[2]
# Script and HTML that would set window.__xss if a browser ever ran it.
HTML = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
# Markdown that would show bold, a link (GitHub-style autolinks need no brackets) and code.
MARKDOWN = "**Big** [win](https://evil.example) _now_ # `x` www.evil.example"
# What Plotly and markdown would render: a link, a styled span, bold, a line break, a remote
# image and a markdown link (issue #11). Nothing here may become an element on any page.
MARKUP = (
    '<a href="https://evil.example/login">Raman</a> '
    '<span style="font-size:40px;color:red">BIG</span> <b>bold</b><br>'
    "![x](https://evil.example/x.png) [Session expired](https://evil.example/login)"
)


def pages_table() -> list[tuple[str, str, str, str, str]]:
    """app.py's PAGES table (section, file, title, icon, audience), read without Streamlit."""
    tree = ast.parse((ROOT / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets
        ):
            return [tuple(row) for row in ast.literal_eval(node.value)]
    raise AssertionError("app.py has no PAGES table")


def url_path(file: str) -> str:
    """The URL path Streamlit gives a page file."""
    return "/" + Path(file).stem


def plant_hostile_rows(path: Path) -> None:
    """A rep, a won deal (name and account) and a kudos message that are all HTML and script
    (the rep's name markdown too)."""
    con = db.connect(path)
    con.execute(
        "insert into reps (rep_id, name, email, role, access) values (?, ?, ?, 'AE', 'rep')",
        ["hostile.rep", f"Zed {MARKDOWN} {HTML}", "hostile.rep@squadboard.example"],
    )
    con.execute("insert into squad_members values ('hostile.rep', 'falcons', '2026-01-01', null)")
    con.execute(
        "insert into deals (deal_id, source, source_id, name, account, product, owner_id, stage,"
        " status, amount, probability, created_date, close_date) values ('native:H1', 'native',"
        " 'H1', ?, ?, 'Atlas Core', 'hostile.rep', 'Closed Won', 'won', 1000, 1, '2026-10-01',"
        " '2026-11-10')",
        [f"Deal {HTML}", f'=HYPERLINK("http://evil.example","{HTML}")'],
    )
    con.execute(
        "insert into kudos values ('hk1', 'tom.becker', 'hostile.rep', 'native:H1', 'mentoring',"
        " ?, '2026-11-20 10:00')",
        [f"Thanks {HTML}"],
    )
    facts.refresh(con)  # rows written with plain SQL: work out the derived tables
    con.close()
    plant_markup_rows(path)


def plant_markup_rows(path: Path) -> None:
    """A squad (with a base quota, so it is on the Squads chart), a rep with a won deal (on the
    Leaderboards chart), a deal name and account, a kudos message and a claim note, all MARKUP."""
    con = db.connect(path)
    con.execute("insert into squads values ('markup', ?, 'East', null)", [f"Squad {MARKUP}"])
    con.execute(
        "insert into reps (rep_id, name, email, role, access) values (?, ?, ?, 'AE', 'rep')",
        ["markup.rep", f"Priya {MARKUP}", "markup.rep@squadboard.example"],
    )
    con.execute("insert into squad_members values ('markup.rep', 'markup', '2026-01-01', null)")
    con.execute(
        "insert into quotas (kind, owner_id, period_start, period_end, amount) values"
        " ('squad_base', 'markup', '2026-10-01', '2027-01-01', 300000),"
        " ('rep_stretch', 'markup.rep', '2026-10-01', '2027-01-01', 50000)"
    )
    con.execute(
        "insert into deals (deal_id, source, source_id, name, account, product, owner_id, stage,"
        " status, amount, probability, created_date, close_date) values ('native:H2', 'native',"
        " 'H2', ?, ?, 'Atlas Core', 'markup.rep', 'Closed Won', 'won', 140000, 1, '2026-10-01',"
        " '2026-11-12')",
        [f"Deal {MARKUP}", f"Account {MARKUP}"],
    )
    con.execute(
        "insert into kudos values ('hk2', 'tom.becker', 'markup.rep', 'native:H2', 'mentoring',"
        " ?, '2026-11-21 10:00')",
        [f"Thanks {MARKUP}"],
    )
    con.execute(
        "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent, deal_role,"
        " note, claimed_by, claimed_at) values ('hc2', 'native:H2', 'tom.becker', 'overlay', 5,"
        " 'helper', ?, 'tom.becker', '2026-11-20 09:00')",
        [f"Helped {MARKUP}"],
    )
    facts.refresh(con)
    con.close()


def url_parameters() -> list[str]:
    """Every query parameter a page, app.py or ui.py reads from the URL (new pages included)."""
    import re

    names: set[str] = set()
    for path in [ROOT / "squadboard" / "ui.py", ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        names |= set(re.findall(r"query_params(?:\.get\(|\[)\"(\w+)\"", path.read_text()))
    return sorted(names)
