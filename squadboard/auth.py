"""Who is looking and what they may do. Pure rules, no streamlit: ui.py reads the sign-in
(st.user, a trusted header, or the demo picker) and hands it to these functions.

Three ways to know who is looking, chosen by `.streamlit/secrets.toml` only (never by the URL):

- "oidc":   an `[auth]` section (Streamlit's st.login with any OpenID Connect provider);
- "header": `[squadboard] trusted_header = "X-Forwarded-Email"` behind a company sign-in proxy;
- "demo":   neither: a local try-out where the viewer picks anyone from the roster.

The signed-in email is matched to `reps.email` (case-insensitive). Roles come from
`reps.access` (rep | leader | admin) and from `squads.manager_id` (which squads a leader leads).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

MODES = ("demo", "oidc", "header")
LEADERS = ("leader", "admin")
# RFC 7230 header field name: a token.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class SignInConfigError(ValueError):
    """secrets.toml asks for something Squadboard cannot do safely."""


@dataclass(frozen=True)
class SignIn:
    mode: str  # demo | oidc | header
    header: str | None = None  # the trusted header's name (header mode)
    provider: str | None = None  # st.login(provider) for a named [auth.<provider>] section


@dataclass(frozen=True)
class Viewer:
    rep_id: str
    name: str
    access: str  # rep | leader | admin
    role: str
    squad_id: str | None
    leads: tuple[str, ...]  # squads this person leads

    @property
    def is_leader(self) -> bool:
        return self.access in LEADERS

    @property
    def is_admin(self) -> bool:
        return self.access == "admin"

    def may_see_payout_of(self, rep_id: str, squad_id: str | None) -> bool:
        """Payouts: your own; a leader's squads; an admin everything."""
        return (
            rep_id == self.rep_id
            or self.access == "admin"
            or (self.access == "leader" and squad_id in self.leads)
        )


def viewer_from(row: Mapping[str, Any]) -> Viewer:
    """A Viewer from a row of the `roster` named query."""
    leads = tuple(s for s in (row.get("leads_squads") or "").split(",") if s)
    return Viewer(row["rep_id"], row["rep"], row["access"], row["role"], row["squad_id"], leads)


def sign_in_config(secrets: Mapping[str, Any]) -> SignIn:
    """The sign-in mode from the secrets (a mapping like st.secrets.to_dict())."""
    auth = secrets.get("auth") or {}
    own = secrets.get("squadboard") or {}
    header = own.get("trusted_header")
    providers = sorted(k for k, v in auth.items() if isinstance(v, Mapping) and "client_id" in v)
    oidc = "client_id" in auth or bool(providers)
    if header is not None and oidc:
        raise SignInConfigError(
            "secrets.toml configures both OpenID Connect ([auth]) and a trusted header "
            "([squadboard] trusted_header): keep one."
        )
    if header is not None:
        if not isinstance(header, str) or not _HEADER_NAME.match(header):
            raise SignInConfigError(f"[squadboard] trusted_header {header!r} is not a header name.")
        return SignIn("header", header=header)
    if oidc:
        provider = own.get("provider")
        if provider is None and "client_id" not in auth:
            if len(providers) > 1:
                raise SignInConfigError(
                    f"secrets.toml has several providers ({', '.join(providers)}): "
                    'choose one with [squadboard] provider = "<name>".'
                )
            provider = providers[0]
        if provider is not None and provider not in providers:
            raise SignInConfigError(f"[squadboard] provider {provider!r} has no [auth.{provider}].")
        return SignIn("oidc", provider=provider)
    return SignIn("demo")


# The one proxy header that prefixes the address: Google IAP's
# `X-Goog-Authenticated-User-Email: accounts.google.com:ann@example.com`.
PREFIXED_HEADERS = {"x-goog-authenticated-user-email": "accounts.google.com:"}


def header_prefix(header: str | None) -> str | None:
    """The prefix the proxy puts before the address in this header, if it is one that does."""
    return PREFIXED_HEADERS.get((header or "").lower())


def normalise_email(value: str | None, prefix: str | None = None) -> str | None:
    """The address in a claim or header, lower-cased; None when there is none.

    `prefix` (only for the proxy header that has one, see header_prefix) is dropped when the
    value starts with it; anywhere else a value that is not just an address is no address.
    """
    if value is None:
        return None
    text = value.strip()
    if prefix and text.lower().startswith(prefix.lower()):
        text = text[len(prefix) :].strip()
    if not re.fullmatch(r"[^@\s:,;<>\"]+@[^@\s:,;<>\"]+", text):
        return None
    return text.lower()


@dataclass(frozen=True)
class Match:
    status: str  # found | unknown | inactive | no_email | unverified | no_header | duplicate
    viewer: Viewer | None = None
    email: str | None = None


def is_verified(verified: object) -> bool:
    """The provider's `email_verified` claim: absent (None) is accepted, since not every provider
    sends it; when it is sent, only true (or the text "true") is."""
    if verified is None or verified is True:
        return True
    return isinstance(verified, str) and verified.strip().lower() == "true"


def match_email(
    roster: pl.DataFrame, claimed: str | None, *, verified: object = None, prefix: str | None = None
) -> Match:
    """Find the signed-in person in the roster (the `roster` named query's rows).

    The address must equal a roster email exactly, ignoring case. `verified` is the provider's
    `email_verified` claim: when the provider sends it, it must be true, since an unverified
    address is one anybody could have typed. `prefix`: see normalise_email.
    """
    email = normalise_email(claimed, prefix)
    if email is None:
        return Match("no_email")
    if not is_verified(verified):
        return Match("unverified", email=email)
    rows = roster.filter(pl.col("email").str.to_lowercase().str.strip_chars() == email)
    if rows.is_empty():
        return Match("unknown", email=email)
    active = rows.filter(pl.col("active"))
    if active.is_empty():
        return Match("inactive", email=email)
    return Match("found", viewer_from(active.row(0, named=True)), email)


def match_header(roster: pl.DataFrame, values: Sequence[str], header: str) -> Match:
    """Trusted-header mode: every copy of the header the request carried.

    A proxy that appends its own copy to one the client sent leaves two: which one is the
    proxy's cannot be told, so a request with more than one is refused.
    """
    if len(values) > 1:
        return Match("duplicate")
    if not values:
        return Match("no_header")
    return match_email(roster, values[0], prefix=header_prefix(header))
