"""Named queries over HTTP (service/queries.py): the list, each query run with typed parameters
bound (never pasted), JSON / CSV / TSV / XML / HTML answers, and 400 / 404 that say what is
allowed."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from xml.etree import ElementTree as ET

import pytest
from flask.testing import FlaskClient

from ai45kg.kg import queries as named
from ai45kg.kg.namespaces import AI45

ALL = named.load_all()
LEVEL_PARAM = [
    (q, p) for q in ALL.values() for p in q.params
    if p.type == "iri" and p.instances_of == str(AI45.TrustworthinessLevel)
]
SRX = "{http://www.w3.org/2005/sparql-results#}"


def level_query() -> tuple[named.NamedQuery, named.Param]:
    if not LEVEL_PARAM:
        pytest.skip("no named query takes a trustworthiness level")
    return LEVEL_PARAM[0]


def test_there_are_named_queries() -> None:
    assert len(ALL) >= 5


def test_list_html(client: FlaskClient) -> None:
    response = client.get("/queries")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = html.unescape(response.get_data(as_text=True))
    for q in ALL.values():
        assert f'href="/queries/{q.name}"' in page
        assert q.title in page
        assert q.description in page
        for p in q.params:
            assert f"<code>{p.name}</code>" in page
            assert p.description in page


@pytest.mark.parametrize("path,headers", [("/queries.json", {}),
                                          ("/queries", {"Accept": "application/json"})])
def test_list_json(client: FlaskClient, path: str, headers: dict[str, str]) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    listed = {q["name"]: q for q in response.get_json()}
    assert set(listed) == set(ALL)
    for name, q in ALL.items():
        assert listed[name]["title"] == q.title
        assert listed[name]["description"] == q.description
        assert [p["name"] for p in listed[name]["params"]] == [p.name for p in q.params]
        assert listed[name]["sparql"] == q.text


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_query_page_runs_and_shows_its_sparql_and_form(client: FlaskClient,
                                                            name: str) -> None:
    q = ALL[name]
    response = client.get(f"/queries/{name}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert q.text in html.unescape(page)  # the SPARQL, to copy
    assert 'class="result-table"' in page or "No results." in page or "The answer is" in page
    for p in q.params:
        assert f'<label for="param-{p.name}">' in page
        assert f'name="{p.name}"' in page
    assert f'href="/queries/{name}.csv' in page


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_query_as_sparql_json(client: FlaskClient, name: str) -> None:
    response = client.get(f"/queries/{name}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    doc = json.loads(response.data)
    assert "head" in doc
    assert "results" in doc or "boolean" in doc


@pytest.mark.parametrize("ext,media", [("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
                                       ("xml", "application/sparql-results+xml")])
def test_formats_by_extension(client: FlaskClient, ext: str, media: str) -> None:
    q = ALL["levels"] if "levels" in ALL else next(iter(ALL.values()))
    response = client.get(f"/queries/{q.name}.{ext}")
    assert response.status_code == 200
    assert response.mimetype == media
    text = response.get_data(as_text=True)
    if ext == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2
    elif ext == "tsv":
        assert text.splitlines()[0].startswith("?")
    else:
        assert ET.fromstring(response.data).tag == f"{SRX}sparql"
    assert f'filename="{q.name}.{ext}"' in response.headers["Content-Disposition"]


def test_format_by_accept(client: FlaskClient) -> None:
    name = next(iter(ALL))
    response = client.get(f"/queries/{name}", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "Accept" in response.headers["Vary"]


def test_levels_query_returns_the_five_levels_in_csv(client: FlaskClient) -> None:
    if "levels" not in ALL:
        pytest.skip("no 'levels' named query")
    text = client.get("/queries/levels.csv").get_data(as_text=True)
    for label in ("Perception Trustworthiness", "Reasoning Trustworthiness",
                  "Decision-making Trustworthiness", "Autonomy Trustworthiness",
                  "Collaboration Trustworthiness"):
        assert label in text


def test_parameter_is_bound_not_pasted(client: FlaskClient) -> None:
    q, p = level_query()
    perception = client.get(f"/queries/{q.name}.json?{p.name}=ai45r:level/perception").get_json(
        force=True)
    collaboration = client.get(
        f"/queries/{q.name}.json?{p.name}=https://w3id.org/ai45/id/level/collaboration"
    ).get_json(force=True)
    assert perception["results"]["bindings"] != collaboration["results"]["bindings"]
    # the text of the query is the file's, whatever the parameter
    page = client.get(f"/queries/{q.name}?{p.name}=ai45r:level/perception").get_data(as_text=True)
    assert q.text in html.unescape(page)


def test_parameter_form_offers_the_allowed_values_by_label(client: FlaskClient) -> None:
    q, p = level_query()
    page = client.get(f"/queries/{q.name}?{p.name}=ai45r:level/reasoning").get_data(as_text=True)
    assert f'<select id="param-{p.name}" name="{p.name}"' in page
    assert re.search(r'<option value="[^"]+" selected>Reasoning Trustworthiness</option>', page)
    for label in ("Perception Trustworthiness", "Collaboration Trustworthiness"):
        assert f">{label}</option>" in page


def test_unknown_parameter_is_400_naming_the_allowed_ones(client: FlaskClient) -> None:
    q, p = level_query()
    response = client.get(f"/queries/{q.name}.json?bogus=1")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert "bogus" in doc["message"]
    assert p.name in doc["message"]
    assert [x["name"] for x in doc["params"]] == [x.name for x in q.params]


def test_bad_value_is_400_listing_the_allowed_values(client: FlaskClient) -> None:
    q, p = level_query()
    response = client.get(f"/queries/{q.name}?{p.name}=nope")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = html.unescape(response.get_data(as_text=True))
    assert "nope" in page
    for label in ("Perception Trustworthiness", "Autonomy Trustworthiness"):
        assert label in page[page.index('class="query-error"'):]


def test_iri_of_the_wrong_class_is_400(client: FlaskClient) -> None:
    q, p = level_query()
    response = client.get(f"/queries/{q.name}.csv?{p.name}=ai45r:layer/reflectable")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "allowed" in text and "Autonomy Trustworthiness" in text


@pytest.mark.parametrize("value", [
    "<https://w3id.org/ai45/id/level/autonomy> } ?s ?p ?o {",
    'x" . ?s ?p ?o . "',
    "ai45r:level/autonomy> . ?s ?p ?o . <x",
])
def test_injection_attempts_are_400(client: FlaskClient, value: str) -> None:
    q, p = level_query()
    response = client.get(f"/queries/{q.name}.json", query_string={p.name: value})
    assert response.status_code == 400


def test_unknown_query_is_404(client: FlaskClient) -> None:
    response = client.get("/queries/no-such-query")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for name in ALL:
        assert f'href="/queries/{name}"' in page


def test_unknown_query_json_is_404(client: FlaskClient) -> None:
    response = client.get("/queries/no-such-query.json")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "available" in response.get_json()["message"]


def test_unacceptable_type_is_406(client: FlaskClient) -> None:
    name = next(iter(ALL))
    assert client.get(f"/queries/{name}", headers={"Accept": "image/png"}).status_code == 406


def test_result_links_use_labels_and_local_pages(client: FlaskClient) -> None:
    q, p = level_query()
    page = client.get(f"/queries/{q.name}").get_data(as_text=True)
    table = page[page.index('class="result-table"'):page.index("</table>")]
    assert 'href="/id/technique/' in table
    assert 'title="https://w3id.org/ai45/id/technique/' in table
    assert '>https://w3id.org/ai45/' not in table
