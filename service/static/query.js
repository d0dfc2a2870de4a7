// The query page's editor: SPARQL highlighting through an overlay behind a plain <textarea>,
// Ctrl+Enter (or Cmd+Enter) to run, the named queries loaded as examples, and a button that adds
// the PREFIX lines a query uses but lacks. Without this script the form works the same way.
(function () {
  "use strict";

  var KEYWORDS = [
    "BASE", "PREFIX", "SELECT", "DISTINCT", "REDUCED", "AS", "CONSTRUCT", "DESCRIBE", "ASK",
    "FROM", "NAMED", "WHERE", "ORDER", "BY", "ASC", "DESC", "LIMIT", "OFFSET", "VALUES",
    "OPTIONAL", "GRAPH", "UNION", "MINUS", "FILTER", "BIND", "SERVICE", "SILENT", "GROUP",
    "HAVING", "NOT", "EXISTS", "IN", "UNDEF", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE",
    "GROUP_CONCAT", "SEPARATOR", "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI",
    "URI", "BNODE", "RAND", "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT", "STRLEN", "UCASE",
    "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE", "STRAFTER",
    "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ", "NOW", "UUID",
    "STRUUID", "MD5", "SHA1", "SHA256", "SHA384", "SHA512", "COALESCE", "IF", "STRLANG",
    "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX",
    "SUBSTR", "REPLACE", "TRUE", "FALSE", "A"
  ];
  var KEYWORD_SET = {};
  KEYWORDS.forEach(function (k) { KEYWORD_SET[k] = true; });

  // one alternation; the group that matched tells the token's kind
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                                    // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"\\s{}|^`\\\\]*>)",                                        // 3 IRI
    "([?$][A-Za-z_][A-Za-z0-9_]*)",                                   // 4 variable
    "((?:[A-Za-z][\\w.-]*)?:[\\w\\-.\\/]*[\\w\\-\\/])",                // 5 prefixed name
    "(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)",                      // 6 number
    "([A-Za-z_][A-Za-z0-9_]*)"                                        // 7 word
  ].join("|"), "g");
  var KINDS = [null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname", "tok-number", "tok-keyword"];

  function highlight(code, text) {
    while (code.firstChild) { code.removeChild(code.firstChild); }
    var last = 0;
    var m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      var kind = null;
      for (var i = 1; i < m.length; i++) {
        if (m[i] !== undefined) { kind = KINDS[i]; break; }
      }
      if (kind === "tok-keyword" && !KEYWORD_SET[m[0].toUpperCase()]) { kind = null; }
      if (kind === "tok-keyword" && m[0] === "A" ) { kind = null; }
      if (m.index > last) { code.appendChild(document.createTextNode(text.slice(last, m.index))); }
      if (kind) {
        var span = document.createElement("span");
        span.className = kind;
        span.textContent = m[0];
        code.appendChild(span);
      } else {
        code.appendChild(document.createTextNode(m[0]));
      }
      last = m.index + m[0].length;
    }
    // a trailing newline keeps the overlay as tall as the textarea's text
    code.appendChild(document.createTextNode(text.slice(last) + "\n"));
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function missingPrefixes(text, prefixes) {
    var declared = {};
    var decl = /PREFIX\s+([A-Za-z][\w.-]*)?:/gi;
    var m;
    while ((m = decl.exec(text)) !== null) { declared[m[1] || ""] = true; }
    var body = text.replace(/#[^\n]*/g, "").replace(/<[^<>\s]*>/g, "")
      .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, "");
    var used = {};
    var use = /(^|[\s({;,.\/^|!])([A-Za-z][\w.-]*):/g;
    while ((m = use.exec(body)) !== null) { used[m[2]] = true; }
    return Object.keys(used).filter(function (p) {
      return !declared[p] && Object.prototype.hasOwnProperty.call(prefixes, p);
    });
  }

  function init() {
    var form = document.getElementById("query-form");
    var textarea = document.getElementById("query-text");
    if (!form || !textarea) { return; }
    var editor = textarea.closest("[data-editor]");
    var code = editor.querySelector(".editor-highlight code");
    var pre = editor.querySelector(".editor-highlight");
    var prefixes = readJSON("prefixes-data") || {};
    var examples = readJSON("examples-data") || [];
    var prefixButton = document.getElementById("add-prefixes");

    function refresh() {
      highlight(code, textarea.value);
      // the overlay takes the textarea's inner size, so that both wrap lines alike even when
      // the textarea shows a scroll bar
      pre.style.width = textarea.clientWidth + "px";
      pre.style.height = textarea.clientHeight + "px";
      pre.scrollTop = textarea.scrollTop;
      pre.scrollLeft = textarea.scrollLeft;
      if (prefixButton) { prefixButton.hidden = missingPrefixes(textarea.value, prefixes).length === 0; }
    }

    editor.classList.add("enhanced");
    textarea.addEventListener("input", refresh);
    textarea.addEventListener("scroll", function () {
      pre.scrollTop = textarea.scrollTop;
      pre.scrollLeft = textarea.scrollLeft;
    });
    if (window.ResizeObserver) { new ResizeObserver(refresh).observe(textarea); }

    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });

    // a long query does not fit in a URL: send it as a POST form instead
    form.addEventListener("submit", function () {
      var length = encodeURIComponent(textarea.value).length;
      form.method = length > 6000 ? "post" : "get";
    });

    if (prefixButton) {
      prefixButton.addEventListener("click", function () {
        var missing = missingPrefixes(textarea.value, prefixes);
        var lines = missing.map(function (p) { return "PREFIX " + p + ": <" + prefixes[p] + ">"; });
        textarea.value = lines.join("\n") + "\n" + textarea.value;
        refresh();
        textarea.focus();
      });
    }

    var byName = {};
    examples.forEach(function (ex) { byName[ex.name] = ex; });
    Array.prototype.forEach.call(document.querySelectorAll("a[data-example]"), function (link) {
      link.addEventListener("click", function (event) {
        var ex = byName[link.getAttribute("data-example")];
        if (!ex || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
        event.preventDefault();
        textarea.value = ex.text;
        refresh();
        textarea.scrollTop = 0;
        textarea.focus();
        textarea.setSelectionRange(0, 0);
        editor.scrollIntoView({ block: "nearest" });
      });
    });

    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
