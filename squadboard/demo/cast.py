"""The demo organisation's cast: squads, people and their story, products, stages, messages."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

PRODUCTS = ["Atlas Core", "Atlas Analytics", "Beacon Sync", "Beacon Edge", "Compass Suite"]
PRODUCT_SIZE = {
    "Atlas Core": 14_000,
    "Atlas Analytics": 26_000,
    "Beacon Sync": 9_000,
    "Beacon Edge": 38_000,
    "Compass Suite": 60_000,
}
# Stage, probability; the last open stage before closing is Negotiation/Review.
OPEN_STAGES = [
    ("Prospecting", 0.10),
    ("Qualification", 0.20),
    ("Needs Analysis", 0.25),
    ("Proposal/Price Quote", 0.60),
    ("Negotiation/Review", 0.80),
]
KUDOS_CATEGORIES = ["helped close", "mentoring", "shared insight", "jumped on a call", "onboarding"]
KUDOS_MESSAGES = {
    "helped close": [
        "Thanks for the pricing rescue on {acct}!",
        "Couldn't have closed {acct} without you.",
    ],
    "mentoring": [
        "Our call on discovery questions changed how I run first meetings.",
        "Thanks for the deal review coaching this week.",
    ],
    "shared insight": [
        "Your competitor notes on {acct} saved me hours.",
        "The objection-handling doc is gold.",
    ],
    "jumped on a call": [
        "Jumped on the {acct} call with ten minutes' notice. Legend.",
        "Thanks for covering the demo!",
    ],
    "onboarding": [
        "Thanks for showing me the ropes in my first weeks.",
        "Your shadowing sessions made ramp-up so much easier.",
    ],
}
ACCOUNT_A = [
    "North",
    "Blue",
    "Silver",
    "Iron",
    "Bright",
    "Cedar",
    "Harbor",
    "Summit",
    "Quartz",
    "Maple",
    "Nova",
    "Pioneer",
]
ACCOUNT_B = [
    "wind Labs",
    "stone Health",
    "field Logistics",
    "peak Retail",
    "bridge Capital",
    "line Energy",
    "works Media",
    "gate Foods",
]


@dataclass
class Person:
    rep_id: str
    name: str
    role: str = "AE"
    access: str = "rep"
    squad: str | None = None
    perf: float = 0.85  # won revenue / stretch target, on average
    hire_date: date = date(2021, 3, 1)
    skill: str | None = None  # product they sell best


SQUADS = [
    ("falcons", "Falcons", "East", 1.12),
    ("orcas", "Orcas", "West", 0.70),
    ("lynx", "Lynx", "Central", 0.88),
    ("ravens", "Ravens", "EMEA", 1.08),
]

# (name, squad, role, perf) — managers lead the squad named; the admin has no squad.
PEOPLE = [
    ("Maya Chen", "falcons", "manager", None),
    ("Priya Raman", "falcons", "AE", 1.75),
    ("Diego Alvarez", "falcons", "AE", 0.95),
    ("Hannah Kim", "falcons", "AE", 0.9),
    ("Owen Price", "falcons", "AE", 0.85),
    ("Zoe Laurent", "falcons", "AE", 0.9),
    ("Marcus Hill", "falcons", "SE", None),
    ("Rafael Costa", "orcas", "manager", None),
    ("Tom Becker", "orcas", "AE", 0.3),
    ("Jonas Weber", "orcas", "AE", 0.8),
    ("Grace Okoro", "orcas", "AE", 0.85),
    ("Ivan Petrov", "orcas", "AE", 0.75),
    ("Chloe Martin", "orcas", "AE", 0.9),
    ("Nadia Haddad", "orcas", "SE", None),
    ("Ben Carter", "lynx", "manager", None),
    ("Leo Martins", "lynx", "AE", 0.8),
    ("Aisha Bello", "lynx", "AE", 0.95),
    ("Kenji Sato", "lynx", "AE", 0.85),
    ("Emma Novak", "lynx", "AE", 0.9),
    ("Sam Okafor", "lynx", "AE", 0.0),
    ("Lucy Walsh", "lynx", "CSM", None),
    ("Sofia Rossi", "ravens", "manager", None),
    ("Ana Souza", "ravens", "AE", 0.35),
    ("Felix Braun", "ravens", "AE", 0.95),
    ("Mei Lin", "ravens", "AE", 0.9),
    ("Omar Farouk", "ravens", "AE", 0.85),
    ("Julia Nowak", "ravens", "AE", 0.9),
    ("Ravi Iyer", "ravens", "specialist", None),
    ("Elena Duarte", None, "manager", None),  # VP Sales, Squadboard admin
]

STRETCH_TARGET = 150_000
SQUAD_QUOTA_SHARE = 0.95  # squad base quota = 0.95 x the sum of its AEs' stretch targets


def rep_id_of(name: str) -> str:
    return name.lower().replace(" ", ".")


def email_of(name: str) -> str:
    return f"{rep_id_of(name)}@squadboard.example"


def stable_id(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def cast_people(rng: random.Random, today: date) -> list[Person]:
    out = []
    for name, squad, role, perf in PEOPLE:
        p = Person(rep_id_of(name), name, role=role, squad=squad)
        if role == "manager":
            p.access = "admin" if squad is None else "leader"
        if perf is not None:
            p.perf = perf
        p.hire_date = date(2018 + rng.randrange(6), rng.randrange(1, 13), 1)
        p.skill = rng.choice(PRODUCTS)
        out.append(p)
    by_id = {p.rep_id: p for p in out}
    by_id["sam.okafor"].hire_date = today - timedelta(days=16)
    by_id["priya.raman"].skill = "Compass Suite"
    by_id["tom.becker"].skill = "Beacon Sync"
    return out


def deal_amount(rng: random.Random, product: str) -> float:
    base = PRODUCT_SIZE[product]
    return round(base * math.exp(rng.gauss(0, 0.45)) / 100) * 100
