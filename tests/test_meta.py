"""What the service says about itself (service/meta.py, service/health.py): /health, the VoID
+ DCAT description, the dumps, the /data page, /settings.json, and an OpenAPI description true
to the url map."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ai45kg.kg.namespaces import DCAT, VOID
from ai45kg.service.meta import OPERATIONS, openapi_path
from ai45kg.service.settings import SETTINGS

MEDIA = {
    "ai45kg.trig": "application/trig",
    "ai45kg.nq": "application/n-quads",
    "ai45kg.ttl": "text/turtle",
    "ai45kg.nt": "application/n-triples",
    "ai45kg.jsonld": "application/ld+json",
    "ai45kg.rdf": "application/rdf+xml",
}


def manifest(app: Flask) -> dict:
    return app.extensions["ai45kg"].manifest


# --------------------------------------------------------------------------- /health


def test_health(client: FlaskClient, app: Flask) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["status"] == "ok"
    assert doc["content_hash"] == manifest(app)["content_hash"]
    assert len(doc["content_hash"]) == 64
    assert doc["triples"] == sum(manifest(app)["triples"].values())
    assert doc["store"] == "memory"
    assert response.headers["Cache-Control"] == "no-store"


def routed_health(app: Flask, path: str, **kwargs: object) -> object:
    """The answer of the Flask route itself, past HealthMiddleware (which answers first)."""
    with app.test_request_context(path, **kwargs):  # type: ignore[arg-type]
        response = app.full_dispatch_request()
    return response


@pytest.mark.parametrize("setting, origin", [
    ("*", None), ("*", "https://a.example"), ("https://a.example", "https://a.example"),
    ("https://a.example", "https://b.example"), ("", "https://a.example")])
def test_health_in_front_of_flask_answers_as_the_route_would(
        client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch, setting: str,
        origin: str | None) -> None:
    """Monitors poll /health, so HealthMiddleware answers it before Flask: with exactly the
    status, body and headers of the route, CORS and security headers included."""
    monkeypatch.setitem(app.config, "CORS_ORIGINS", setting)
    headers = {"Origin": origin} if origin else {}
    edge = client.get("/health", headers=headers)
    routed = routed_health(app, "/health", headers=headers)
    assert edge.status_code == routed.status_code == 200  # type: ignore[attr-defined]
    assert edge.data == routed.data  # type: ignore[attr-defined]
    assert sorted(edge.headers.items()) == sorted(routed.headers.items())  # type: ignore[attr-defined]
    allowed = {"*": "*", "https://a.example": origin if origin == "https://a.example" else None,
               "": None}[setting]
    assert edge.headers.get("Access-Control-Allow-Origin") == allowed
    assert edge.headers["X-Content-Type-Options"] == "nosniff"


def test_health_head_and_other_methods(client: FlaskClient) -> None:
    head = client.head("/health")
    assert head.status_code == 200
    assert head.data == b""
    assert int(head.headers["Content-Length"]) == len(client.get("/health").data)
    post = client.post("/health")  # past the middleware: Flask's 405, with what is allowed
    assert post.status_code == 405
    assert set(post.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_health_reports_workers_that_cannot_serve(app: Flask, client: FlaskClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    backend = app.extensions["ai45kg"]
    real = backend.status()
    monkeypatch.setattr(backend, "status", lambda: {**real, "problem": "they exited"})
    response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["Cache-Control"] == "no-store"
    doc = response.get_json()
    assert doc["status"] == "unavailable"
    assert doc["error"] == "the query workers cannot serve: they exited"


# --------------------------------------------------------------------------- VoID / DCAT


def void(client: FlaskClient, **kwargs: object) -> Graph:
    response = client.get("/.well-known/void", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld",
           "application/n-triples": "nt", "application/rdf+xml": "xml"}[response.mimetype]
    return Graph().parse(data=response.data, format=fmt)


def the_dataset(graph: Graph) -> URIRef:
    found = [s for s in graph.subjects(RDF.type, VOID.Dataset) if (s, VOID.subset, None) in graph]
    assert len(found) == 1
    return found[0]  # type: ignore[return-value]


def test_void_is_turtle_by_default(client: FlaskClient) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    Graph().parse(data=response.data, format="turtle")


def test_void_triple_counts_equal_the_manifest(client: FlaskClient, app: Flask) -> None:
    graph = void(client)
    ds = the_dataset(graph)
    counts = manifest(app)["triples"]
    assert graph.value(ds, VOID.triples) == Literal(sum(counts.values()), datatype=XSD.integer)
    subsets = set(graph.objects(ds, VOID.subset))
    assert {str(s) for s in subsets} == set(counts)
    for iri, n in counts.items():
        assert graph.value(URIRef(iri), VOID.triples).toPython() == n  # type: ignore[union-attr]


def test_void_names_the_endpoint_and_the_dumps(client: FlaskClient, app: Flask) -> None:
    graph = void(client)
    ds = the_dataset(graph)
    endpoint = graph.value(ds, VOID.sparqlEndpoint)
    assert str(endpoint) == "http://localhost/sparql"
    assert (endpoint, DCAT.servesDataset, ds) in graph
    assert (ds, RDF.type, DCAT.Dataset) in graph
    distributions = list(graph.objects(ds, DCAT.distribution))
    urls = {str(graph.value(d, DCAT.downloadURL)): d for d in distributions}
    for name in manifest(app)["files"]:
        url = f"http://localhost/download/{name}"
        assert url in urls, f"{name} is not a dcat:Distribution"
        d = urls[url]
        assert (d, RDF.type, DCAT.Distribution) in graph
        assert str(graph.value(d, DCAT.mediaType)).endswith("/" + MEDIA[name])
        assert graph.value(d, DCAT.byteSize).toPython() == (  # type: ignore[union-attr]
            app.extensions["ai45kg"].dist / name).stat().st_size
        assert (ds, VOID.dataDump, URIRef(url)) in graph


@pytest.mark.parametrize("kwargs", [
    {"headers": {"Accept": "application/ld+json"}},
    {"headers": {"Accept": "application/n-triples"}},
    {"headers": {"Accept": "application/rdf+xml"}},
    {"query_string": {"format": "jsonld"}},
])
def test_void_is_negotiable(client: FlaskClient, app: Flask, kwargs: dict) -> None:
    graph = void(client, **kwargs)
    ds = the_dataset(graph)
    assert graph.value(ds, VOID.triples).toPython() == sum(  # type: ignore[union-attr]
        manifest(app)["triples"].values())


def test_void_for_browsers_is_the_data_page(client: FlaskClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Data and downloads" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- downloads


@pytest.mark.parametrize("name", sorted(MEDIA))
def test_download_each_dump(client: FlaskClient, app: Flask, name: str) -> None:
    assert name in manifest(app)["files"]
    with client.get(f"/download/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype == MEDIA[name]
        assert response.data == (app.extensions["ai45kg"].dist / name).read_bytes()
        assert f"filename={name}" in response.headers["Content-Disposition"]
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_download_trig_parses_to_the_manifest_counts(client: FlaskClient, app: Flask) -> None:
    from rdflib import Dataset

    with client.get("/download/ai45kg.trig") as response:
        ds = Dataset()
        ds.parse(data=response.data, format="trig")
    for iri, n in manifest(app)["triples"].items():
        assert len(ds.graph(URIRef(iri))) == n


def test_download_manifest(client: FlaskClient, app: Flask) -> None:
    with client.get("/download/manifest.json") as response:
        assert response.status_code == 200
        assert json.loads(response.data)["content_hash"] == manifest(app)["content_hash"]


@pytest.mark.parametrize("path", ["/download/nope.ttl", "/download/../manifest.json",
                                  "/download/%2e%2e/pyproject.toml", "/download/"])
def test_download_unknown_is_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_data_page(client: FlaskClient, app: Flask) -> None:
    response = client.get("/data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in manifest(app)["files"]:
        assert f'href="/download/{name}"' in page
    for iri, n in manifest(app)["triples"].items():
        assert iri in page
        assert f"{n:,}" in page
    assert manifest(app)["content_hash"] in page


def test_settings_json_lists_every_setting(client: FlaskClient, app: Flask) -> None:
    response = client.get("/settings.json")
    assert response.status_code == 200
    doc = {s["name"]: s for s in response.get_json()}
    assert set(doc) == {s.name for s in SETTINGS}
    assert doc["MAX_ROWS"]["value"] == app.config["MAX_ROWS"]


# --------------------------------------------------------------------------- OpenAPI


def public_rules(app: Flask) -> list[tuple[str, set[str]]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        out.append((openapi_path(rule.rule), {m.lower() for m in rule.methods or ()}
                    - {"head", "options"}))
    return out


def test_openapi_covers_the_url_map(client: FlaskClient, app: Flask) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    rules = public_rules(app)
    assert len(rules) >= 15
    for path, methods in rules:
        assert path in spec["paths"], f"{path} is not in the OpenAPI description"
        assert methods <= set(spec["paths"][path]), f"{path}: {methods}"
    # and nothing in the description that is not a route
    assert set(spec["paths"]) == {path for path, _ in rules}


def test_openapi_operations_are_well_formed(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    ids = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["summary"]
            assert op["responses"], f"{method} {path} has no responses"
            ids.append(op["operationId"])
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", path)), f"{method} {path}"
    assert len(ids) == len(set(ids))


def test_openapi_documents_our_routes_by_hand(client: FlaskClient, app: Flask) -> None:
    """The routes of the linked-data, named-query, UI and meta blueprints have written docs."""
    ours = {openapi_path(r.rule) for r in app.url_map.iter_rules()
            if r.endpoint.split(".")[0] in ("resources", "queries", "pages", "meta")}
    assert ours <= set(OPERATIONS)


def test_api_page_lists_every_path(client: FlaskClient) -> None:
    page = client.get("/api").get_data(as_text=True)
    spec = client.get("/openapi.json").get_json()
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
