"""Every console route x every role: the table below is the whole permission model, and the
test fails if the app gains a route the table does not list."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.console_support import ROLES, Site, make_site

PUBLIC = "public"
ALL = frozenset(ROLES)
MODS = frozenset({"moderator", "safeguarding"})

# (method, path as declared) -> who may use it, and a concrete path to request.
TABLE: dict[tuple[str, str], tuple[object, str]] = {
    ("GET", "/static/{name}"): (PUBLIC, "/static/console.css"),
    ("GET", "/login"): (PUBLIC, "/login"),
    ("POST", "/login"): (PUBLIC, "/login"),
    ("GET", "/setup/{token}"): (PUBLIC, "/setup/nope"),
    ("POST", "/setup/{token}"): (PUBLIC, "/setup/nope"),
    ("POST", "/logout"): (ALL, "/logout"),
    ("GET", "/"): (ALL, "/"),
    ("GET", "/inbox"): (MODS, "/inbox"),
    ("POST", "/inbox/ignore"): (MODS, "/inbox/ignore"),
    ("POST", "/inbox/preview"): (MODS, "/inbox/preview"),
    ("POST", "/inbox/promote"): (MODS, "/inbox/promote"),
    ("GET", "/safety"): ({"safeguarding"}, "/safety"),
    ("GET", "/safety/export.csv"): ({"safeguarding"}, "/safety/export.csv"),
    ("GET", "/safety/count"): ({"safeguarding"}, "/safety/count"),
    ("GET", "/safety/conversation/{ref}"): ({"safeguarding"}, "/safety/conversation/c-1"),
    ("POST", "/safety/{turn_id:int}"): ({"safeguarding"}, "/safety/1"),
    ("GET", "/feedback"): (MODS, "/feedback"),
    ("GET", "/stats"): (ALL, "/stats"),
    ("GET", "/catalogue"): ({"editor"}, "/catalogue"),
    ("GET", "/catalogue/{sid}"): ({"editor"}, "/catalogue/beat-lab-studio"),
    ("POST", "/catalogue/{sid}"): ({"editor"}, "/catalogue/beat-lab-studio"),
    ("GET", "/users"): ({"admin"}, "/users"),
    ("POST", "/users/add"): ({"admin"}, "/users/add"),
    ("POST", "/users/disable"): ({"admin"}, "/users/disable"),
    ("POST", "/users/reset"): ({"admin"}, "/users/reset"),
    ("GET", "/audit"): ({"admin"}, "/audit"),
    ("GET", "/audit/export.csv"): ({"admin"}, "/audit/export.csv"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("routes"))


def app_routes(site: Site) -> set[tuple[str, str]]:
    found = set()
    for route in site.console.routes:
        assert isinstance(route, Route), f"{route!r} is not a plain route: check it by hand"
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_the_table_lists_every_route_of_the_app(site: Site) -> None:
    """A new route fails this test until its roles are written in the table."""
    assert app_routes(site) == set(TABLE)


CASES = [(method, path, role) for (method, path) in TABLE for role in (*ROLES, None)]


@pytest.mark.parametrize(("method", "path", "role"), CASES,
                         ids=[f"{m} {p} as {r or 'nobody'}" for m, p, r in CASES])
def test_route_answers_each_role_as_the_table_says(site: Site, method: str, path: str,
                                                   role: str | None, tmp_path: Path) -> None:
    """Allowed roles get past the guard; others get 403; nobody logged in is sent to log in."""
    allowed, url = TABLE[(method, path)]
    client = TestClient(site.app, base_url="https://testserver")
    csrf = ""
    if role is not None:
        cookie, csrf = site.session(role)
        client.cookies.set("signpost_console", cookie)
    if allowed == PUBLIC and method == "POST":
        form_token = "f" * 43
        client.cookies.set("signpost_console_form", form_token)
        csrf = form_token
    if method == "GET":
        r = client.get("/console" + url, follow_redirects=False)
    else:
        r = client.post("/console" + url, data={"csrf": csrf}, follow_redirects=False)
    if allowed == PUBLIC:
        assert r.status_code != 403, r.text
    elif role is None:
        assert r.status_code in (303, 401)
        if method == "GET":
            assert "/console/login" in r.headers["location"]
    elif role in allowed:  # type: ignore[operator]
        assert r.status_code not in (401, 403), r.text
        assert r.status_code < 500
    else:
        assert r.status_code == 403
        assert "cannot open this page" in r.text
