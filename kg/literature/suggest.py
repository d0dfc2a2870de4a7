"""Suggest, for a work (title, abstract, keywords), the concepts of the taxonomy it addresses,
ranked, each with its reasons: the words that matched and where they come from.

The ranker is lexical and explainable, on purpose: an analyst must see *why* a concept is
suggested before confirming it. It compares the work with each concept's profile
(kg.literature.profiles) in four fields, each a TF-IDF vector (scikit-learn's TfidfVectorizer,
fitted on the profiles' passages) of normalised text: words folded to ASCII and lower case,
stop words dropped, Snowball stems ("unlearning" ~ "unlearn", "reflective" ~ "reflection"),
hyphenated words also joined ("fine-tuning" ~ "finetuned"), an acronym's plural made singular
("LLMs" ~ "LLM"), plus every pair of neighbouring words, so that phrases ("human feedback",
"red teaming") weigh more than their words apart:

- `name`: the concept's names. A name counts by how much of it, weighted by the rarity of its
  words, the work's text contains; a whole name, in its order, counts fully ("Machine
  Unlearning", "RLHF", "world models"), and nearly as much with a word or two among its words
  ("inference-time language model alignment" for "inference-time alignment");
- `paper`: the paper's words about it (statements, quotes, citation anchors) and our definition;
- `cited`: the titles (and known abstracts) of the works the paper cites for it: the cosine with
  the closest one and with all of them together;
- `import`: the works analysts confirmed for it in imports, in the same way; so every confirmed
  mapping makes the next suggestions better;
- `group`: the words it shares with its group (a technique's layer with the layer's other
  techniques; else its kind: the governance measures, the threats, ...): "regulation" speaks
  for every governance measure;
- `spelling`: character 4- and 5-grams of the whole profile, for the words stems miss
  ("Reflexion" ~ "reflection").

Words are weighed by their rarity over the concepts (each profile one document), so words that
many concepts share ("model", "large language models") count little. Before that, each concept's
passages of the paper are made its own: the names of other concepts are left out of them, and a
passage that a technique shares with its sub-kind belongs to the sub-kind.

The score is the weighted sum of the fields' similarities (Params), between 0 and 1. Then the
taxonomy's structure: a sub-kind's score counts, discounted, for its technique (a work on RLHF
also supports Learning from X Feedback: "via sub-kind ..."), and a technique's for its layer.
The ranking is deterministic (ties by IRI). A suggestion is an interpretation, never a fact of
the graph: it is shown, exported for review, and enters the graph only when an analyst imports
it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ..text import ascii_fold
from .profiles import Passage, Profile, Profiles

#: a word: letters and digits, with inner hyphens or apostrophes ("fine-tuning", "model's")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019\-\u2010\u2011\u2013][A-Za-z0-9]+)*")
_ACRONYM_PLURAL = re.compile(r"^[A-Z]{2,}s$")
FIELDS = ("name", "paper", "cited", "import")
#: what a name's words count, found apart rather than as the name
SCATTERED = 0.6
#: what a name counts whose words the work says in the name's order with at most NEAR_GAP other
#: words among them ("inference-time language model alignment" for "inference-time
#: alignment"): an ordered window, as in the sequential dependence model of IR
NEAR = 0.75
NEAR_GAP = 2
#: the sources of the passages of each field (kg.literature.profiles.Passage.source)
FIELD_SOURCES = {"name": ("name", "search name", "vocabulary"), "paper": ("paper", "definition"),
                 "cited": ("cited work",), "import": ("import",)}
#: how a reason names where its words come from
SOURCE_NAMES = {
    "name": "the concept's name", "search name": "a name the project gives it",
    "vocabulary": "the project's search vocabulary",
    "definition": "its definition", "paper": "the paper", "cited work": "a work the paper cites",
    "import": "a work an analyst mapped to it",
}


@dataclass(frozen=True)
class Params:
    """The ranker's weights (benchmarks/mapping.py measures them)."""

    name: float = 0.35
    paper: float = 0.6
    cited: float = 0.15
    imported: float = 0.15
    group: float = 0.2
    spelling: float = 0.2
    #: in the `cited` and `import` fields: the share of the closest work (the rest: all works)
    closest: float = 0.9
    #: a sub-kind's score counted for its technique, a technique's for its layer
    sub_kind_to_technique: float = 0.85
    technique_to_layer: float = 0.4
    #: reasons shown per suggestion
    reasons: int = 4


@dataclass
class Reason:
    """Words of the work found in a passage of the concept's profile."""

    match: str
    source: str
    text: str
    where: str = ""
    work: str = ""
    #: the concept whose score this one rolls up ("sub-kind reinforcement learning from human
    #: feedback"), and its IRI
    via: str = ""
    via_iri: str = ""

    def json(self) -> dict[str, str]:
        out = {"match": self.match, "source": self.source, "text": self.text}
        for key in ("where", "work", "via", "via_iri"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def __str__(self) -> str:
        where = SOURCE_NAMES.get(self.source, self.source)
        if self.source == "paper" and self.where:
            where = f"the paper (section {self.where})"
        if self.source == "import" and self.where:
            where = f"a work mapped to it in import {self.where}"
        via = f"via {self.via}: " if self.via else ""
        return f"{via}\u201c{self.match}\u201d in {where}: \u201c{_clip(self.text)}\u201d"


@dataclass
class Suggestion:
    concept: str
    label: str
    kind: str
    score: float
    why: list[Reason] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {"concept": self.concept, "label": self.label, "kind": self.kind,
                "score": self.score, "why": [r.json() for r in self.why]}


@dataclass
class Work:
    """What a suggestion is made from."""

    title: str
    abstract: str = ""
    keywords: Sequence[str] = ()

    def text(self) -> str:
        return "\n".join([self.title, self.abstract, *self.keywords])


def _row(matrix: Any, i: int) -> tuple[Any, Any]:
    """Row `i` of a CSR matrix as its columns and values (indexing the matrix builds a new
    matrix each time: thousands of times per file)."""
    a, b = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[a:b], matrix.data[a:b]


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


# ---------------------------------------------------------------------------------------------
# text


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


@dataclass(frozen=True)
class Token:
    stem: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The meaningful words of `text`, stemmed, with their place in the text (stop words, single
    letters and numbers dropped; a hyphenated word is its parts)."""
    return list(_tokens(text))


@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[Token, ...]:
    stop = _stop_words()
    out: list[Token] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if _ACRONYM_PLURAL.match(word):
            word = word[:-1]
        start = m.start()
        for part in re.split(r"['\u2019\-\u2010\u2011\u2013]", word):
            folded = ascii_fold(part).lower()
            end = start + len(part)
            if len(folded) > 1 and not folded.isdigit() and folded not in stop:
                out.append(Token(_stem(folded), start, end))
            start = end + 1
    return tuple(out)


def features(text: str) -> list[str]:
    """The analyser of the TF-IDF vectors: stems, neighbouring pairs ("human feedback"), and
    each hyphenated word joined ("finetun")."""
    toks = tokens(text)
    out = [t.stem for t in toks]
    out += [f"{a.stem} {b.stem}" for a, b in zip(toks, toks[1:], strict=False)]
    for m in _WORD.finditer(text):
        parts = [p for p in re.split(r"['\u2019\-\u2010\u2011\u2013]", m.group(0)) if p]
        if len(parts) > 1:
            joined = ascii_fold("".join(parts)).lower()
            if joined.isalpha():
                out.append(_stem(joined))
    return out


@lru_cache(maxsize=65536)
def _surface(text: str, feature: str) -> str | None:
    """The words of `text` that make `feature`, as `text` writes them."""
    stems = feature.split(" ")
    toks = tokens(text)
    for i in range(len(toks) - len(stems) + 1):
        if all(toks[i + j].stem == s for j, s in enumerate(stems)):
            return text[toks[i].start:toks[i + len(stems) - 1].end]
    if len(stems) == 1:  # a joined hyphenated word
        for m in _WORD.finditer(text):
            parts = [p for p in re.split(r"['\u2019\-\u2010\u2011\u2013]", m.group(0)) if p]
            if len(parts) > 1 and _stem(ascii_fold("".join(parts)).lower()) == feature:
                return m.group(0)
        for m in _WORD.finditer(text):
            if _stem(ascii_fold(m.group(0)).lower()) == feature:
                return m.group(0)
    return None


# ---------------------------------------------------------------------------------------------
# the ranker


class Ranker:
    """Ranks the profiles' concepts for works. Built once per set of profiles (a build)."""

    def __init__(self, profiles: Profiles, params: Params | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.params = params or Params()
        self.profiles = profiles
        self.concepts, self.shown = _own_words(profiles.concepts)
        self.index = {c.iri: i for i, c in enumerate(self.concepts)}
        # the rarity of a word is counted over concepts (each profile one document): words
        # that many concepts share ("model", "large language models") say little about which
        self.vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, norm="l2",
                                          dtype=_float64())
        self.vectorizer.fit(["\n".join(p.text for p in c.passages) for c in self.concepts]
                            or [""])
        self.vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        self.idf = self.vectorizer.idf_
        self.terms = self.vectorizer.get_feature_names_out()
        self.fields = {f: self._field_matrix(FIELD_SOURCES[f]) for f in FIELDS}
        # the works of the `cited` and `import` fields one by one (for the closest one)
        self.items: dict[str, tuple[Any, list[tuple[int, Passage]]]] = {}
        for f in ("cited", "import"):
            rows = [(i, p) for i, c in enumerate(self.concepts) for p in c.passages
                    if p.source in FIELD_SOURCES[f]]
            matrix = self.vectorizer.transform([p.text for _, p in rows]) if rows else None
            self.items[f] = (matrix, rows)
        # each name as its stems (for "how much of the name the work says")
        # each name as its stems, the phrase they make and the weight of each word
        self.names: list[list[tuple[Passage, list[str], str, list[float]]]] = []
        for c in self.concepts:
            own = []
            for p in c.passages:
                if p.source in FIELD_SOURCES["name"]:
                    stems = [t.stem for t in tokens(p.text)]
                    own.append((p, stems, f" {' '.join(stems)} ",
                                [max(self._idf(s), 1.0) for s in stems]))
            self.names.append(own)
        # the concept's group: a technique's layer (with the layer and its other techniques),
        # else its kind (the governance measures, the threats, ...); words a work shares with a
        # group speak for each of its concepts ("regulation" for the governance measures)
        self.group_of: list[int] = []
        group_keys: dict[str, int] = {}
        group_docs: list[list[str]] = []
        for c in self.concepts:
            key = self._group_key(c)
            if key not in group_keys:
                group_keys[key] = len(group_docs)
                group_docs.append([])
            self.group_of.append(group_keys[key])
            group_docs[group_keys[key]].extend(p.text for p in c.passages)
        self.groups = self.vectorizer.transform(["\n".join(d) for d in group_docs])
        # the spelling: character n-grams of the whole profile, for the words stems miss
        # ("Reflexion" ~ "reflection", "interpretable" ~ "interpretability")
        self.spelling = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5), lowercase=True,
                                        sublinear_tf=True, dtype=_float64(),
                                        preprocessor=_fold_for_spelling)
        whole = ["\n".join(p.text for p in c.passages) for c in self.concepts]
        self.spelled = self.spelling.fit_transform(whole or [""])
        self.children: dict[int, list[int]] = {}
        self.layer_of: dict[int, list[int]] = {}
        for i, c in enumerate(self.concepts):
            for parent in c.sub_kind_of:
                if parent in self.index:
                    self.children.setdefault(self.index[parent], []).append(i)
            for layer in c.in_layer:
                if layer in self.index:
                    self.layer_of.setdefault(self.index[layer], []).append(i)

    def _group_key(self, c: Profile) -> str:
        if c.kind == "layer":
            return c.iri
        if c.kind == "technique":
            layers = list(c.in_layer)
            for parent in c.sub_kind_of:
                if parent in self.index:
                    layers += self.concepts[self.index[parent]].in_layer
            if layers:
                return sorted(layers)[0]
        return c.kind

    def _field_matrix(self, sources: Iterable[str]) -> Any:
        wanted = set(sources)
        docs = ["\n".join(p.text for p in c.passages if p.source in wanted)
                for c in self.concepts]
        return self.vectorizer.transform(docs)

    # -- scoring

    def _idf(self, stem: str) -> float:
        j = self.vocabulary.get(stem)
        return float(self.idf[j]) if j is not None else 0.0

    def _name_scores(self, query_stems: list[str]) -> list[tuple[float, Passage | None, str]]:
        """Per concept: how much of its best name the work says (idf-weighted share of the
        name's words; a whole name in order counts 1), that name, and the words found."""
        have = set(query_stems)
        joined = " " + " ".join(query_stems) + " "
        out: list[tuple[float, Passage | None, str]] = []
        for names in self.names:
            best: tuple[float, Passage | None, str] = (0.0, None, "")
            for passage, stems, phrase, weights in names:
                if not stems or not have.intersection(stems):
                    continue
                if phrase in joined:
                    share = 1.0
                    found = stems
                else:
                    found = [s for s in stems if s in have]
                    if len(found) == len(stems) > 1 and _in_order_near(stems, query_stems):
                        share = NEAR
                    else:
                        share = sum(w for s, w in zip(stems, weights, strict=True)
                                    if s in have) / sum(weights)
                        # a name's words apart, or a part of a name, are weaker evidence than
                        # the name itself ("learning ... feedback" is not "Learning from X
                        # Feedback")
                        share = share * share * SCATTERED
                if share > best[0]:
                    best = (share, passage, " ".join(found))
            out.append(best)
        return out

    def _batch(self, queries: Any, spelled: Any) -> dict[str, Any]:
        """The similarities of every work (rows) with every concept (columns), per field."""
        import numpy as np

        p = self.params
        sims: dict[str, Any] = {
            "paper": (queries @ self.fields["paper"].T).toarray(),
            "spelling": (spelled @ self.spelled.T).toarray(),
            "group": (queries @ self.groups.T).toarray()[:, self.group_of],
        }
        for f in ("cited", "import"):
            together = (queries @ self.fields[f].T).toarray()
            closest = np.zeros_like(together)
            matrix, rows = self.items[f]
            if matrix is not None:
                each = (queries @ matrix.T).toarray()
                owners = np.array([i for i, _ in rows])
                for i in np.unique(owners):
                    closest[:, i] = each[:, owners == i].max(axis=1)
            sims[f] = p.closest * closest + (1 - p.closest) * together
        return sims

    def rank(self, work: Work, top: int | None = 5, *, explain: bool = True) -> list[Suggestion]:
        """The concepts for `work`, best first (only those with a score above 0)."""
        return self.rank_many([work], top, explain=explain)[0]

    def rank_many(self, works: Sequence[Work], top: int | None = 5, *,
                  explain: bool = True) -> list[list[Suggestion]]:
        """The concepts for each of `works`, in their order (one batch of matrix products)."""
        import numpy as np

        if not works:
            return []
        p = self.params
        texts = [w.text() for w in works]
        queries = self.vectorizer.transform(texts)
        batch = self._batch(queries, self.spelling.transform(texts))
        out = []
        for n, text in enumerate(texts):
            names = self._name_scores([t.stem for t in tokens(text)])
            sims = {f: batch[f][n] for f in batch}
            sims["name"] = np.array([x[0] for x in names])
            score = (p.name * sims["name"] + p.paper * sims["paper"] + p.cited * sims["cited"]
                     + p.imported * sims["import"] + p.group * sims["group"]
                     + p.spelling * sims["spelling"])
            final, via = self._roll_up(score)
            order = sorted((i for i in range(len(self.concepts)) if final[i] > 1e-9),
                           key=lambda i: (-round(float(final[i]), 6), self.concepts[i].iri))
            if top is not None:
                order = order[:top]
            suggestions = []
            for i in order:
                c = self.concepts[i]
                s = Suggestion(c.iri, c.label, c.kind, round(float(final[i]), 3))
                if explain:
                    s.why = self._reasons(i, via, _row(queries, n), sims, names, text)
                suggestions.append(s)
            out.append(suggestions)
        return out

    def _roll_up(self, score: Any) -> tuple[Any, dict[int, int]]:
        """A sub-kind's score, discounted, for its technique; then a technique's for its layer.
        Returns the scores and, where a roll-up won, the concept it came from."""
        p = self.params
        final = score.copy()
        via: dict[int, int] = {}
        for parent, kids in sorted(self.children.items()):
            for kid in kids:
                if p.sub_kind_to_technique * final[kid] > final[parent]:
                    final[parent] = p.sub_kind_to_technique * final[kid]
                    via[parent] = kid
        for layer, members in sorted(self.layer_of.items()):
            for member in members:
                if p.technique_to_layer * final[member] > final[layer]:
                    final[layer] = p.technique_to_layer * final[member]
                    via[layer] = member
        return final, via

    # -- reasons

    def _reasons(self, i: int, vias: dict[int, int], query: tuple[Any, Any],
                 sims: dict[str, Any],
                 names: list[tuple[float, Passage | None, str]], text: str) -> list[Reason]:
        via = vias.get(i)
        if via is not None:
            inner = self._reasons(via, vias, query, sims, names, text)
            # a roll-up's reasons are those of the concept it came from
            source = self.concepts[via]
            relation = "sub-kind" if via in self.children.get(i, []) else "technique"
            return [replace(r, via=f"{relation} {source.label}", via_iri=source.iri)
                    if not r.via else r for r in inner]
        p = self.params
        reasons: list[tuple[float, Reason]] = []
        share, name, found = names[i]
        if name is not None and share > 0:
            reasons.append((p.name * share, Reason(self._shown(found, name.text, text),
                                                   name.source, name.text)))
        qcols = {int(j): float(v) for j, v in zip(*query, strict=True)}
        terms = self.terms
        weights = {"paper": p.paper, "cited": p.cited, "import": p.imported}
        c = self.concepts[i]
        for f, weight in weights.items():
            if sims[f][i] <= 0:
                continue
            contrib = sorted(((qcols[int(j)] * float(v), str(terms[int(j)]))
                              for j, v in zip(*_row(self.fields[f], i), strict=True)
                              if int(j) in qcols), reverse=True)
            used: set[str] = set()
            for value, feature in contrib[:6]:
                if any(feature in u.split(" ") or u in feature.split(" ") for u in used):
                    continue  # "human" beside "human feedback"
                passage = next((q for q in c.passages if q.source in FIELD_SOURCES[f]
                                and _surface(q.text, feature) is not None), None)
                if passage is None:
                    continue
                used.add(feature)
                shown = _surface(text, feature) or _surface(passage.text, feature) or feature
                reasons.append((weight * value, Reason(
                    shown, passage.source, self.shown.get(passage.text, passage.text),
                    passage.where, passage.work)))
        reasons.sort(key=lambda r: -r[0])
        out: list[Reason] = []
        for _, r in reasons:
            # the same words again from the same kind of source say nothing new
            if all(r.source != o.source or r.match.lower() not in o.match.lower()
                   for o in out):
                out.append(r)
        return out[: p.reasons]

    @staticmethod
    def _shown(found: str, name: str, text: str) -> str:
        for candidate in (found,):
            shown = _surface(text, candidate) if candidate else None
            if shown:
                return shown
        words = [_surface(text, s) for s in found.split(" ") if s]
        return " ".join(w for w in words if w) or name


def _in_order_near(stems: Sequence[str], query: Sequence[str]) -> bool:
    """Whether `query` has `stems` in their order within a window of NEAR_GAP more words."""
    width = len(stems) + NEAR_GAP
    for start, stem in enumerate(query):
        if stem != stems[0]:
            continue
        rest = iter(query[start + 1:start + width])
        if all(any(q == s for q in rest) for s in stems[1:]):
            return True
    return False


#: the hyphens a name's words may be joined by, read as spaces (one character for one, so that
#: a match's place is the same in the text as printed)
_HYPHENS_AS_SPACES = str.maketrans(dict.fromkeys("-\u2010\u2011\u2013", " "))


def _alternative(name: str) -> str:
    """`name` as an alternative of a pattern that finds it (case aside) in a text whose hyphens
    were read as spaces: its words joined by `\\s+`."""
    return r"\s+".join(re.escape(w) for w in name.translate(_HYPHENS_AS_SPACES).split())


def _bounded(alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + alternatives + r")(?![\w])", re.I)


class _NameFinder:
    """Finds, in a text whose hyphens were read as spaces, the names of a set of concepts'
    names, as one pattern of those names would (`finditer`; the longest name first where
    several start at one place). One pattern of every name finds the places and a pattern per
    name decides there, so that the ~360 names compile once rather than once per concept
    (that took a second at each start)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.alternatives = sorted({_alternative(n) for n in names if len(n) > 2},
                                   key=len, reverse=True)
        self.each = [_bounded(a) for a in self.alternatives]
        self.any = _bounded("|".join(self.alternatives)) if self.alternatives else None

    def spans(self, text: str, wanted: set[str]) -> Iterator[tuple[int, int]]:
        """Where the `wanted` alternatives (`_alternative`) find a name in `text`."""
        pos = 0
        while self.any is not None and (m := self.any.search(text, pos)):
            start = m.start()
            for alternative, pattern in zip(self.alternatives, self.each, strict=True):
                if alternative in wanted and (hit := pattern.match(text, start)):
                    yield start, hit.end()
                    pos = hit.end()
                    break
            else:
                pos = start + 1


def _without_names(text: str, finder: _NameFinder, wanted: set[str]) -> str:
    """`text` with each of the `wanted` names that `finder` finds (hyphens read as spaces,
    one character for one, so that places are the same in the text as printed) made one
    space."""
    pieces: list[str] = []
    last = 0
    for start, end in finder.spans(text.translate(_HYPHENS_AS_SPACES), wanted):
        pieces += [text[last:start], " "]
        last = end
    return "".join(pieces) + text[last:] if pieces else text


def _own_words(concepts: Sequence[Profile]) -> tuple[list[Profile], dict[str, str]]:
    """The profiles with the paper's words about each concept made its own: in a passage of
    the paper (or a definition), the names of other concepts are left out ("the corresponding
    methodologies include feedback-based value alignment and scalable oversight, mechanistic
    interpretability" is evidence for each of them through its own name only), and a passage
    that a technique shares with one of its sub-kinds belongs to the sub-kind (the more specific
    concept). Names, cited works and imports are kept as they are. Also returns each changed
    passage's text as the paper prints it (reasons quote the paper, not the ranker's copy)."""
    shown: dict[str, str] = {}
    names = {c.iri: [p.text for p in c.passages if p.source in FIELD_SOURCES["name"]]
             for c in concepts}
    kid_texts: dict[str, set[str]] = {}
    for c in concepts:
        for parent in c.sub_kind_of:
            kid_texts.setdefault(parent, set()).update(
                p.text for p in c.passages if p.source in FIELD_SOURCES["paper"])
    finder = _NameFinder(n for ns in names.values() for n in ns)
    out = []
    for c in concepts:
        own = {n.lower() for n in names[c.iri]}
        wanted = {_alternative(n) for iri, ns in names.items() if iri != c.iri for n in ns
                  if n.lower() not in own}
        passages = []
        for p in c.passages:
            if p.source in FIELD_SOURCES["paper"]:
                if p.text in kid_texts.get(c.iri, set()):
                    continue
                stripped = _without_names(p.text, finder, wanted)
                if stripped != p.text:
                    shown.setdefault(stripped, p.text)
                    p = replace(p, text=stripped)
            passages.append(p)
        out.append(replace(c, passages=passages))
    return out, shown


def _fold_for_spelling(text: str) -> str:
    return " ".join(t for t in re.findall(r"[a-z0-9]+", ascii_fold(text).lower())
                    if t not in _stop_words())


def _float64() -> Any:
    import numpy as np

    return np.float64
