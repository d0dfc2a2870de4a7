"""The W3C SPARQL 1.1 Protocol test suite (query part), one named test per manifest entry:
https://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/

The suite's dataset tests name graphs http://kasei.us/2009/09/sparql/data/data{0..3}.rdf that
the endpoint is expected to hold; this endpoint serves only its own dataset (and never fetches
graphs from the web), so those tests use the dataset's named graphs in their place and check the
same rule. The update tests expect a writable store; this endpoint is read-only, so every update
entry must get a 4xx, which is asserted for each of them.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph
from werkzeug.test import TestResponse

from ai45kg.kg.namespaces import GRAPH

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
RESULTS = {"application/sparql-results+json", "application/sparql-results+xml"}
TABLES = RESULTS | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples"}

# stand-ins for data1.rdf, data2.rdf, data3.rdf of the suite, and a resource in each
DATA1, DATA2, DATA3 = GRAPH["ontology"], GRAPH["framework"], GRAPH["bibliography"]
IN_DATA1 = "<https://w3id.org/ai45/ontology#Layer>"
IN_DATA2 = "<https://w3id.org/ai45/id/layer/reflectable>"
IN_DATA3 = "<https://w3id.org/ai45/id/paper/towards-ai-45-law>"


def boolean(response: TestResponse) -> bool:
    assert response.status_code == 200, response.get_data(as_text=True)
    return bool(json.loads(response.get_data())["boolean"])


def is_4xx(response: TestResponse) -> bool:
    return 400 <= response.status_code < 500


@pytest.fixture(scope="module")
def app_config(store_app_config: dict[str, object]) -> dict[str, object]:
    """This module runs on every store (tests/conftest.py: AI45_TEST_STORES)."""
    return store_app_config


@pytest.fixture(scope="module")
def app(store_app: Flask) -> Flask:
    return store_app


# --------------------------------------------------------------------------------------------
# positive tests


def test_query_post_form(client: FlaskClient) -> None:
    response = client.post("/sparql", data="query=ASK%20%7B%7D", content_type=FORM)
    assert response.status_code == 200
    assert response.mimetype in RESULTS


def test_query_get(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK%20%7B%7D")
    assert response.status_code == 200
    assert response.mimetype in RESULTS


def test_query_post_direct(client: FlaskClient) -> None:
    response = client.post("/sparql", data="ASK {}", content_type=DIRECT)
    assert response.status_code == 200
    assert response.mimetype in RESULTS


def test_query_dataset_default_graph(client: FlaskClient) -> None:
    url = f"/sparql?default-graph-uri={quote(str(DATA1), safe='')}"
    assert boolean(client.post(url, data=f"ASK {{ {IN_DATA1} ?p ?o }}", content_type=DIRECT))
    assert not boolean(client.post(url, data=f"ASK {{ {IN_DATA2} ?p ?o }}",
                                   content_type=DIRECT))


QUERY_TWO_DEFAULTS = f"ASK {{ {IN_DATA1} ?p ?o . {IN_DATA2} ?p2 ?o2 }}"


def test_query_dataset_default_graphs_get(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={
        "query": QUERY_TWO_DEFAULTS, "default-graph-uri": [str(DATA1), str(DATA2)]})
    assert boolean(response)


def test_query_dataset_default_graphs_post(client: FlaskClient) -> None:
    url = (f"/sparql?default-graph-uri={quote(str(DATA1), safe='')}"
           f"&default-graph-uri={quote(str(DATA2), safe='')}")
    assert boolean(client.post(url, data=QUERY_TWO_DEFAULTS, content_type=DIRECT))


def test_query_dataset_named_graphs_post(client: FlaskClient) -> None:
    url = (f"/sparql?named-graph-uri={quote(str(DATA1), safe='')}"
           f"&named-graph-uri={quote(str(DATA2), safe='')}")
    assert boolean(client.post(url, data="ASK { GRAPH ?g { ?s ?p ?o } }", content_type=DIRECT))


def test_query_dataset_named_graphs_get(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={
        "query": "ASK { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": [str(DATA1), str(DATA2)]})
    assert boolean(response)


def test_query_dataset_full(client: FlaskClient) -> None:
    url = (f"/sparql?default-graph-uri={quote(str(DATA3), safe='')}"
           f"&named-graph-uri={quote(str(DATA1), safe='')}"
           f"&named-graph-uri={quote(str(DATA2), safe='')}")
    query = ("SELECT DISTINCT ?g WHERE { ?x ?y ?o . GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
    response = client.post(url, data=query, content_type=DIRECT,
                           headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    graphs = {b["g"]["value"] for b in json.loads(response.get_data())["results"]["bindings"]}
    assert graphs and graphs <= {str(DATA1), str(DATA2)}
    has_data3 = client.post(url, data=f"ASK {{ {IN_DATA3} ?p ?o }}", content_type=DIRECT)
    assert boolean(has_data3)


def test_query_multiple_dataset(client: FlaskClient) -> None:
    """The dataset in the protocol request wins over FROM in the query."""
    url = f"/sparql?default-graph-uri={quote(str(DATA2), safe='')}"
    from_data1 = f"ASK FROM <{DATA1}> {{ {IN_DATA1} ?p ?o }}"
    assert not boolean(client.post(url, data=from_data1, content_type=DIRECT))
    from_data1_about_data2 = f"ASK FROM <{DATA1}> {{ {IN_DATA2} ?p ?o }}"
    assert boolean(client.post(url, data=from_data1_about_data2, content_type=DIRECT))


def test_query_content_type_select(client: FlaskClient) -> None:
    response = client.post("/sparql", data="SELECT (1 AS ?value) {}", content_type=DIRECT)
    assert response.status_code == 200
    assert response.mimetype in TABLES


def test_query_content_type_ask(client: FlaskClient) -> None:
    response = client.post("/sparql", data="ASK {}", content_type=DIRECT)
    assert response.status_code == 200
    assert response.mimetype in RESULTS


def test_query_content_type_describe(client: FlaskClient) -> None:
    response = client.post("/sparql", data="DESCRIBE <http://example.org/>", content_type=DIRECT)
    assert response.status_code == 200
    assert response.mimetype in RDF_TYPES
    Graph().parse(data=response.get_data(as_text=True), format="turtle")


def test_query_content_type_construct(client: FlaskClient) -> None:
    response = client.post("/sparql", data="CONSTRUCT { <s> <p> 1 } WHERE {}",
                           content_type=DIRECT)
    assert response.status_code == 200
    assert response.mimetype in RDF_TYPES
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert len(graph) == 1


# --------------------------------------------------------------------------------------------
# negative tests: each must get a 4xx


def test_bad_query_method(client: FlaskClient) -> None:
    assert client.put("/sparql?query=ASK%20%7B%7D").status_code == 405


def test_bad_multiple_queries(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert response.status_code == 400


def test_bad_query_wrong_media_type(client: FlaskClient) -> None:
    assert client.post("/sparql", data="ASK {}", content_type="text/plain").status_code == 415


def test_bad_query_missing_form_type(client: FlaskClient) -> None:
    assert client.post("/sparql", data=b"query=ASK%20%7B%7D").status_code == 415


def test_bad_query_missing_direct_type(client: FlaskClient) -> None:
    assert client.post("/sparql", data=b"ASK {}").status_code == 415


def test_bad_query_non_utf8(client: FlaskClient) -> None:
    """Protocol 2.1.3: "UTF-8 is the only valid charset here" (STRICT_UTF8, on by default)."""
    response = client.post("/sparql", data="ASK {}".encode("utf-16"),
                           content_type="application/sparql-query; charset=UTF-16")
    assert response.status_code == 415


def test_bad_query_syntax(client: FlaskClient) -> None:
    assert client.get("/sparql?query=ASK%20%7B").status_code == 400


def test_bad_update_get(client: FlaskClient) -> None:
    assert is_4xx(client.get("/sparql?update=CLEAR%20ALL"))


def test_bad_multiple_updates(client: FlaskClient) -> None:
    response = client.post("/sparql", data="update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
                           content_type=FORM)
    assert is_4xx(response)


def test_bad_update_wrong_media_type(client: FlaskClient) -> None:
    assert is_4xx(client.post("/sparql", data="CLEAR NAMED", content_type="text/plain"))


def test_bad_update_missing_form_type(client: FlaskClient) -> None:
    assert is_4xx(client.post("/sparql", data=b"update=CLEAR%20NAMED"))


def test_bad_update_non_utf8(client: FlaskClient) -> None:
    response = client.post("/sparql", data="CLEAR NAMED".encode("utf-16"),
                           content_type="application/sparql-update; charset=UTF-16")
    assert is_4xx(response)


def test_bad_update_syntax(client: FlaskClient) -> None:
    assert is_4xx(client.post("/sparql", data="update=CLEAR%20XYZ", content_type=FORM))


def test_bad_update_dataset_conflict(client: FlaskClient) -> None:
    body = ("using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople&update="
            + quote("WITH <http://example/addresses> DELETE { ?p <http://xmlns.com/foaf/0.1/"
                    "givenName> 'Bill' } WHERE { ?p <http://xmlns.com/foaf/0.1/givenName> "
                    "'Bill' }", safe=""))
    assert is_4xx(client.post("/sparql", data=body, content_type=FORM))


# --------------------------------------------------------------------------------------------
# the suite's update entries: a read-only endpoint refuses each with a 4xx


@pytest.mark.parametrize(
    ("name", "content_type", "body"),
    [
        ("update_dataset_default_graph", UPDATE, "CLEAR ALL ; INSERT DATA { <s> <p> <o> }"),
        ("update_dataset_default_graphs", UPDATE, "CLEAR ALL"),
        ("update_dataset_named_graphs", UPDATE, "CLEAR NAMED"),
        ("update_dataset_full", UPDATE, "CLEAR DEFAULT"),
        ("update_post_form", FORM, "update=CLEAR%20ALL"),
        ("update_post_direct", UPDATE, "CLEAR ALL"),
        ("update_base_uri", UPDATE,
         "INSERT DATA { GRAPH <http://example.org/protocol-base-test/> "
         "{ <http://example.org/s> <http://example.org/p> <test> } }"),
    ],
)
def test_update_entries_are_refused_read_only(
    client: FlaskClient, name: str, content_type: str, body: str
) -> None:
    response = client.post("/sparql", data=body, content_type=content_type)
    assert response.status_code == 400, name
    assert "read-only" in json.loads(response.get_data())["message"]
