"""Linked data (service/resources.py): /id/..., /ontology and /graph/... in HTML and every RDF
syntax, by Accept, format= and extension; 404 with suggestions; labels instead of bare IRIs."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ai45kg.kg import paths
from ai45kg.kg.namespaces import AI45, AI45R, GRAPH

AUTONOMY = AI45R["level/autonomy"]
REFLECTABLE = AI45R["layer/reflectable"]
#: media type -> rdflib parser name
PARSERS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
EXTENSIONS = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
}
#: an IRI link as the templates write it: class, href, title (the IRI), text
IRI_LINK = re.compile(r'<a class="iri[^"]*" href="([^"]*)" title="([^"]*)">([^<]*)</a>')


def parse(body: bytes, media: str) -> Graph:
    fmt = PARSERS[media]
    if fmt in ("trig", "nquads"):
        ds = Dataset()
        ds.parse(data=body, format=fmt)
        union = Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            union.add((s, p, o))
        return union
    return Graph().parse(data=body, format=fmt)


def select(app: Flask, sparql: str, **bindings: URIRef) -> list[tuple]:
    return app.extensions["ai45kg"].run(sparql, bindings=bindings).result.rows


def label_of(app: Flask, iri: URIRef) -> str:
    rows = select(app, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                  "SELECT ?l WHERE { ?s rdfs:label ?l }", s=iri)
    assert rows, f"{iri} has no label"
    return str(rows[0][0])


def links(page: str) -> set[tuple[str, str, str]]:
    """(href, IRI, text) of every IRI link of a page, unescaped."""
    return {tuple(html.unescape(x) for x in m) for m in IRI_LINK.findall(page)}  # type: ignore[misc]


def text_of(page: str) -> str:
    """The page with character references resolved (Jinja writes ' as &#39;)."""
    return html.unescape(page)


def assert_no_bare_iris(app: Flask, page: str) -> None:
    """Every IRI link whose IRI has a label in the graph shows that label, not the IRI."""
    from ai45kg.service.labels import get_labels

    with app.test_request_context():
        labels = get_labels()
    links = IRI_LINK.findall(page)
    assert links, "the page has no IRI links"
    for _href, iri, text in links:
        iri, text = html.unescape(iri), html.unescape(text)
        label = labels.get(iri)
        if label is not None:
            assert text == label, f"{iri} is shown as {text!r}, not its label {label!r}"
        assert text != iri, f"{iri} is shown as a bare IRI"


# --------------------------------------------------------------------------- /id/...


def test_resource_turtle_by_accept(client: FlaskClient) -> None:
    response = client.get("/id/level/autonomy", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    assert (AUTONOMY, RDFS.label, Literal("Autonomy Trustworthiness", lang="en")) in graph
    assert (AUTONOMY, AI45.levelRank, Literal(4)) in graph
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("ext", sorted(EXTENSIONS))
def test_resource_by_extension(client: FlaskClient, ext: str) -> None:
    response = client.get(f"/id/level/autonomy.{ext}")
    assert response.status_code == 200
    assert response.mimetype == EXTENSIONS[ext]
    graph = parse(response.data, EXTENSIONS[ext])
    assert (AUTONOMY, RDFS.label, Literal("Autonomy Trustworthiness", lang="en")) in graph


@pytest.mark.parametrize("media", sorted(PARSERS))
def test_resource_by_accept_each_syntax(client: FlaskClient, media: str) -> None:
    response = client.get("/id/layer/reflectable", headers={"Accept": media})
    assert response.status_code == 200
    assert response.mimetype == media
    graph = parse(response.data, media)
    assert (REFLECTABLE, RDF.type, AI45.Layer) in graph
    assert (REFLECTABLE, RDFS.label, Literal("Reflectable Layer", lang="en")) in graph


def test_resource_format_parameter_wins_over_accept(client: FlaskClient) -> None:
    response = client.get("/id/level/autonomy?format=nt", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "application/n-triples"


def test_resource_trig_keeps_the_named_graphs(client: FlaskClient) -> None:
    response = client.get("/id/level/autonomy.trig")
    ds = Dataset()
    ds.parse(data=response.data, format="trig")
    graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert str(GRAPH["framework"]) in graphs
    assert str(GRAPH["inferred"]) in graphs
    framework = ds.graph(GRAPH["framework"])
    assert (AUTONOMY, AI45.levelRank, Literal(4)) in framework


def test_resource_description_carries_the_evidence(client: FlaskClient, app: Flask) -> None:
    rows = select(app, """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        SELECT ?quote WHERE { ?ax owl:annotatedSource ?s ; ai45:evidence/ai45:quote ?quote }
    """, s=AUTONOMY)
    assert rows, "the autonomy level has no evidence in the data"
    graph = Graph().parse(data=client.get("/id/level/autonomy.ttl").data, format="turtle")
    quotes = {str(o) for o in graph.objects(None, AI45.quote)}
    assert {str(r[0]) for r in rows} <= quotes
    assert any(graph.subjects(OWL.annotatedSource, AUTONOMY))


def test_resource_html_for_browsers(client: FlaskClient) -> None:
    response = client.get("/id/level/autonomy", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1 id=\"resource-title\">Autonomy Trustworthiness</h1>" in page
    assert 'rel="alternate" type="text/turtle" href="/id/level/autonomy.ttl"' in page
    assert 'rel="alternate"' in response.headers["Link"]


def test_resource_html_is_the_default(client: FlaskClient) -> None:
    response = client.get("/id/level/autonomy")
    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_resource_page_shows_definition_and_labels_not_iris(client: FlaskClient,
                                                          app: Flask) -> None:
    rows = select(app, "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
                  "SELECT ?d WHERE { ?s skos:definition ?d }", s=AUTONOMY)
    page = client.get("/id/level/autonomy").get_data(as_text=True)
    for (definition,) in rows:
        assert str(definition) in text_of(page)
    assert_no_bare_iris(app, page)


def test_resource_page_links_every_relation_with_labels(client: FlaskClient,
                                                        app: Flask) -> None:
    page = client.get("/id/layer/reflectable").get_data(as_text=True)
    assert_no_bare_iris(app, page)
    techniques = select(app, """
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?t ?label WHERE { ?t ai45:inLayer ?s ; rdfs:label ?label }
    """, s=REFLECTABLE)
    assert techniques, "no technique is in the Reflectable Layer"
    found = links(page)
    for t, label in techniques:
        link = ("/id/" + str(t)[len(str(AI45R)):], str(t), str(label))
        assert link in found, f"{label} is not linked from the Reflectable Layer's page"


def test_resource_page_shows_evidence_quotes_and_status(client: FlaskClient,
                                                        app: Flask) -> None:
    rows = select(app, """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        SELECT ?s ?quote ?status WHERE {
          ?ax owl:annotatedSource ?s ; ai45:evidence ?ev .
          ?ev ai45:quote ?quote ; ai45:evidenceStatus ?status .
          FILTER(STRSTARTS(STR(?s), "https://w3id.org/ai45/id/technique/"))
        } ORDER BY ?s LIMIT 40
    """)
    assert rows
    subject = rows[0][0]
    page = client.get("/id/" + str(subject)[len(str(AI45R)):]).get_data(as_text=True)
    for s, quote, status in rows:
        if s != subject:
            continue
        assert str(quote) in text_of(page)
        name = "stated" if status == AI45.stated else "interpreted"
        assert f'class="evidence-item {name}"' in page
    assert "§" in page


def test_stated_and_interpreted_are_told_apart(client: FlaskClient, app: Flask) -> None:
    rows = select(app, """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        SELECT ?s ?status WHERE {
          ?ax owl:annotatedSource ?s ; owl:annotatedProperty ai45:relianceDegree ;
              ai45:evidence/ai45:evidenceStatus ?status .
        }
    """)
    by_status = {str(status): s for s, status in rows}
    assert str(AI45.stated) in by_status and str(AI45.interpreted) in by_status
    stated = client.get("/id/" + str(by_status[str(AI45.stated)])[len(str(AI45R)):])
    interpreted = client.get("/id/" + str(by_status[str(AI45.interpreted)])[len(str(AI45R)):])
    assert 'class="badge stated"' in stated.get_data(as_text=True)
    assert 'class="evidence-item interpreted"' in interpreted.get_data(as_text=True)
    assert 'class="badge interpreted"' in interpreted.get_data(as_text=True)


def test_resource_page_lists_cited_works_with_titles_and_years(client: FlaskClient,
                                                               app: Flask) -> None:
    rows = select(app, """
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?s ?work ?title ?year WHERE {
          ?s ai45:citesWork ?work . ?work dcterms:title ?title ; dcterms:issued ?year .
          FILTER(STRSTARTS(STR(?s), "https://w3id.org/ai45/id/technique/"))
        } ORDER BY ?s
    """)
    assert rows, "no technique cites a work"
    subject = rows[0][0]
    page = client.get("/id/" + str(subject)[len(str(AI45R)):]).get_data(as_text=True)
    section = page[page.index('id="cited-works"'):page.index('id="incoming"')]
    for s, _work, title, year in rows:
        if s == subject:
            assert str(title) in text_of(section)
            assert f"<td>{year}</td>" in section


def test_what_links_here(client: FlaskClient, app: Flask) -> None:
    page = client.get("/id/layer/reflectable").get_data(as_text=True)
    incoming = page[page.index('id="incoming"'):]
    techniques = select(app, """
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?label WHERE { ?t ai45:inLayer ?s ; rdfs:label ?label }
    """, s=REFLECTABLE)
    assert ">in layer</a>" in incoming
    for (label,) in techniques:
        assert str(label) in text_of(incoming)


def test_statements_name_their_named_graph(client: FlaskClient) -> None:
    page = client.get("/id/level/autonomy").get_data(as_text=True)
    assert 'class="graph-tag graph-framework" href="/graph/framework"' in page
    assert 'class="graph-tag graph-inferred" href="/graph/inferred"' in page


def test_describe_unknown_iri_is_404(client: FlaskClient) -> None:
    response = client.get("/id/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "https://w3id.org/ai45/id/nope" in page
    assert "Did you mean" in page
    assert re.search(r'<li><a class="iri" href="/id/[^"]+"', page)


def test_unknown_iri_suggests_resources_with_similar_labels(client: FlaskClient) -> None:
    page = client.get("/id/level/autonomi").get_data(as_text=True)
    suggestions = page[page.index("Did you mean"):]
    assert 'href="/id/level/autonomy"' in suggestions
    assert "Autonomy Trustworthiness" in suggestions


def test_unknown_iri_answers_machines_in_plain_text(client: FlaskClient) -> None:
    response = client.get("/id/nope", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert "https://w3id.org/ai45/id/nope" in response.get_data(as_text=True)


def test_unknown_extension_is_404(client: FlaskClient) -> None:
    assert client.get("/id/level/autonomy.xyz").status_code == 404


def test_unacceptable_type_is_406(client: FlaskClient) -> None:
    response = client.get("/id/level/autonomy", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


def test_base_iri_setting_maps_paths(make_app) -> None:  # type: ignore[no-untyped-def]
    from ai45kg.service.labels import local_path

    other = make_app(BASE_IRI="http://example.org/kg/", QUERY_WORKERS=0)
    with other.test_request_context():
        assert local_path("http://example.org/kg/id/level/x", "http://example.org/kg/") == \
            "/id/level/x"
        assert local_path("https://w3id.org/ai45/id/level/x", "http://example.org/kg/") is None
    response = other.test_client().get("/id/level/autonomy")
    # the dataset's resources are not under that base, so the path names another IRI
    assert response.status_code == 404
    assert "http://example.org/kg/id/level/autonomy" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- /ontology


def ontology_file() -> Graph:
    return Graph().parse(paths.ONTOLOGY_FILE, format="turtle")


def test_ontology_html_lists_every_class_by_label(client: FlaskClient) -> None:
    response = client.get("/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    onto = ontology_file()
    classes = [c for c in onto.subjects(RDF.type, OWL.Class)
               if isinstance(c, URIRef) and str(c).startswith(str(AI45))]
    assert len(classes) > 20
    for cls in classes:
        label = onto.value(cls, RDFS.label)
        anchor = str(cls)[len(str(AI45)):]
        assert f'id="{anchor}"' in page, f"{cls} has no section"
        assert f'<h3 id="{anchor}-heading">{label}' in text_of(page)


def test_ontology_html_documents_properties_with_domain_and_range(client: FlaskClient) -> None:
    page = client.get("/ontology").get_data(as_text=True)
    onto = ontology_file()
    for prop in (AI45.inLayer, AI45.levelRank, AI45.relianceDegree, AI45.citesWork):
        anchor = str(prop)[len(str(AI45)):]
        start = page.index(f'<section class="term" id="{anchor}"')
        section = page[start:page.index("</section>", start)]
        assert str(onto.value(prop, RDFS.label)) in text_of(section)
        for definition in onto.objects(prop, SKOS.definition):
            assert str(definition) in text_of(section)
        assert "<th scope=\"row\">Domain</th>" in section
        assert "<th scope=\"row\">Range</th>" in section
    section = page[page.index('<section class="term" id="inLayer"'):]
    section = section[:section.index("</section>")]
    assert 'href="/ontology#Technique"' in section and 'href="/ontology#Layer"' in section


def test_ontology_html_shows_hierarchy_alignments_and_namespaces(client: FlaskClient) -> None:
    page = client.get("/ontology").get_data(as_text=True)
    layer = page[page.index('<section class="term" id="Layer"'):]
    layer = layer[:layer.index("</section>")]
    assert "Superclasses" in layer and 'href="/ontology#FrameworkConcept"' in layer
    concept = page[page.index('<section class="term" id="FrameworkConcept"'):]
    concept = concept[:concept.index("</section>")]
    assert "Subclasses" in concept and 'href="/ontology#Layer"' in concept
    alignments = page[page.index('id="alignments"'):page.index('id="external"')]
    assert "http://www.w3.org/2004/02/skos/core#Concept" in alignments
    namespaces = page[page.index('id="namespaces"'):]
    assert "https://w3id.org/ai45/ontology#" in namespaces
    assert "<code>skos:</code>" in namespaces


@pytest.mark.parametrize("media", ["text/turtle", "application/rdf+xml", "application/ld+json",
                                   "application/n-triples"])
def test_ontology_owl_by_negotiation(client: FlaskClient, media: str) -> None:
    response = client.get("/ontology", headers={"Accept": media})
    assert response.status_code == 200
    assert response.mimetype == media
    assert isomorphic(parse(response.data, media), ontology_file())


@pytest.mark.parametrize("ext,media", [("ttl", "text/turtle"), ("owl", "application/rdf+xml"),
                                       ("rdf", "application/rdf+xml"),
                                       ("jsonld", "application/ld+json")])
def test_ontology_by_extension(client: FlaskClient, ext: str, media: str) -> None:
    response = client.get(f"/ontology.{ext}")
    assert response.status_code == 200
    assert response.mimetype == media
    assert (URIRef("https://w3id.org/ai45/ontology"), RDF.type, OWL.Ontology) in parse(
        response.data, media)


def test_ontology_version_iri_is_served(client: FlaskClient) -> None:
    version = ontology_file().value(URIRef("https://w3id.org/ai45/ontology"), OWL.versionIRI)
    assert version is not None
    path = "/" + str(version)[len("https://w3id.org/ai45/"):]
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    assert client.get("/ontology/9.9.9").status_code == 404


def test_ontology_terms_link_to_their_anchor(client: FlaskClient) -> None:
    page = client.get("/id/level/autonomy").get_data(as_text=True)
    assert ("/ontology#TrustworthinessLevel", str(AI45.TrustworthinessLevel),
            "Trustworthiness level") in links(page)


# --------------------------------------------------------------------------- /graph/...


def manifest(app: Flask) -> dict:
    return app.extensions["ai45kg"].manifest


def test_graph_page(client: FlaskClient, app: Flask) -> None:
    response = client.get("/graph/framework")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    count = manifest(app)["triples"][str(GRAPH["framework"])]
    assert f"{count:,} triples" in page
    assert 'href="/id/layer/reflectable"' in page
    assert_no_bare_iris(app, page)


@pytest.mark.parametrize("ext", ["ttl", "nt", "trig"])
def test_graph_triples_by_extension(client: FlaskClient, app: Flask, ext: str) -> None:
    response = client.get(f"/graph/framework.{ext}")
    assert response.status_code == 200
    assert response.mimetype == EXTENSIONS[ext]
    graph = parse(response.data, EXTENSIONS[ext])
    assert len(graph) == manifest(app)["triples"][str(GRAPH["framework"])]


def test_graph_cut_at_the_row_limit_says_so(make_app) -> None:  # type: ignore[no-untyped-def]
    small = make_app(MAX_ROWS=100, QUERY_WORKERS=0).test_client()
    response = small.get("/graph/framework.nt")
    assert response.status_code == 200
    assert response.headers["AI45-Truncated"] == "true"
    assert len(Graph().parse(data=response.data, format="nt")) == 100
    page = small.get("/graph/framework").get_data(as_text=True)
    assert 'href="/download/ai45kg.trig"' in page


def test_graph_whole_is_not_marked_cut(client: FlaskClient) -> None:
    assert client.get("/graph/ontology.nt").headers["AI45-Truncated"] == "false"


def test_graph_by_accept(client: FlaskClient) -> None:
    response = client.get("/graph/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert isomorphic(Graph().parse(data=response.data, format="turtle"), ontology_file())


def test_unknown_graph_is_404_listing_the_graphs(client: FlaskClient, app: Flask) -> None:
    response = client.get("/graph/nope")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    for graph in manifest(app)["triples"]:
        assert graph in page


def test_every_base_iri_in_the_graph_is_served(client: FlaskClient, app: Flask) -> None:
    """A sample of every kind of IRI under the base dereferences (one per kind of /id/ path)."""
    rows = select(app, """
        SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "https://w3id.org/ai45/")) }
    """)
    kinds: dict[str, str] = {}
    for (s,) in rows:
        rest = str(s)[len("https://w3id.org/ai45/"):]
        kind = rest.split("/")[1] if rest.startswith("id/") else rest.split("/")[0].split("#")[0]
        kinds.setdefault(kind, rest)
    assert {"layer", "level", "technique", "work", "evidence", "ontology"} <= set(kinds)
    for rest in kinds.values():
        path = "/" + rest.split("#")[0]
        response = client.get(path, headers={"Accept": "text/turtle"})
        assert response.status_code == 200, path
