"""Every HTML page shows data and input as text: markup in a label, a definition, an IRI, a query
or a parameter is escaped on the resource pages, the query page, the named-query pages and the
error pages; no link ever takes a `javascript:` IRI from the data. And the responses carry the
security headers (nosniff, a Content-Security-Policy with frame-ancestors for HTML, a
Referrer-Policy)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .hostile.dists import derive_dist

LABEL = "<script>alert('label')</script>"
DEFINITION = "\"><img src=x onerror=alert('definition')>"
QUOTE = "</textarea><svg onload=alert('quote')>"
MARKUP = [LABEL, DEFINITION, QUOTE, "<script>alert('query')</script>", "<b>bold</b>",
          "<img src=x onerror=alert('param')>", "<iframe src=//evil.example>"]
PROBE = "https://w3id.org/ai45/id/technique/xss-probe"
_DEFINITION_TTL = DEFINITION.replace('"', '\\"')
EXTRA = f"""
<https://w3id.org/ai45/graph/framework> {{
  technique:xss-probe a ai45:Technique ;
    rdfs:label "{LABEL}"@en ;
    skos:prefLabel "{LABEL}"@en ;
    skos:definition "{_DEFINITION_TTL}"@en ;
    ai45:inLayer layer:reflectable ;
    rdfs:seeAlso <javascript:alert('iri')> , <data:text/html,%3Cscript%3Ealert(1)%3C/script%3E> ;
    rdfs:comment "{QUOTE}" .
}}
"""


@pytest.fixture(scope="module")
def markup_dist(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real build plus a technique whose label, definition and links are markup."""
    return derive_dist(built_dist.resolve(), tmp_path_factory.mktemp("markup") / "dist",
                       extra_trig=EXTRA)


@pytest.fixture(scope="module")
def markup_app(markup_dist: Path) -> Iterator[Flask]:
    from ai45kg.service import create_app

    application = create_app({"TESTING": True, "DIST": str(markup_dist), "QUERY_WORKERS": 1,
                              "QUERY_TIMEOUT_MS": 10_000})
    yield application
    application.extensions["ai45kg"].close()


@pytest.fixture()
def html(markup_app: Flask) -> Callable[..., str]:
    client: FlaskClient = markup_app.test_client()

    def get(path: str, expect: int | tuple[int, ...] = 200, **kwargs: object) -> str:
        response = client.get(path, headers={"Accept": "text/html"}, **kwargs)  # type: ignore[arg-type]
        statuses = expect if isinstance(expect, tuple) else (expect,)
        assert response.status_code in statuses, (path, response.status_code)
        assert response.mimetype == "text/html"
        check_headers(response.headers)
        body = response.get_data(as_text=True)
        assert_escaped(body)
        return body

    return get


def assert_escaped(body: str) -> None:
    for text in MARKUP:
        assert text not in body, f"unescaped: {text}"
    for tag in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "</textarea><"):
        assert tag not in body, f"unescaped: {tag}"
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*(javascript|data):""", body, re.I)


def check_headers(headers: object) -> None:
    h = headers  # werkzeug Headers
    assert h.get("X-Content-Type-Options") == "nosniff"  # type: ignore[attr-defined]
    assert h.get("Referrer-Policy")  # type: ignore[attr-defined]
    csp = h.get("Content-Security-Policy", "")  # type: ignore[attr-defined]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]\
        .split(";")[0]
    assert "default-src 'self'" in csp


def test_the_resource_page_shows_markup_as_text(html: Callable[..., str]) -> None:
    body = html("/id/technique/xss-probe")
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(" in body


def test_pages_that_link_to_it_show_its_label_as_text(html: Callable[..., str]) -> None:
    body = html("/id/layer/reflectable")
    assert "&lt;script&gt;alert(&#39;label&#39;)" in body


def test_the_query_page_shows_the_query_and_its_results_as_text(
        html: Callable[..., str]) -> None:
    query = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "SELECT ?label (\"<script>alert('query')</script>\" AS ?x) ?see WHERE { "
             f"<{PROBE}> rdfs:label ?label ; rdfs:seeAlso ?see }}")
    body = html("/query", query_string={"query": query})
    assert "&lt;script&gt;alert(&#39;query&#39;)&lt;/script&gt;" in body
    assert "&lt;script&gt;alert(&#39;label&#39;)" in body


def test_a_broken_query_with_markup_is_shown_as_text(html: Callable[..., str]) -> None:
    body = html("/query", 400, query_string={"query": "SELECT <b>bold</b> { </textarea>"})
    assert "&lt;b&gt;bold&lt;/b&gt;" in body


def test_named_query_pages_show_labels_and_parameters_as_text(
        html: Callable[..., str]) -> None:
    body = html("/queries/why", query_string={"resource": PROBE})
    assert "&lt;script&gt;alert(&#39;label&#39;)" in body or "xss-probe" in body
    html("/queries/why", 400, query_string={"resource": "<img src=x onerror=alert('param')>"})
    html("/queries/techniques-for-level", 400,
         query_string={"level": "<iframe src=//evil.example>"})
    html("/queries/why", 400, query_string={"<b>bold</b>": "x"})


def test_not_found_pages_show_the_path_as_text(html: Callable[..., str]) -> None:
    html("/id/%3Cscript%3Ealert('label')%3C/script%3E", 404)
    html("/graph/%3Cb%3Ebold%3C/b%3E", 404)
    html("/queries/%3Cimg%20src=x%20onerror=alert('param')%3E", 404)


def test_error_pages_show_the_message_as_text(markup_app: Flask) -> None:
    client = markup_app.test_client()
    response = client.get("/sparql", query_string={"query": "<script>alert('query')</script>"},
                          headers={"Accept": "text/html"})
    # a browser asking /sparql for HTML is sent to the query page; either way: no markup
    body = response.get_data(as_text=True)
    assert_escaped(body)
    error = client.post("/sparql", data="SELECT <iframe src=//evil.example>",
                        content_type="application/sparql-query",
                        headers={"Accept": "text/html"})
    assert error.status_code == 400
    assert_escaped(error.get_data(as_text=True))
    check_headers(error.headers)


def test_every_response_says_nosniff(markup_app: Flask) -> None:
    client = markup_app.test_client()
    for path in ("/sparql?query=ASK%7B%7D", "/health", "/openapi.json", "/id/level/autonomy.ttl",
                 "/no/such/page", "/static/app.css"):
        with client.get(path) as response:
            assert response.headers.get("X-Content-Type-Options") == "nosniff", path
            assert response.headers.get("Referrer-Policy"), path
