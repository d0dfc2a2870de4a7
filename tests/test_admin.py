"""The admin routes (service/admin.py): off (404) unless ADMIN_TOKEN is set; a Bearer token
compared in constant time; the token never shown; POST /admin/reload serves the build the dist
link points to now, and a failed reload leaves the previous build served."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .hostile.dists import derive_dist, tiny_dist

TOKEN = "s3cret-token-for-the-tests-0123456789"
LABEL_QUERY = ("SELECT ?l WHERE { <https://w3id.org/ai45/id/layer/reflectable> "
               "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l")


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


@pytest.fixture(scope="module")
def builds(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small builds that differ in one label, and a `dist` link pointing at the first."""
    root = tmp_path_factory.mktemp("admin")
    old = tiny_dist(built_dist, root / "old")
    new = derive_dist(old, root / "new", extra_trig=(
        "<https://w3id.org/ai45/graph/framework> { layer:reflectable rdfs:label "
        '"Reflectable Layer (reloaded)"@en . }'))
    link = root / "dist"
    link.symlink_to(old)
    return {"old": old, "new": new, "link": link, "root": root}


@pytest.fixture()
def admin_app(make_app: Callable[..., Flask], builds: dict[str, Path]) -> Iterator[Flask]:
    link = builds["link"]
    link.unlink()
    link.symlink_to(builds["old"])
    yield make_app(DIST=str(link), ADMIN_TOKEN=TOKEN, QUERY_WORKERS=1)
    link.unlink()
    link.symlink_to(builds["old"])


def labels(app: Flask) -> list[str]:
    response = app.test_client().post("/sparql", data=LABEL_QUERY,
                                      content_type="application/sparql-query",
                                      headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data()
    return [b["l"]["value"] for b in response.get_json()["results"]["bindings"]]


# ------------------------------------------------------------------------------ off by default


def test_admin_routes_are_off_without_a_token(client: FlaskClient, app: Flask) -> None:
    assert not app.config.get("ADMIN_TOKEN")
    response = client.post("/admin/reload", headers=bearer())
    assert response.status_code == 404
    unknown = client.post("/no/such/route", headers=bearer())
    assert response.get_json()["message"] == unknown.get_json()["message"]


def test_a_short_token_leaves_them_off(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ADMIN_TOKEN", "short")
    assert app.test_client().post("/admin/reload", headers=bearer("short")).status_code == 404


def test_the_token_is_never_shown(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ADMIN_TOKEN", TOKEN)
    settings = {s["name"]: s for s in app.test_client().get("/settings.json").get_json()}
    assert settings["ADMIN_TOKEN"]["value"] == "(set)"
    assert TOKEN not in app.test_client().get("/settings.json").get_data(as_text=True)
    assert TOKEN not in app.test_client().get("/openapi.json").get_data(as_text=True)


# ------------------------------------------------------------------------------ the token


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token-wrong-token-wrong"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": TOKEN},
    {"Authorization": "Bearer \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"},
    {"X-Admin-Token": TOKEN},
], ids=["none", "wrong", "prefix", "longer", "basic", "no-scheme", "non-ascii", "other-header"])
def test_a_missing_or_wrong_token_is_a_401(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                            headers: dict[str, str]) -> None:
    monkeypatch.setitem(app.config, "ADMIN_TOKEN", TOKEN)
    response = app.test_client().post("/admin/reload",
                                      headers={**headers, "Accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Cache-Control"] == "no-store"
    assert TOKEN not in response.get_data(as_text=True)


def test_the_token_is_compared_in_constant_time(app: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import ai45kg.service.admin as admin

    calls: list[tuple[bytes, bytes]] = []
    real = admin.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(admin.hmac, "compare_digest", spy)
    monkeypatch.setitem(app.config, "ADMIN_TOKEN", TOKEN)
    app.test_client().post("/admin/reload", headers=bearer("wrong-token-wrong-token"))
    assert calls == [(b"wrong-token-wrong-token", TOKEN.encode())]


def test_browsers_on_other_sites_cannot_send_the_token(app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ADMIN_TOKEN", TOKEN)
    preflight = app.test_client().options("/admin/reload", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    allowed = preflight.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "authorization" not in allowed
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_only_post(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ADMIN_TOKEN", TOKEN)
    assert app.test_client().get("/admin/reload", headers=bearer()).status_code == 405


# ------------------------------------------------------------------------------ reload


def test_reload_serves_the_new_build(admin_app: Flask, builds: dict[str, Path]) -> None:
    client = admin_app.test_client()
    before = client.get("/health").get_json()["content_hash"]
    assert labels(admin_app) == ["Reflectable Layer"]
    builds["link"].unlink()
    builds["link"].symlink_to(builds["new"])
    assert labels(admin_app) == ["Reflectable Layer"]  # nothing changes until the reload
    response = client.post("/admin/reload", headers=bearer())
    assert response.status_code == 200, response.get_data()
    doc = response.get_json()
    assert doc["status"] == "reloaded" and doc["changed"] is True
    assert doc["previous_content_hash"] == before
    new_hash = json.loads((builds["new"] / "manifest.json").read_text())["content_hash"]
    assert doc["content_hash"] == new_hash
    assert client.get("/health").get_json()["content_hash"] == new_hash
    assert labels(admin_app) == ["Reflectable Layer", "Reflectable Layer (reloaded)"]
    again = client.post("/admin/reload", headers=bearer()).get_json()
    assert again["changed"] is False


def test_a_failed_reload_keeps_the_previous_build(admin_app: Flask,
                                                  builds: dict[str, Path]) -> None:
    broken = builds["root"] / "broken"
    broken.mkdir(exist_ok=True)
    builds["link"].unlink()
    builds["link"].symlink_to(broken)
    response = admin_app.test_client().post("/admin/reload", headers=bearer())
    assert response.status_code == 503
    assert "still served" in response.get_json()["message"]
    assert labels(admin_app) == ["Reflectable Layer"]
    assert admin_app.test_client().get("/health").status_code == 200
