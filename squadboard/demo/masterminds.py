"""The demo organisation's Masterminds (issue #15): three active and three closed, so that the
page, the assists board and the profiles have something to show on a fresh start.

Active: Tom Becker's largest open deal (he struggles; Priya, the star, and Nadia, the Orcas'
SE, help; one step overdue), Leo Martins' largest open deal (opened by his leader, Ben), and
an account Mastermind of Ana Souza's. Closed: a deal Jonas won this quarter with Chloe and
Marcus (assists, with thanks), a deal Ivan lost, and one of Kenji's that slipped this week.
Everything follows from the deals and `today`, so the same seed and day give the same rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl

from squadboard.demo.cast import stable_id

SCHEMAS = {
    "masterminds": {
        "mastermind_id": pl.String,
        "title": pl.String,
        "deal_id": pl.String,
        "account": pl.String,
        "owner_id": pl.String,
        "opened_by": pl.String,
        "goal": pl.String,
        "target_date": pl.Date,
        "why": pl.String,
        "status": pl.String,
        "outcome": pl.String,
        "retro": pl.String,
        "opened_at": pl.Datetime,
        "closed_at": pl.Datetime,
        "closed_by": pl.String,
    },
    "mastermind_helpers": {
        "mastermind_id": pl.String,
        "rep_id": pl.String,
        "status": pl.String,
        "invited_by": pl.String,
        "invited_at": pl.Datetime,
        "answered_at": pl.Datetime,
        "reason": pl.String,
    },
    "mastermind_notes": {
        "note_id": pl.String,
        "mastermind_id": pl.String,
        "kind": pl.String,
        "author_id": pl.String,
        "body": pl.String,
        "written_at": pl.Datetime,
    },
    "mastermind_steps": {
        "step_id": pl.String,
        "mastermind_id": pl.String,
        "title": pl.String,
        "owner_id": pl.String,
        "due_date": pl.Date,
        "status": pl.String,
        "created_by": pl.String,
        "created_at": pl.Datetime,
        "updated_at": pl.Datetime,
        "done_at": pl.Datetime,
    },
}


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _largest(deals: list[dict], owner: str, status: str, since: date | None = None) -> dict | None:
    mine = [
        d
        for d in deals
        if d["owner_id"] == owner
        and d["status"] == status
        and (since is None or d["close_date"] >= since)
    ]
    return max(mine, key=lambda d: (d["amount"], d["deal_id"]), default=None)


class _Book:
    """Collects the rows of every table; ids are stable hashes of what they describe."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {t: [] for t in SCHEMAS}
        self.kudos: list[dict] = []

    def room(self, key: str, deal: dict | None, account: str, owner: str, **fields) -> str:
        mid = f"mm:{stable_id('mastermind', key)}"
        row = dict.fromkeys(SCHEMAS["masterminds"]) | {
            "mastermind_id": mid,
            "deal_id": deal["deal_id"] if deal else None,
            "account": account,
            "owner_id": owner,
            "opened_by": owner,
            "status": "open",
            "why": "",
        }
        row.update(fields)
        self.rows["masterminds"].append(row)
        return mid

    def helper(self, mid: str, rep: str, status: str, by: str, at: datetime, reason: str) -> None:
        answered = at + timedelta(hours=3) if status != "invited" else None
        self.rows["mastermind_helpers"].append(
            {
                "mastermind_id": mid,
                "rep_id": rep,
                "status": status,
                "invited_by": by,
                "invited_at": at,
                "answered_at": answered,
                "reason": reason,
            }
        )

    def note(self, mid: str, author: str, at: datetime, body: str, kind: str = "note") -> None:
        self.rows["mastermind_notes"].append(
            {
                "note_id": f"mmn:{stable_id(mid, author, at, kind)}",
                "mastermind_id": mid,
                "kind": kind,
                "author_id": author,
                "body": body,
                "written_at": at,
            }
        )

    def step(self, mid: str, title: str, owner: str, due: date, status: str, by: str, at):
        done = _at(min(due, at.date() + timedelta(days=3)), 15) if status == "done" else None
        self.rows["mastermind_steps"].append(
            {
                "step_id": f"mms:{stable_id(mid, title)}",
                "mastermind_id": mid,
                "title": title,
                "owner_id": owner,
                "due_date": due,
                "status": status,
                "created_by": by,
                "created_at": at,
                "updated_at": done or at,
                "done_at": done,
            }
        )

    def thanks(self, mid: str, giver: str, to: list[str], deal: dict, at: datetime, title: str):
        for rep in to:
            self.kudos.append(
                {
                    "kudos_id": f"kudos:{stable_id(mid, giver, rep)}",
                    "from_rep": giver,
                    "to_rep": rep,
                    "deal_id": deal["deal_id"],
                    "category": "helped close",
                    "message": f"Thank you for your help in the Mastermind “{title}”.",
                    "given_at": at,
                }
            )


def mastermind_rows(deals: list[dict], today: date, quarter_start: date):
    """Frames of the four Mastermind tables, and the thank-you kudos given when they closed."""
    book = _Book()
    t = today

    tom = _largest(deals, "tom.becker", "open")
    if tom:
        opened = _at(t - timedelta(days=12), 9)
        mid = book.room(
            "tom",
            tom,
            tom["account"],
            "tom.becker",
            title=f"Win {tom['account']}",
            goal="Signed order before the quarter closes",
            target_date=t + timedelta(days=20),
            why="Close date pushed twice; procurement went quiet after the demo.",
            opened_at=opened,
        )
        book.helper(
            mid, "priya.raman", "accepted", "tom.becker", opened, "strong in deals of this size"
        )
        book.helper(mid, "nadia.haddad", "accepted", "tom.becker", opened, "the Orcas' SE")
        book.helper(
            mid, "grace.okoro", "invited", "tom.becker", opened + timedelta(days=6), "knows it"
        )
        book.note(
            mid,
            "priya.raman",
            opened + timedelta(days=1, hours=2),
            "Their CFO cares about payback, not features.\n"
            "Lead with a 6-month payback case; I have one from a similar rollout.",
        )
        book.note(
            mid,
            "nadia.haddad",
            opened + timedelta(days=2),
            "Security questionnaire is the real blocker - I can walk their IT lead through it.",
        )
        book.note(
            mid,
            "tom.becker",
            opened + timedelta(days=3),
            "Lead with the payback case; Nadia joins the next call for security.",
            kind="decision",
        )
        book.step(
            mid,
            "Send the payback case",
            "priya.raman",
            t - timedelta(days=6),
            "done",
            "tom.becker",
            opened + timedelta(days=3),
        )
        book.step(
            mid,
            "Security review call with their IT lead",
            "nadia.haddad",
            t - timedelta(days=2),
            "in progress",
            "tom.becker",
            opened + timedelta(days=3),
        )
        book.step(
            mid,
            "Book a meeting with the executive sponsor",
            "tom.becker",
            t + timedelta(days=5),
            "to do",
            "tom.becker",
            opened + timedelta(days=3),
        )

    leo = _largest(deals, "leo.martins", "open")
    if leo:
        opened = _at(t - timedelta(days=4), 11)
        mid = book.room(
            "leo",
            leo,
            leo["account"],
            "leo.martins",
            opened_by="ben.carter",
            title=f"Expand at {leo['account']}",
            goal="Add the analytics module to the order",
            target_date=max(leo["close_date"], t + timedelta(days=14)),
            why="Biggest deal in Leo's pipeline; the champion is new in the role.",
            opened_at=opened,
        )
        book.helper(mid, "aisha.bello", "accepted", "ben.carter", opened, "knows the product")
        book.helper(mid, "lucy.walsh", "invited", "ben.carter", opened, "their CSM")
        book.note(
            mid,
            "aisha.bello",
            opened + timedelta(days=1),
            "A reference call with one of my customers in the same industry usually does it.",
        )
        book.step(
            mid,
            "Reference call with a customer",
            "aisha.bello",
            t + timedelta(days=3),
            "to do",
            "leo.martins",
            opened + timedelta(days=1),
        )

    ana = _largest(deals, "ana.souza", "won") or _largest(deals, "ana.souza", "open")
    if ana:
        opened = _at(t - timedelta(days=8), 14)
        mid = book.room(
            "ana",
            None,
            ana["account"],
            "ana.souza",
            title=f"Grow {ana['account']}",
            goal="A second product line signed this year",
            target_date=t + timedelta(days=45),
            why="Happy customer, one product so far; Ana has not sold them anything else.",
            opened_at=opened,
        )
        book.helper(mid, "ravi.iyer", "accepted", "ana.souza", opened, "product specialist")
        book.helper(mid, "felix.braun", "declined", "ana.souza", opened, "strong in this product")
        book.note(
            mid,
            "ravi.iyer",
            opened + timedelta(days=1),
            "Their ops team asked me about sync last year - start there.",
        )

    won = _largest(deals, "jonas.weber", "won", since=quarter_start)
    if won:
        closed = _at(min(won["close_date"] + timedelta(days=1), t), 16)
        opened = closed - timedelta(days=24)
        title = f"Close {won['account']}"
        mid = book.room(
            "jonas",
            won,
            won["account"],
            "jonas.weber",
            title=title,
            goal="Signed order at list price",
            target_date=won["close_date"],
            why="Competitor in the deal at a lower price.",
            opened_at=opened,
            status="closed",
            outcome="won",
            retro="The joint demo with Marcus and Chloe's competitor notes won it.",
            closed_at=closed,
            closed_by="jonas.weber",
        )
        book.helper(mid, "chloe.martin", "accepted", "jonas.weber", opened, "knows the account")
        book.helper(mid, "marcus.hill", "accepted", "jonas.weber", opened, "SE for the demo")
        book.note(
            mid,
            "chloe.martin",
            opened + timedelta(days=2),
            "Their incumbent discounts hard at quarter end; anchor on the rollout plan instead.",
        )
        book.step(
            mid,
            "Joint technical demo",
            "marcus.hill",
            (opened + timedelta(days=7)).date(),
            "done",
            "jonas.weber",
            opened + timedelta(days=1),
        )
        book.thanks(mid, "jonas.weber", ["chloe.martin", "marcus.hill"], won, closed, title)

    lost = _largest(deals, "ivan.petrov", "lost", since=quarter_start)
    if lost:
        closed = _at(min(lost["close_date"] + timedelta(days=1), t), 17)
        opened = closed - timedelta(days=18)
        mid = book.room(
            "ivan",
            lost,
            lost["account"],
            "ivan.petrov",
            title=f"Save {lost['account']}",
            goal="Keep the deal against the cheaper competitor",
            target_date=lost["close_date"],
            why="Price gap of 30 % to the competitor.",
            opened_at=opened,
            status="closed",
            outcome="lost",
            retro="Price gap too big; qualify budget earlier next time.",
            closed_at=closed,
            closed_by="rafael.costa",
        )
        book.helper(mid, "diego.alvarez", "accepted", "ivan.petrov", opened, "strong in product")
        book.note(
            mid,
            "diego.alvarez",
            opened + timedelta(days=1),
            "Offer a phased rollout to bring the first-year price down.",
        )

    kenji = _largest(deals, "kenji.sato", "open")
    if kenji:
        closed = _at(t - timedelta(days=1), 10)
        opened = closed - timedelta(days=21)
        mid = book.room(
            "kenji",
            kenji,
            kenji["account"],
            "kenji.sato",
            title=f"Pull {kenji['account']} into this quarter",
            goal="Signed this quarter",
            target_date=(closed - timedelta(days=2)).date(),
            why="The buyer asked for a discount to sign early.",
            opened_at=opened,
            status="closed",
            outcome="slipped",
            retro="Their budget moved to next quarter; reopen in January with the same plan.",
            closed_at=closed,
            closed_by="kenji.sato",
        )
        book.helper(mid, "emma.novak", "accepted", "kenji.sato", opened, "knows the account")
        book.note(
            mid, "emma.novak", opened + timedelta(days=2), "Ask for a start date, not a price."
        )

    frames = {
        table: pl.DataFrame(rows, schema=SCHEMAS[table], orient="row")
        for table, rows in book.rows.items()
    }
    return frames, book.kudos
