"""The demo organisation's mentoring (issue #13): mentor settings, the sector of every
account, and requests for help in every state, so Find a mentor and Mentoring are worth
opening. Tom Becker, the struggling rep, has asked for help; Leo Martins, most improved, was
mentored by Priya Raman; a follow-up is due on a request accepted over 90 days ago.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl

from squadboard.demo.cast import ACCOUNT_A, ACCOUNT_B

SECTORS = {
    "wind Labs": "technology",
    "stone Health": "healthcare",
    "field Logistics": "logistics",
    "peak Retail": "retail",
    "bridge Capital": "finance",
    "line Energy": "energy",
    "works Media": "media",
    "gate Foods": "food",
}

# rep_id, available, mentee limit, topics (as typed)
SETTINGS = [
    ("priya.raman", True, 3, "Compass Suite, multi-year deals, negotiating with procurement"),
    ("diego.alvarez", True, 2, "Discovery calls; getting past the first meeting"),
    ("aisha.bello", True, 2, "Beacon Sync demos"),
    ("owen.price", True, 2, "Small deals that close fast"),
    ("hannah.kim", False, 2, "Back in the spring"),
    ("felix.braun", True, 1, "Energy accounts"),
]

# asker, mentor, kind, (dimension, segment) | account | text, message, status, days ago asked,
# days to answer, days to done, note
REQUESTS = [
    (
        "tom.becker",
        "aisha.bello",
        "cell",
        ("product", "Beacon Sync"),
        "My Beacon Sync demos stall after the first call. Could we go through one?",
        "accepted",
        120,
        2,
        None,
        "Happy to. Bring your next demo deck.",
    ),
    (
        "tom.becker",
        "owen.price",
        "cell",
        ("stage", "Prospecting"),
        "How do you qualify out early?",
        "open",
        3,
        None,
        None,
        None,
    ),
    (
        "leo.martins",
        "priya.raman",
        "free",
        "Running a multi-year negotiation",
        "I have my first three-year deal in procurement.",
        "done",
        40,
        1,
        25,
        "Let's do two sessions.",
    ),
    ("chloe.martin", "diego.alvarez", "free", "Discovery questions", "", "done", 60, 1, 20, None),
    (
        "ana.souza",
        "felix.braun",
        "account",
        "Northwind Labs",
        "They asked for a reference customer.",
        "declined",
        15,
        1,
        None,
        "I am at my limit this month; try Mei, she knows them too.",
    ),
    (
        "ivan.petrov",
        "grace.okoro",
        "free",
        "Pricing for renewals",
        "",
        "withdrawn",
        10,
        None,
        None,
        None,
    ),
    (
        "jonas.weber",
        "priya.raman",
        "cell",
        ("product", "Compass Suite"),
        "Compass Suite is new to me since I moved squads.",
        "accepted",
        6,
        1,
        None,
        None,
    ),
]


def account_rows() -> pl.DataFrame:
    rows = [((a + b).lower(), "sector", SECTORS[b]) for a in ACCOUNT_A for b in ACCOUNT_B]
    return pl.DataFrame(rows, schema=["account_key", "attribute", "value"], orient="row")


def _at(today: date, days_ago: int, hour: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour, 15))


def mentoring_rows(today: date) -> dict[str, pl.DataFrame]:
    settings = pl.DataFrame(
        [
            (rep, available, limit, topics, rep, _at(today, 30, 9))
            for rep, available, limit, topics in SETTINGS
        ],
        schema=["rep_id", "available", "mentee_limit", "topics", "updated_by", "updated_at"],
        orient="row",
    )
    labels = {"product": "Product", "stage": "Stage reached"}
    rows = []
    for i, (asker, mentor, kind, about, message, status, ago, answer, done, note) in enumerate(
        REQUESTS
    ):
        asked = _at(today, ago, 10)
        answered = asked + timedelta(days=answer) if answer is not None else None
        row = {
            "request_id": f"help:demo{i:02d}",
            "asker_id": asker,
            "mentor_id": mentor,
            "topic_kind": kind,
            "dimension": about[0] if kind == "cell" else None,
            "segment": about[1] if kind == "cell" else None,
            "account": about if kind == "account" else None,
            "topic": {
                "cell": f"{labels.get(about[0], about[0])}: {about[1]}",
                "account": f"Account: {about}",
                "free": about,
            }[kind],
            "message": message,
            "deal_id": None,
            "status": status,
            "note": note,
            "asked_at": asked,
            "accepted_at": answered if status in ("accepted", "done") else None,
            "declined_at": answered if status == "declined" else None,
            "withdrawn_at": _at(today, ago - 2, 16) if status == "withdrawn" else None,
            "done_at": answered + timedelta(days=done) if status == "done" else None,
            "done_by": mentor if status == "done" else None,
            "thanked_kudos_id": None,
        }
        rows.append(row)
    return {
        "mentor_settings": settings,
        "help_requests": pl.DataFrame(rows, infer_schema_length=None),
        "account_attributes": account_rows(),
    }
