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
