"""Sign-in and roles: the mode comes from secrets.toml only, the signed-in email maps to the
roster, people outside it see no data, and pages that write check the role on the server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from squadboard import auth, db

ROOT = Path(__file__).resolve().parent.parent
OIDC = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "squadboard",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
}
REP = "tom.becker@squadboard.example"
LEADER = "maya.chen@squadboard.example"


# The mode -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secrets, expected",
    [
        ({}, auth.SignIn("demo")),
        ({"squadboard": {}}, auth.SignIn("demo")),
        ({"auth": {"redirect_uri": "x", "cookie_secret": "y"}}, auth.SignIn("demo")),
        (OIDC, auth.SignIn("oidc")),
        ({"auth": {"okta": {"client_id": "a"}}}, auth.SignIn("oidc", provider="okta")),
        (
            {
                "auth": {"okta": {"client_id": "a"}, "google": {"client_id": "b"}},
                "squadboard": {"provider": "google"},
            },
            auth.SignIn("oidc", provider="google"),
        ),
        (
            {"squadboard": {"trusted_header": "X-Forwarded-Email"}},
            auth.SignIn("header", header="X-Forwarded-Email"),
        ),
    ],
)
def test_the_sign_in_mode_comes_from_the_secrets(secrets, expected):
    assert auth.sign_in_config(secrets) == expected


@pytest.mark.parametrize(
    "secrets, complaint",
    [
        ({**OIDC, "squadboard": {"trusted_header": "X-Email"}}, "keep one"),
        ({"squadboard": {"trusted_header": "X Email: evil"}}, "not a header name"),
        ({"squadboard": {"trusted_header": ""}}, "not a header name"),
        ({"auth": {"a": {"client_id": "1"}, "b": {"client_id": "2"}}}, "several providers"),
        ({"auth": {"a": {"client_id": "1"}}, "squadboard": {"provider": "b"}}, "no [auth.b]"),
    ],
)
def test_an_unsafe_or_ambiguous_configuration_is_refused(secrets, complaint):
    with pytest.raises(auth.SignInConfigError) as raised:
        auth.sign_in_config(secrets)
    assert complaint in str(raised.value)


@pytest.mark.parametrize(
    "claimed, expected",
    [
        ("Ann.Lee@Example.COM", "ann.lee@example.com"),
        ("  ann@example.com \n", "ann@example.com"),
        ("accounts.google.com:ann@example.com", None),  # a prefix only where one is expected
        ("attacker.example:ann@example.com", None),
        ("", None),
        (None, None),
        ("ann", None),
        ("ann@example.com,bob@example.com bob", None),
        ("a@b@c", None),
    ],
)
def test_normalise_email(claimed, expected):
    assert auth.normalise_email(claimed) == expected


@pytest.mark.parametrize(
    "header, value, expected",
    [
        (
            "X-Goog-Authenticated-User-Email",
            "accounts.google.com:Ann@example.com",
            "ann@example.com",
        ),
        (
            "x-goog-authenticated-user-email",
            "accounts.google.com:ann@example.com",
            "ann@example.com",
        ),
        ("X-Goog-Authenticated-User-Email", "ann@example.com", "ann@example.com"),
        ("X-Goog-Authenticated-User-Email", "evil.example:ann@example.com", None),
        ("X-Forwarded-Email", "accounts.google.com:ann@example.com", None),
        ("X-Forwarded-Email", "ann@example.com", "ann@example.com"),
    ],
)
def test_only_the_iap_header_has_its_prefix_dropped(header, value, expected):
    assert auth.normalise_email(value, auth.header_prefix(header)) == expected


@pytest.fixture
def roster(con):
    cur = con.cursor()
    cur.execute(
        "insert into squads values ('s1', 'Squad one', 'EU', 'lea'), ('s2', 'Squad two', 'EU', 'lea')"
    )
    cur.execute(
        """insert into reps (rep_id, name, email, role, access, active) values
        ('ann', 'Ann', 'Ann@Example.com', 'AE', 'rep', true),
        ('old', 'Old', 'old@example.com', 'AE', 'rep', false),
        ('lea', 'Lea', 'lea@example.com', 'manager', 'leader', true)"""
    )
    cur.execute("insert into squad_members values ('ann', 's1', '2026-01-01', null)")
    return db.run(con, "roster", as_of=date(2026, 11, 23))


@pytest.mark.parametrize(
    "claimed, verified, status, rep_id, leads",
    [
        ("ann@example.com", None, "found", "ann", ()),
        ("ANN@example.com", True, "found", "ann", ()),
        ("lea@example.com", "true", "found", "lea", ("s1", "s2")),
        ("ann@example.com", False, "unverified", None, None),
        ("ann@example.com", "false", "unverified", None, None),
        # when the provider sends email_verified, it must say true
        ("ann@example.com", "", "unverified", None, None),
        ("ann@example.com", 0, "unverified", None, None),
        ("ann@example.com", "no", "unverified", None, None),
        # OpenID Connect: the claim is the address, exactly; no prefix is ever dropped
        ("attacker.example:ann@example.com", True, "no_email", None, None),
        ("attacker.example:lea@example.com", None, "no_email", None, None),
        ("accounts.google.com:lea@example.com", True, "no_email", None, None),
        ("xann@example.com", True, "unknown", None, None),
        ("ann@example.com.evil.example", True, "unknown", None, None),
        ("old@example.com", None, "inactive", None, None),
        ("nobody@example.com", None, "unknown", None, None),
        ("ann", None, "no_email", None, None),
        (None, None, "no_email", None, None),
    ],
)
def test_the_signed_in_email_maps_to_the_roster(roster, claimed, verified, status, rep_id, leads):
    found = auth.match_email(roster, claimed, verified=verified)
    assert found.status == status
    assert (found.viewer.rep_id if found.viewer else None) == rep_id
    if leads is not None:
        assert found.viewer.leads == leads


@pytest.mark.parametrize(
    "values, status, rep_id",
    [
        (["lea@example.com"], "found", "lea"),
        ([], "no_header", None),
        # a client-sent copy and the proxy's own: which is which cannot be told
        (["lea@example.com", "ann@example.com"], "duplicate", None),
        (["ann@example.com", "ann@example.com"], "duplicate", None),
        (["accounts.google.com:lea@example.com"], "no_email", None),
    ],
)
def test_a_trusted_header_sent_more_than_once_is_refused(roster, values, status, rep_id):
    found = auth.match_header(roster, values, "X-Forwarded-Email")
    assert found.status == status
    assert (found.viewer.rep_id if found.viewer else None) == rep_id


def test_the_iap_header_may_carry_its_prefix(roster):
    found = auth.match_header(
        roster, ["accounts.google.com:LEA@example.com"], "X-Goog-Authenticated-User-Email"
    )
    assert found.status == "found" and found.viewer.rep_id == "lea"


# The app ------------------------------------------------------------------------------------


def open_app(secrets=None, user=None, picked=None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.user = user if user is not None else {}
    if picked:  # what the demo picker would hold
        at.session_state["viewer_id"] = picked
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def signed_in(email: str) -> dict:
    return {"is_logged_in": True, "email": email, "email_verified": True}


def shows_no_data(at: AppTest) -> bool:
    return (
        not at.dataframe
        and not at.get("plotly_chart")
        and not at.sidebar.selectbox
        and all("Falcons" not in m.value and "Orcas" not in m.value for m in at.markdown)
    )


def test_demo_mode_is_the_default_and_says_so(app_env):
    at = open_app()
    assert not at.exception
    assert at.sidebar.selectbox(key="viewer_id").label == "Viewing as (demo mode)"
    assert any("Demo mode" in w.value for w in at.sidebar.warning)


@pytest.mark.parametrize(
    "query",
    [{"demo": "1"}, {"mode": "demo"}, {"viewer_id": "maya.chen"}, {"auth": "none", "demo": "true"}],
)
def test_a_url_parameter_cannot_switch_on_demo_mode(app_env, query):
    at = open_app(OIDC, {"is_logged_in": False}, picked="maya.chen", **query)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert shows_no_data(at)
    assert "viewer" not in at.session_state


def test_a_url_parameter_cannot_change_who_is_signed_in(app_env):
    at = open_app(OIDC, signed_in(REP), picked="maya.chen", viewer_id="maya.chen")
    assert not at.exception
    assert at.session_state["viewer"].rep_id == "tom.becker"
    assert "Tom Becker" in at.sidebar.caption[0].value
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/imports.py")


def test_a_leader_signed_in_gets_the_leader_pages(app_env):
    at = open_app(OIDC, signed_in(LEADER))
    assert at.session_state["viewer"].rep_id == "maya.chen"
    at.switch_page("pages/imports.py").run()
    assert not at.exception
    assert len(at.get("file_uploader")) == 1


@pytest.mark.parametrize(
    "user, says",
    [
        (signed_in("stranger@elsewhere.example"), "Ask your leader to add you"),
        ({**signed_in(REP), "email_verified": False}, "has not verified"),
        ({"is_logged_in": True}, "did not tell Squadboard your email"),
    ],
)
def test_someone_not_in_the_roster_is_told_what_to_do_and_sees_no_data(app_env, user, says):
    at = open_app(OIDC, user)
    assert not at.exception
    assert any(says in i.value for i in at.info)
    assert shows_no_data(at)
    assert [b.label for b in at.button] == ["Sign out"]


def test_an_inactive_rep_sees_no_data(app_env):
    con = db.connect(app_env)
    con.execute("update reps set active = false where rep_id = 'tom.becker'")
    con.close()
    at = open_app(OIDC, signed_in(REP))
    assert any("no longer active" in i.value for i in at.info)
    assert shows_no_data(at)


def test_a_misconfigured_sign_in_says_so_and_shows_no_data(app_env):
    at = open_app({**OIDC, "squadboard": {"trusted_header": "X-Email"}}, signed_in(LEADER))
    assert any("Sign-in is misconfigured" in e.value for e in at.error)
    assert shows_no_data(at)


@pytest.mark.parametrize(
    "header_name, values, rep_id, shown",
    [
        ("X-Forwarded-Email", ["maya.chen@squadboard.example"], "maya.chen", None),
        (
            "X-Goog-Authenticated-User-Email",
            ["accounts.google.com:Tom.Becker@squadboard.example"],
            "tom.becker",
            None,
        ),
        ("X-Forwarded-Email", [], None, "did not come through the company sign-in"),
        ("X-Forwarded-Email", ["stranger@elsewhere.example"], None, "Ask your leader to add you"),
        (
            "X-Forwarded-Email",
            ["attacker.example:elena.duarte@squadboard.example"],
            None,
            "did not tell Squadboard your email",
        ),
        (
            "X-Forwarded-Email",
            ["elena.duarte@squadboard.example", "tom.becker@squadboard.example"],
            None,
            "more than once",
        ),
    ],
)
def test_trusted_header_mode(app_env, monkeypatch, header_name, values, rep_id, shown):
    from squadboard import ui

    asked = []
    monkeypatch.setattr(ui, "_trusted_header", lambda name: asked.append(name) or values)
    at = open_app({"squadboard": {"trusted_header": header_name}}, picked="elena.duarte")
    assert not at.exception
    assert asked and set(asked) == {header_name}
    if rep_id:
        assert at.session_state["viewer"].rep_id == rep_id
        assert not at.sidebar.button  # the proxy signs people out, not Squadboard
    else:
        assert any(shown in e.value for e in [*at.error, *at.info])
        assert shows_no_data(at)


def test_an_oidc_email_with_a_prefix_does_not_sign_in_as_the_admin(app_env):
    at = open_app(
        OIDC,
        user={
            "is_logged_in": True,
            "email": "attacker.example:elena.duarte@squadboard.example",
            "email_verified": True,
        },
    )
    assert not at.exception
    assert "viewer" not in at.session_state
    assert shows_no_data(at)


def test_an_oidc_email_the_provider_did_not_verify_is_refused(app_env):
    user = {"is_logged_in": True, "email": "elena.duarte@squadboard.example"}
    at = open_app(OIDC, user={**user, "email_verified": "0"})
    assert "viewer" not in at.session_state and shows_no_data(at)
    at = open_app(OIDC, user={**user, "email_verified": True})
    assert at.session_state["viewer"].rep_id == "elena.duarte"


@pytest.mark.parametrize(
    "page, refusal",
    [
        ("pages/imports.py", "for sales leaders and admins"),
        ("pages/settings.py", "for sales leaders and admins"),
    ],
)
def test_pages_that_write_refuse_a_rep_on_the_server(app_env, page, refusal):
    """Opened directly (a typed URL, a stale link), not through the navigation."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.secrets.update(OIDC)
    at.user = signed_in(REP)
    at.run()
    assert any(refusal in e.value for e in at.error)
    assert not at.get("file_uploader") and not at.number_input
    assert [b.key for b in at.button] == ["sign_out"]


def test_an_import_is_audited_under_the_signed_in_leader(app_env):
    at = open_app(OIDC, signed_in(LEADER))
    at.switch_page("pages/imports.py").run()
    deals = (
        "deal_id,name,account,product,owner_id,stage,status,amount,probability,created_date,close_date\n"
        "AUD-1,Audited,Acme,Atlas Core,tom.becker,Closed Won,won,1000,100,2026-10-01,2026-11-02\n"
    )
    at.get("file_uploader")[0].upload("deals.csv", deals.encode(), "text/csv").run()
    at.button(key="commit").click().run()
    assert not at.exception
    con = db.connect(app_env)
    actors = con.execute("select distinct actor from import_log").fetchall()
    audit = con.execute(
        "select actor from audit_log where action ilike '%import%' order by audit_id desc limit 1"
    ).fetchall()
    con.close()
    assert actors == [("maya.chen",)]
    assert audit == [("maya.chen",)]
