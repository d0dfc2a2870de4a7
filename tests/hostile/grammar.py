"""Hypothesis strategies that write SPARQL 1.1 queries from a small grammar, and mutate them.

`queries()` draws syntactically valid queries (they also satisfy the rules the grammar alone
does not say: BIND introduces a fresh variable, GROUP BY queries project only group keys and
aggregates, CONSTRUCT WHERE holds triple patterns only): prologue, SELECT / ASK / CONSTRUCT /
DESCRIBE, triple patterns with variables, IRIs, prefixed names, literals of every kind and
blank nodes, property paths, FILTER / OPTIONAL / UNION / MINUS / BIND / VALUES / GRAPH /
subqueries / EXISTS, aggregates with GROUP BY and HAVING, and solution modifiers.

`mutated()` breaks such a query the ways people and attackers do: cut it, drop or duplicate a
span, insert tokens (keywords such as SERVICE or DROP, brackets, quotes, escapes, NUL, non-ASCII,
invalid surrogates), change case.
"""

from __future__ import annotations

from hypothesis import strategies as st

PROLOGUE = {
    "ai45": "https://w3id.org/ai45/ontology#",
    "ai45r": "https://w3id.org/ai45/id/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "layer": "https://w3id.org/ai45/id/layer/",
    "level": "https://w3id.org/ai45/id/level/",
}
VARIABLES = ["?s", "?p", "?o", "?x", "?y", "?label", "?level", "?layer", "$z"]
PREDICATES = ["rdfs:label", "skos:prefLabel", "skos:definition", "ai45:inLayer",
              "ai45:levelRank", "ai45:buildsOn", "ai45:supportsLevel", "rdf:type",
              "dcterms:title", "<http://www.w3.org/2000/01/rdf-schema#subClassOf>",
              "<urn:example:p>"]
RESOURCES = ["ai45:Layer", "ai45:TrustworthinessLevel", "ai45:Technique",
             "layer:reflectable", "level:autonomy", "level:perception",
             "ai45r:level\\/autonomy",
             "<https://w3id.org/ai45/id/technique/machine-unlearning>", "owl:Class",
             "<urn:example:nothing>", "<http://example.org/%C3%A9t%C3%A9>",
             "<https://w3id.org/ai45/graph/framework>"]
GRAPHS = ["<https://w3id.org/ai45/graph/framework>", "<https://w3id.org/ai45/graph/ontology>",
          "<https://w3id.org/ai45/graph/inferred>", "<https://w3id.org/ai45/graph/bibliography>"]
FUNCTIONS_1 = ["STR", "LANG", "DATATYPE", "isIRI", "isLiteral", "isBlank", "STRLEN", "UCASE",
               "LCASE", "ENCODE_FOR_URI", "ABS", "CEIL", "ROUND", "isNumeric", "MD5", "SHA1",
               "xsd:string", "xsd:integer", "xsd:boolean", "xsd:double"]
AGGREGATES = ["COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE"]

_safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\n\r'),
    max_size=12,
)


@st.composite
def literals(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["str", "lang", "typed", "int", "dec", "double", "bool",
                                 "long", "escaped"]))
    text = draw(_safe_text)
    if kind == "str":
        return f'"{text}"'
    if kind == "lang":
        return f'"{text}"@' + draw(st.sampled_from(["en", "en-GB", "zh-Hans", "de"]))
    if kind == "typed":
        datatype = draw(st.sampled_from(["xsd:string", "xsd:integer", "xsd:date", "xsd:gYear",
                                         "<urn:example:type>"]))
        return f'"{text}"^^{datatype}'
    if kind == "int":
        return str(draw(st.integers(-10**20, 10**20)))
    if kind == "dec":
        return f"{draw(st.integers(-999, 999))}.{draw(st.integers(0, 999))}"
    if kind == "double":
        return draw(st.sampled_from(["1e3", "-2.5E-2", "0.0e0", "1E308", "4.9e-324"]))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "long":
        return '"""' + text.replace('"', "") + '\nline two"""'
    return '"' + draw(st.sampled_from(["\\t", "\\n", "\\\"", "\\u00e9", "\\U0001F600", "\\\\"]))\
        + text + '"'


def iris() -> st.SearchStrategy[str]:
    return st.sampled_from(RESOURCES)


@st.composite
def paths(draw: st.DrawFn, depth: int = 0) -> str:
    base = draw(st.sampled_from(PREDICATES[:-2] + ["a"]))
    if depth >= 2:
        return base
    form = draw(st.sampled_from(["plain", "inverse", "seq", "alt", "star", "plus", "opt",
                                 "negated"]))
    if form == "plain":
        return base
    if form == "inverse":
        return "^" + base
    if form == "seq":
        return f"{base}/{draw(paths(depth + 1))}"
    if form == "alt":
        return f"({base}|{draw(paths(depth + 1))})"
    if form in ("star", "plus", "opt"):
        return f"({base})" + {"star": "*", "plus": "+", "opt": "?"}[form]
    return "!(" + draw(st.sampled_from(["rdf:type", "^rdfs:label", "rdf:type|^rdf:type"])) + ")"


class _Scope:
    """Fresh variable names for one query (BIND and AS need new ones)."""

    def __init__(self) -> None:
        self.n = 0

    def fresh(self) -> str:
        self.n += 1
        return f"?v{self.n}"


@st.composite
def triples(draw: st.DrawFn, *, allow_paths: bool = True) -> str:
    subject = draw(st.one_of(st.sampled_from(VARIABLES), iris(), st.just("[]")))
    if allow_paths and draw(st.booleans()):
        predicate = draw(paths())
    else:
        predicate = draw(st.one_of(st.sampled_from(VARIABLES[:4]), st.sampled_from(PREDICATES),
                                   st.just("a")))
    obj = draw(st.one_of(st.sampled_from(VARIABLES), iris(), literals()))
    more = ""
    if draw(st.integers(0, 4)) == 0:
        more = f" ; {draw(st.sampled_from(PREDICATES))} {draw(st.sampled_from(VARIABLES))}"
    if draw(st.integers(0, 4)) == 0:
        more += f" , {draw(literals())}"
    return f"{subject} {predicate} {obj}{more}"


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    var = draw(st.sampled_from(VARIABLES))
    if depth >= 2:
        return draw(st.one_of(st.just(var), literals()))
    form = draw(st.sampled_from(["compare", "logic", "call", "regex", "contains", "bound",
                                 "in", "if", "arith", "exists", "concat", "coalesce", "lang"]))
    if form == "compare":
        op = draw(st.sampled_from(["=", "!=", "<", ">", "<=", ">="]))
        return f"({var} {op} {draw(expressions(depth + 1))})"
    if form == "logic":
        op = draw(st.sampled_from(["&&", "||"]))
        return f"({draw(expressions(depth + 1))} {op} !{draw(expressions(depth + 1))})"
    if form == "call":
        return f"{draw(st.sampled_from(FUNCTIONS_1))}({draw(expressions(depth + 1))})"
    if form == "regex":
        pattern = draw(st.sampled_from(["^a", "layer$", "(?i)reflect", "[0-9]+", "a|b", ".*",
                                        "\\\\d", "é"]))
        flags = draw(st.sampled_from(["", ', "i"', ', "s"']))
        return f'REGEX(STR({var}), "{pattern}"{flags})'
    if form == "contains":
        fn = draw(st.sampled_from(["CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE"]))
        return f"{fn}(STR({var}), {draw(literals())})"
    if form == "bound":
        return f"BOUND({var})"
    if form == "in":
        items = ", ".join(draw(st.lists(literals(), min_size=0, max_size=3)))
        return f"({var} {draw(st.sampled_from(['IN', 'NOT IN']))} ({items}))"
    if form == "if":
        return (f"IF({draw(expressions(depth + 1))}, {draw(expressions(depth + 1))}, "
                f"{draw(expressions(depth + 1))})")
    if form == "arith":
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({draw(expressions(depth + 1))} {op} {draw(literals())})"
    if form == "exists":
        word = draw(st.sampled_from(["EXISTS", "NOT EXISTS"]))
        return f"{word} {{ {draw(triples())} }}"
    if form == "concat":
        return f"CONCAT(STR({var}), {draw(literals())})"
    if form == "coalesce":
        return f"COALESCE({var}, {draw(literals())})"
    return f'LANGMATCHES(LANG({var}), "{draw(st.sampled_from(["en", "*", ""]))}")'


@st.composite
def groups(draw: st.DrawFn, scope: _Scope, depth: int = 0) -> str:
    parts = [draw(triples()) for _ in range(draw(st.integers(1, 2)))]
    for _ in range(draw(st.integers(0, 3 if depth < 2 else 1))):
        form = draw(st.sampled_from(["filter", "optional", "union", "minus", "bind", "values",
                                     "graph", "subquery", "triples"]))
        if form == "filter":
            parts.append(f"FILTER({draw(expressions())})")
        elif form == "bind":
            parts.append(f"BIND({draw(expressions())} AS {scope.fresh()})")
        elif form == "values":
            var = draw(st.sampled_from(VARIABLES))
            values = " ".join(draw(st.lists(st.one_of(iris(), literals(), st.just("UNDEF")),
                                            min_size=0, max_size=3)))
            parts.append(f"VALUES {var} {{ {values} }}")
        elif form == "triples" or depth >= 2:
            parts.append(draw(triples()))
        elif form == "optional":
            parts.append(f"OPTIONAL {draw(groups(scope, depth + 1))}")
        elif form == "union":
            parts.append(f"{draw(groups(scope, depth + 1))} UNION {draw(groups(scope, depth + 1))}")
        elif form == "minus":
            parts.append(f"MINUS {draw(groups(scope, depth + 1))}")
        elif form == "graph":
            name = draw(st.one_of(st.sampled_from(GRAPHS), st.just("?g")))
            parts.append(f"GRAPH {name} {draw(groups(scope, depth + 1))}")
        else:
            limit = draw(st.integers(0, 20))
            parts.append(f"{{ SELECT * WHERE {draw(groups(scope, depth + 1))} LIMIT {limit} }}")
    return "{ " + " . ".join(parts) + " }"


@st.composite
def modifiers(draw: st.DrawFn, order_by: list[str]) -> str:
    out = ""
    if order_by and draw(st.booleans()):
        key = draw(st.sampled_from(order_by))
        out += f" ORDER BY {draw(st.sampled_from(['', 'DESC', 'ASC']))}({key})"
    if draw(st.booleans()):
        out += f" LIMIT {draw(st.integers(0, 50))}"
    if draw(st.integers(0, 3)) == 0:
        out += f" OFFSET {draw(st.integers(0, 10**6))}"
    return out


@st.composite
def prologue(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(sorted(PROLOGUE)), unique=True))
    # the queries use these prefixes: declare them all, in a random order, some in lower case
    ordered = names + [n for n in sorted(PROLOGUE) if n not in names]
    lines = [f"{draw(st.sampled_from(['PREFIX', 'prefix']))} {n}: <{PROLOGUE[n]}>"
             for n in ordered]
    if draw(st.integers(0, 4)) == 0:
        lines.insert(0, "BASE <https://w3id.org/ai45/>")
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), "# a comment { } SERVICE")
    return "\n".join(lines) + "\n"


@st.composite
def queries(draw: st.DrawFn) -> str:
    """One syntactically valid SPARQL 1.1 query."""
    scope = _Scope()
    head = draw(prologue())
    form = draw(st.sampled_from(["select", "select", "aggregate", "ask", "construct",
                                 "construct-where", "describe"]))
    dataset = ""
    if draw(st.integers(0, 5)) == 0:
        dataset = f" FROM {draw(st.sampled_from(GRAPHS))}"
        if draw(st.booleans()):
            dataset += f" FROM NAMED {draw(st.sampled_from(GRAPHS))}"
    if form == "select":
        where = draw(groups(scope))
        star = draw(st.booleans())
        projection = "*" if star else " ".join(
            draw(st.lists(st.sampled_from(VARIABLES), min_size=1, max_size=3, unique=True)))
        if not star and draw(st.integers(0, 3)) == 0:
            projection += f" ({draw(expressions())} AS {scope.fresh()})"
        distinct = draw(st.sampled_from(["", "DISTINCT ", "REDUCED "]))
        return (f"{head}SELECT {distinct}{projection}{dataset} WHERE {where}"
                f"{draw(modifiers(VARIABLES[:3]))}")
    if form == "aggregate":
        where = draw(groups(scope))
        agg = draw(st.sampled_from(AGGREGATES))
        distinct = draw(st.sampled_from(["", "DISTINCT "]))
        arg = "*" if agg == "COUNT" and draw(st.booleans()) else draw(st.sampled_from(VARIABLES))
        if arg == "*":
            distinct = ""
        alias = scope.fresh()
        aggregate = f"({agg}({distinct}{arg}) AS {alias})"
        if draw(st.integers(0, 3)) == 0:
            aggregate += f' (GROUP_CONCAT(STR(?o); SEPARATOR=", ") AS {scope.fresh()})'
        if draw(st.booleans()):
            key = draw(st.sampled_from(VARIABLES))
            having = ""
            if draw(st.integers(0, 2)) == 0:
                having = f" HAVING (COUNT(*) > {draw(st.integers(0, 3))})"
            return (f"{head}SELECT {key} {aggregate}{dataset} WHERE {where} GROUP BY {key}"
                    f"{having}{draw(modifiers([key]))}")
        return f"{head}SELECT {aggregate}{dataset} WHERE {where}"
    if form == "ask":
        return f"{head}ASK{dataset} {draw(groups(scope))}"
    if form == "construct":
        template = " . ".join(draw(st.lists(triples(allow_paths=False), min_size=1,
                                            max_size=3)))
        template = template.replace("[]", "_:b")
        return (f"{head}CONSTRUCT {{ {template} }}{dataset} WHERE {draw(groups(scope))}"
                f"{draw(modifiers([]))}")
    if form == "construct-where":
        bgp = " . ".join(draw(st.lists(triples(allow_paths=False), min_size=1, max_size=2)))
        bgp = bgp.replace("[]", draw(st.sampled_from(VARIABLES)))
        return f"{head}CONSTRUCT{dataset} WHERE {{ {bgp} }}{draw(modifiers([]))}"
    target = " ".join(draw(st.lists(st.one_of(iris(), st.sampled_from(VARIABLES[:3])),
                                    min_size=1, max_size=2)))
    where = f" WHERE {draw(groups(scope))}" if "?" in target or draw(st.booleans()) else ""
    return f"{head}DESCRIBE {target}{dataset}{where}{draw(modifiers([]))}"


TOKENS = ["{", "}", "(", ")", ".", ";", ",", '"', "'", "<", ">", "?", "$", "#", "\\", "\\u",
          "\\U0010FFFF", "\x00", "\u00e9", "\u202e", "\ufeff", "\U0001f600", "SERVICE",
          "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }", "DROP ALL", "LOAD <file:///etc/passwd>",
          "INSERT DATA { <a> <b> <c> }", "; CLEAR ALL", "FROM <file:///etc/passwd>", "SELECT",
          "WHERE", "FILTER", "OPTIONAL", "UNION", "GRAPH", "BIND", "AS", "*", "+", "|", "^", "/",
          "a", "_:b", "[]", "()", "1e999999", "99999999999999999999999999", "-", "@en",
          "^^", "\r\n", "\t", " "]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid query broken by one to three random edits."""
    text = draw(queries())
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "drop", "dup", "insert", "insert", "case",
                                     "replace"]))
        if edit == "cut":
            text = text[:at]
        elif edit == "drop":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif edit == "dup":
            text = text[:at] + text[at:at + draw(st.integers(1, 40))] + text[at:]
        elif edit == "insert":
            token = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=5)))
            text = text[:at] + token + text[at:]
        elif edit == "case":
            text = text.swapcase()
        else:
            text = text[:at] + draw(st.text(max_size=3)) + text[at + 1:]
    return text
