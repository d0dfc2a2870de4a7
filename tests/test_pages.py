"""The web UI (service/pages.py): the home page with the Matrix of Trustworthy AGI as inline SVG,
the query page that works without JavaScript, navigation and landmarks on every page, and
escaping of everything shown."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ai45kg.kg import queries as named
from ai45kg.kg.namespaces import PREFIXES

LEVELS = [
    (1, "Perception Trustworthiness"),
    (2, "Reasoning Trustworthiness"),
    (3, "Decision-making Trustworthiness"),
    (4, "Autonomy Trustworthiness"),
    (5, "Collaboration Trustworthiness"),
]
LAYERS = [(1, "Approximate Alignment Layer"), (2, "Intervenable Layer"), (3, "Reflectable Layer")]
NAV = [("/", "Home"), ("/query", "Query"), ("/examples", "Questions"),
       ("/queries", "Named queries"),
       ("/ontology", "Ontology"), ("/data", "Data"), ("/api", "API")]
PAGES = ["/", "/query", "/examples", "/queries", "/queries/levels", "/ontology", "/data", "/api",
         "/id/level/autonomy", "/graph/framework", "/id/nope"]


def matrix_svg(client: FlaskClient) -> str:
    page = client.get("/").get_data(as_text=True)
    start = page.index('<svg id="matrix"')
    return page[start:page.index("</svg>", start)]


def test_home_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1 id=\"intro-heading\">" in page
    assert re.search(r'<span class="stat-n">3</span> <span class="stat-label">Layers</span>', page)
    assert re.search(r'<span class="stat-n">5</span> <span class="stat-label">Trustworthiness '
                     r"levels</span>", page)


def test_home_counts_match_the_manifest(client: FlaskClient, app: Flask) -> None:
    total = sum(app.extensions["ai45kg"].manifest["triples"].values())
    assert f"{total:,}</span> <span class=\"stat-label\">triples" in client.get("/").get_data(
        as_text=True)


def test_matrix_is_5_levels_by_3_layers(client: FlaskClient) -> None:
    svg = matrix_svg(client)
    assert svg.count('class="cell-link"') == 15
    text = html.unescape(svg)
    for rank, label in LEVELS:
        assert f">Level {rank}</text>" in text
        assert f">{label}</text>" in text
    for rank, label in LAYERS:
        assert f">Layer {rank}</text>" in text
        assert f">{label}</text>" in text
    # rows top to bottom in level order, columns left to right in layer order
    positions = [text.index(f">{label}</text>") for _, label in LEVELS]
    assert positions == sorted(positions)


def test_matrix_cells_follow_the_graph(client: FlaskClient, app: Flask) -> None:
    rows = app.extensions["ai45kg"].run("""
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?levelLabel ?layerLabel ?degreeLabel WHERE {
          ?r a ai45:LayerReliance ; ai45:relianceOfLevel/rdfs:label ?levelLabel ;
             ai45:relianceOnLayer/rdfs:label ?layerLabel ;
             ai45:relianceDegree/rdfs:label ?degreeLabel .
        }
    """).result.rows
    assert len(rows) == 15
    svg = html.unescape(matrix_svg(client))
    for level, layer, degree in rows:
        assert f'aria-label="{level} on {layer}: {degree} (' in svg


def test_matrix_tells_stated_from_interpreted_cells(client: FlaskClient) -> None:
    svg = html.unescape(matrix_svg(client))
    # the paper states these two cells in section 4
    assert 'aria-label="Perception Trustworthiness on Reflectable Layer: none (stated)"' in svg
    assert 'aria-label="Reasoning Trustworthiness on Reflectable Layer: limited (stated)"' in svg
    assert "(interpreted)" in svg
    assert 'class="cell deg-0 stated"' in svg
    assert re.search(r'class="cell deg-\d interpreted"', svg)
    assert 'fill="url(#hatch)"' in svg
    assert "stated by the paper" in svg and "interpreted by the project" in svg  # the legend


def test_matrix_shades_by_degree_rank(client: FlaskClient) -> None:
    svg = html.unescape(matrix_svg(client))
    cell = re.search(r'aria-label="Autonomy Trustworthiness on Reflectable Layer: ([^"(]+) \(.*?'
                     r'class="cell deg-(\d)', svg, re.S)
    assert cell is not None
    degree, rank = cell.group(1).strip(), int(cell.group(2))
    order = ["none", "limited", "moderate", "high", "very high"]
    assert order.index(degree) == rank


def test_matrix_places_the_representative_models(client: FlaskClient, app: Flask) -> None:
    rows = app.extensions["ai45kg"].run("""
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?label WHERE {
          ?m a ai45:RepresentativeModel ; ai45:placedAtLevel ?level ; ai45:usesLayer ?layer ;
             rdfs:label ?label .
        }
    """).result.rows
    assert rows
    svg = html.unescape(matrix_svg(client))
    for (label,) in rows:
        assert f"<title>{label} (representative model)</title>" in svg
    assert "OpenAI-o1" in svg


def test_matrix_has_a_table_alternative(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    table = page[page.index('class="matrix-table"'):]
    table = html.unescape(table[:table.index("</details>")])
    for _, label in LEVELS + LAYERS:
        assert label in table


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_navigation_and_landmarks(client: FlaskClient, path: str) -> None:
    page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    for href, text in NAV:
        assert f'<a href="{href}"' in nav and f">{text}</a>" in nav
    assert '<main id="main"' in page
    assert '<header class="site-header">' in page
    assert '<footer class="site-footer">' in page
    assert '<html lang="en">' in page
    assert page.count("<h1") == 1


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_other_sites(client: FlaskClient, path: str) -> None:
    page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', page)
    # scripts are files of this site (CSP script-src 'self'); inline blocks only carry JSON data
    for tag in re.findall(r"<script[^>]*>", page):
        assert 'src="/static/' in tag or 'type="application/json"' in tag


def test_the_competency_questions_read_as_a_tutorial(client: FlaskClient) -> None:
    """/examples shows every competency question by topic, with its query and a link that opens
    the query in the editor."""
    response = client.get("/examples")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    examples = named.load_examples()
    assert page.count('<article class="competency"') == len(examples) >= 65
    first = examples[0]
    assert html.escape(first.question) in page and html.escape(first.explanation) in page
    runs = re.findall(r'<a class="run" href="([^"]+)"', page)
    assert len(runs) == len(examples)
    link = urlsplit(html.unescape(runs[0]))
    assert link.path == "/query" and parse_qs(link.query)["query"] == [first.text]
    # a question's query, run from its link, answers
    assert client.get(html.unescape(runs[0])).status_code == 200


def test_current_page_is_marked_in_the_navigation(client: FlaskClient) -> None:
    page = client.get("/query").get_data(as_text=True)
    assert '<a href="/query" aria-current="page">Query</a>' in page


def test_static_files(client: FlaskClient) -> None:
    with client.get("/static/app.css") as css, client.get("/static/query.js") as js:
        assert css.status_code == 200 and css.mimetype == "text/css"
        assert js.status_code == 200 and "javascript" in js.mimetype
        assert b"http://" not in js.data and b"https://" not in js.data
        assert b"url(http" not in css.data and b"@import" not in css.data


# --------------------------------------------------------------------------- the query page


def test_query_page_prefills_every_prefix(client: FlaskClient) -> None:
    response = client.get("/query")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    editor = html.unescape(page[page.index('<textarea id="query-text"'):page.index("</textarea>")])
    for prefix, ns in PREFIXES.items():
        assert re.search(rf"PREFIX {re.escape(prefix)}:\s+<{re.escape(ns)}>", editor)
    assert '<label id="editor-label" for="query-text"' in page
    assert '<form id="query-form" class="query-form" action="/query" method="get"' in page
    assert '<script src="/static/query.js" defer></script>' in page


def test_query_page_offers_the_named_queries_as_examples(client: FlaskClient) -> None:
    page = html.unescape(client.get("/query").get_data(as_text=True))
    for q in named.load_all().values():
        assert f'data-example="{q.name}"' in page
        assert q.title in page


def test_query_runs_without_javascript(client: FlaskClient) -> None:
    query = ("PREFIX ai45: <https://w3id.org/ai45/ontology#>\n"
             "SELECT ?layer ?rank WHERE { ?layer a ai45:Layer ; ai45:layerRank ?rank } "
             "ORDER BY ?rank")
    response = client.get("/query", query_string={"query": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3 rows" in page
    table = page[page.index('class="result-table"'):page.index("</table>")]
    for _, label in LAYERS:
        assert f">{label}</a>" in table
    assert 'href="/id/layer/reflectable"' in table  # IRIs under BASE_IRI link to local pages
    assert html.escape(query) in page  # the editor keeps the query


def test_query_post_for_long_queries(client: FlaskClient) -> None:
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/ai45/ontology#Layer> }" + " " * 9000
    response = client.post("/query", data={"query": query})
    assert response.status_code == 200
    assert "3 rows" in response.get_data(as_text=True)


def test_query_download_links(client: FlaskClient) -> None:
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/ai45/ontology#Layer> }"
    page = client.get("/query", query_string={"query": query}).get_data(as_text=True)
    links = dict(re.findall(r'<a href="([^"]+)" class="download" data-format="(\w+)"', page))
    assert sorted(links.values()) == ["csv", "json", "tsv", "xml"]
    expected = {"json": "application/sparql-results+json", "csv": "text/csv",
                "tsv": "text/tab-separated-values", "xml": "application/sparql-results+xml"}
    for href, fmt in links.items():
        href = html.unescape(href)
        parts = urlsplit(href)
        assert parts.path == "/sparql"
        assert parse_qs(parts.query)["query"] == [query]
        response = client.get(href)
        assert response.status_code == 200
        assert response.mimetype == expected[fmt]


def test_construct_results_are_shown_as_triples(client: FlaskClient) -> None:
    query = ("CONSTRUCT { ?s a ?t } WHERE { ?s a ?t . "
             "FILTER(?t = <https://w3id.org/ai45/ontology#Layer>) }")
    page = client.get("/query", query_string={"query": query}).get_data(as_text=True)
    assert "3 rows (triples)" in page
    assert "<th scope=\"col\">subject</th>" in page
    assert ">Turtle</a>" in page


def test_ask_results(client: FlaskClient) -> None:
    page = client.get("/query", query_string={"query": "ASK { ?s ?p ?o }"}).get_data(as_text=True)
    assert "The answer is <strong>yes (true)</strong>" in page


def test_query_error_is_400_on_the_page(client: FlaskClient) -> None:
    response = client.get("/query", query_string={"query": "SELECT WHERE {"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'class="query-error" role="alert"' in page
    assert "syntax error" in page


def test_update_is_refused_on_the_page(client: FlaskClient) -> None:
    response = client.get("/query", query_string={"query": "DROP ALL"})
    assert response.status_code == 400
    assert "read-only" in response.get_data(as_text=True)


def test_markup_in_a_query_is_shown_as_text(client: FlaskClient) -> None:
    query = 'SELECT ?x WHERE { BIND("<script>alert(1)</script><b>x</b>" AS ?x) }'
    response = client.get("/query", query_string={"query": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in page
    table = page[page.index('class="result-table"'):page.index("</table>")]
    assert "&lt;script&gt;" in table


def test_markup_in_a_bad_query_is_shown_as_text(client: FlaskClient) -> None:
    query = "SELECT <script>alert(1)</script> WHERE { ?s ?p ?o "
    response = client.get("/query", query_string={"query": query})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markup_in_a_missing_iri_is_shown_as_text(client: FlaskClient) -> None:
    response = client.get("/id/%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_sparql_endpoint_sends_browsers_to_the_query_page(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"},
                          headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/query"
