"""Caching that is correct: ETags from the build and the normalised query, If-None-Match, the
in-process response cache (service.cache) on /sparql and the named-query routes, and
`Backend.reload()`, after which no answer of the old build is served (nor revalidated)."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ai45kg.kg.build import build
from ai45kg.kg.literature.synth import write as write_synth
from ai45kg.service.backend import Backend
from ai45kg.service.cache import ResponseCache

JSON = "application/sparql-results+json"
LAYERS = ("PREFIX ai45: <https://w3id.org/ai45/ontology#>\n"
          "SELECT ?l WHERE { ?l a ai45:Layer } ORDER BY ?l")
IMPORTED = ("SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { "
            "?w a <https://w3id.org/ai45/ontology#ImportedWork> }")


def get(client: FlaskClient, query: str, **headers: str) -> Any:
    return client.get("/sparql", query_string={"query": query},
                      headers={"Accept": JSON, **headers})


# ---------------------------------------------------------------------------------------------
# the cache itself


def test_cache_keeps_the_most_recent_within_its_byte_budget() -> None:
    cache = ResponseCache(4000)
    for i in range(10):
        assert cache.put(f"k{i}", b"x" * 500, [("Content-Type", "text/csv")])
    stats = cache.stats()
    assert stats["bytes"] <= 4000
    assert cache.get("k0") is None  # evicted first
    assert cache.get("k9") is not None
    cache.get("k5")
    cache.put("k10", b"y" * 500, [])
    assert cache.get("k5") is not None  # used recently: kept


def test_a_response_larger_than_a_quarter_of_the_budget_is_not_kept() -> None:
    cache = ResponseCache(4000)
    assert not cache.put("big", b"x" * 1001, [])
    assert cache.get("big") is None


def test_a_cache_of_zero_bytes_is_off() -> None:
    cache = ResponseCache(0)
    assert not cache.put("k", b"x", [])
    assert cache.get("k") is None


def test_headers_of_one_response_are_not_kept() -> None:
    cache = ResponseCache(10_000)
    cache.put("k", b"x", [("Content-Type", "text/csv"), ("Set-Cookie", "a=b"),
                          ("AI45-Truncated", "false"), ("AI45-Cache", "miss"),
                          ("Server-Timing", "query;dur=1.0"), ("Date", "today"),
                          ("Access-Control-Allow-Origin", "*")])
    entry = cache.get("k")
    assert entry is not None
    assert dict(entry.headers) == {"Content-Type": "text/csv", "AI45-Truncated": "false",
                                   "Access-Control-Allow-Origin": "*"}


# ---------------------------------------------------------------------------------------------
# /sparql


@pytest.fixture()
def cached_client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(CACHE_BYTES=2**20, QUERY_WORKERS=1).test_client()


def test_a_repeated_query_comes_from_the_cache(cached_client: FlaskClient) -> None:
    first = get(cached_client, LAYERS)
    second = get(cached_client, LAYERS)
    assert first.headers["AI45-Cache"] == "miss"
    assert second.headers["AI45-Cache"] == "hit"
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.mimetype == JSON
    assert second.headers["AI45-Truncated"] == "false"
    assert second.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_comments_and_spacing_do_not_change_the_etag(cached_client: FlaskClient) -> None:
    """The ETag is of the normalised query (the kept answer is of the URL as sent)."""
    base = get(cached_client, LAYERS)
    spaced = get(cached_client, LAYERS.replace(" ", "\n   ") + "\n# a comment\n")
    assert spaced.headers["ETag"] == base.headers["ETag"]
    assert spaced.get_data() == base.get_data()
    assert cached_client.get("/sparql", query_string={"query": "  " + LAYERS},
                             headers={"Accept": JSON, "If-None-Match": base.headers["ETag"]}
                             ).status_code == 304


def test_strings_and_formats_do_change_the_etag(cached_client: FlaskClient) -> None:
    a = get(cached_client, 'SELECT ?x WHERE { BIND("a  b" AS ?x) }')
    b = get(cached_client, 'SELECT ?x WHERE { BIND("a b" AS ?x) }')
    assert a.headers["ETag"] != b.headers["ETag"]
    assert json.loads(a.get_data())["results"]["bindings"][0]["x"]["value"] == "a  b"
    csv = cached_client.get("/sparql", query_string={"query": LAYERS, "format": "csv"})
    assert csv.headers["ETag"] != get(cached_client, LAYERS).headers["ETag"]
    assert csv.mimetype == "text/csv"


def test_errors_are_never_cached(cached_client: FlaskClient) -> None:
    for _ in range(2):
        response = get(cached_client, "SELECT * WHERE {")
        assert response.status_code == 400
        assert "AI45-Cache" not in response.headers


def test_a_kept_answer_is_the_whole_response(cached_client: FlaskClient) -> None:
    """A hit is answered before Flask: it must carry every header the route and the security
    hooks gave the answer, and only what differs per response may differ."""
    first = get(cached_client, LAYERS, Origin="https://example.org")
    second = get(cached_client, LAYERS, Origin="https://example.org")
    assert second.headers["AI45-Cache"] == "hit"
    assert second.headers["Server-Timing"] == "cache;desc=hit"
    assert first.headers["Server-Timing"].startswith("query;dur=")
    per_response = {"AI45-Cache", "Server-Timing"}
    assert ({k: v for k, v in second.headers.items() if k not in per_response}
            == {k: v for k, v in first.headers.items() if k not in per_response})
    for name in ("ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin",
                 "X-Content-Type-Options", "Content-Length", "AI45-Truncated"):
        assert second.headers[name] == first.headers[name]
    # what the answer varies on is part of the key: another Accept is another answer
    csv = cached_client.get("/sparql", query_string={"query": LAYERS},
                            headers={"Accept": "text/csv"})
    assert (csv.mimetype, csv.headers["AI45-Cache"]) == ("text/csv", "miss")
    # POST is never answered from the cache
    posted = cached_client.post("/sparql", data=LAYERS.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": JSON})
    assert posted.status_code == 200 and posted.headers["AI45-Cache"] == "miss"
    assert posted.get_data() == first.get_data()


def test_a_kept_answer_is_never_given_to_another_origin(make_app: Callable[..., Flask]) -> None:
    client = make_app(CACHE_BYTES=2**20, QUERY_WORKERS=1,
                      CORS_ORIGINS="https://a.example").test_client()
    allowed = [get(client, LAYERS, Origin="https://a.example") for _ in range(2)]
    assert [r.headers["AI45-Cache"] for r in allowed] == ["miss", "hit"]
    assert allowed[1].headers["Access-Control-Allow-Origin"] == "https://a.example"
    other = get(client, LAYERS, Origin="https://b.example")
    assert other.headers["AI45-Cache"] == "miss"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_no_cache_in_the_request_evaluates_again(cached_client: FlaskClient) -> None:
    """RFC 9111 5.2.1.4: a request with Cache-Control: no-cache is not answered from the cache;
    its fresh answer replaces the kept one, and requests without the header get that."""
    first = get(cached_client, LAYERS)
    fresh = get(cached_client, LAYERS, **{"Cache-Control": "no-cache"})
    assert (first.headers["AI45-Cache"], fresh.headers["AI45-Cache"]) == ("miss", "miss")
    assert fresh.get_data() == first.get_data()
    assert fresh.headers["ETag"] == first.headers["ETag"]
    assert get(cached_client, LAYERS).headers["AI45-Cache"] == "hit"
    named = [cached_client.get("/queries/levels.csv", headers=h).headers["AI45-Cache"]
             for h in ({}, {"Cache-Control": "no-cache"}, {"Cache-Control": "max-age=0"}, {})]
    assert named == ["miss", "miss", "hit", "hit"]


def test_without_a_cache_every_query_is_evaluated(make_app: Callable[..., Flask]) -> None:
    client = make_app(CACHE_BYTES=0, QUERY_WORKERS=1).test_client()
    assert [get(client, LAYERS).headers["AI45-Cache"] for _ in range(2)] == ["miss", "miss"]


# ---------------------------------------------------------------------------------------------
# named queries


def test_named_query_answers_are_cached_and_revalidated(cached_client: FlaskClient) -> None:
    first = cached_client.get("/queries/levels.csv")
    assert first.status_code == 200
    assert first.headers["AI45-Cache"] == "miss"
    second = cached_client.get("/queries/levels.csv")
    assert second.headers["AI45-Cache"] == "hit"
    assert second.get_data() == first.get_data()
    assert second.mimetype == "text/csv"
    etag = first.headers["ETag"]
    assert cached_client.get("/queries/levels.csv",
                             headers={"If-None-Match": etag}).status_code == 304
    other = cached_client.get("/queries/techniques-for-level.csv?level=ai45r:level/perception")
    assert other.headers["ETag"] != etag


def test_named_query_pages_are_not_cached(cached_client: FlaskClient) -> None:
    for _ in range(2):
        page = cached_client.get("/queries/levels", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "AI45-Cache" not in page.headers


# ---------------------------------------------------------------------------------------------
# reload


@pytest.fixture()
def dist_link(built_dist: Path, tmp_path: Path) -> Path:
    """A dist link like the project's, pointing at a copy of the session's build (build A)."""
    builds = tmp_path / ".dist.builds"
    builds.mkdir()
    first = builds / "00000000T000000000000Z-1"
    shutil.copytree(built_dist.resolve(), first)
    link = tmp_path / "dist"
    link.symlink_to(os.path.relpath(first, tmp_path))
    return link


def _rebuild_with_an_import(link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Build B: the same sources plus a small synthetic import, into the same dist link."""
    imports = tmp_path / "imports"
    imports.mkdir()
    report = write_synth(imports / "synth-9.ttl", 400, 9)
    monkeypatch.setenv("AI45_IMPORTS", str(imports))
    build(link)
    return report.works


@pytest.fixture()
def reload_settings(store_kind: str, tmp_path: Path) -> dict[str, Any]:
    if store_kind == "remote":
        pytest.skip("reloading a remote store needs a push of the new build first, which would "
                    "change the endpoint the other remote tests read")
    if store_kind == "oxigraph":
        return {"STORE": "oxigraph", "STORE_PATH": str(tmp_path / "oxigraph")}
    return {"STORE": "memory"}


@pytest.fixture()
def reloading_app(dist_link: Path, reload_settings: dict[str, Any]) -> Iterator[Flask]:
    from ai45kg.service import create_app

    app = create_app({"TESTING": True, "DIST": str(dist_link), "QUERY_WORKERS": 1,
                      "CACHE_BYTES": 2**20, **reload_settings})
    yield app
    app.extensions["ai45kg"].close()


def _count(response: Any) -> int:
    return int(json.loads(response.get_data())["results"]["bindings"][0]["n"]["value"])


def test_no_stale_answer_after_a_rebuild_and_reload(
    reloading_app: Flask, dist_link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = reloading_app.test_client()
    backend: Backend = reloading_app.extensions["ai45kg"]
    before = get(client, IMPORTED)
    assert _count(before) == 0
    old_etag = before.headers["ETag"]
    assert get(client, IMPORTED).headers["AI45-Cache"] == "hit"
    old_hash, old_pids = backend.content_hash, backend._executor.pids()  # type: ignore[attr-defined]

    works = _rebuild_with_an_import(dist_link, tmp_path, monkeypatch)
    # until the reload, the running service answers from the build it opened
    assert get(client, IMPORTED, **{"If-None-Match": old_etag}).status_code == 304

    assert backend.reload() is True
    assert backend.content_hash != old_hash
    assert backend.cache.stats()["entries"] == 0
    after = get(client, IMPORTED)
    assert after.headers["AI45-Cache"] == "miss"
    assert _count(after) == works > 0
    assert after.headers["ETag"] != old_etag
    stale = get(client, IMPORTED, **{"If-None-Match": old_etag})
    assert stale.status_code == 200 and _count(stale) == works
    # the old build's workers are gone; a second reload of the same build changes nothing
    assert set(backend._executor.pids()).isdisjoint(old_pids)  # type: ignore[attr-defined]
    assert backend.reload() is False


def test_a_request_keeps_its_build_across_a_reload(
    reloading_app: Flask, dist_link: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A response never mixes builds: a request that started on build A answers all its
    queries from A, even when a reload swaps in B meanwhile; B serves the next request, and A's
    workers stop when the last request on it ends."""
    backend: Backend = reloading_app.extensions["ai45kg"]
    works = _rebuild_with_an_import(dist_link, tmp_path, monkeypatch)
    with reloading_app.test_request_context("/"):
        old_hash = backend.content_hash  # the request pins build A
        old_pids = backend._executor.pids()  # type: ignore[attr-defined]
        thread = threading.Thread(target=backend.reload)
        thread.start()
        thread.join(timeout=120)
        assert _n(backend.run(IMPORTED)) == 0
        assert backend.content_hash == old_hash
        assert any(os.path.exists(f"/proc/{pid}") for pid in old_pids)  # still in use
    with reloading_app.test_request_context("/"):
        assert backend.content_hash != old_hash
        assert _n(backend.run(IMPORTED)) == works
    assert not any(_alive(pid) for pid in old_pids)


def _n(outcome: Any) -> int:
    return int(outcome.result.rows[0][0])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_broken_build_is_not_swapped_in(reloading_app: Flask, dist_link: Path) -> None:
    from ai45kg.service.backend import ServiceUnavailable

    backend: Backend = reloading_app.extensions["ai45kg"]
    old_hash = backend.content_hash
    broken = dist_link.parent / ".dist.builds" / "99999999T000000000000Z-1"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"content_hash": "f" * 64,
                                                      "triples": {}}))
    os.replace(_link_to(dist_link, broken), dist_link)
    with pytest.raises(ServiceUnavailable):
        backend.reload()
    assert backend.content_hash == old_hash
    client = reloading_app.test_client()
    assert get(client, "ASK {}").status_code == 200


def _link_to(link: Path, target: Path) -> Path:
    tmp = link.with_name(".tmp-link")
    tmp.symlink_to(os.path.relpath(target, link.parent))
    return tmp
