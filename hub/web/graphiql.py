"""GraphiQL page served entirely from the hub (no CDN).

Contract of :func:`graphiql_page`:

* Returns a complete HTML5 document (``str``) that loads GraphiQL 3.9.0,
  React 18.3.1 and the explorer plugin only from ``{static_prefix}/...``
  (files vendored in ``hub/static/vendor/``; see its README.md).  The
  caller must serve that folder at ``static_prefix`` and the GraphQL API at
  ``endpoint`` (both are used verbatim, so relative paths work).
* ``tabs`` is a sequence of :class:`Tab`.  Each becomes a GraphiQL tab, ready to run, in the
  given order; the title is prepended as a ``# title`` comment line (GraphiQL names tabs after
  the operation, it has no free-form tab title), and the caller it needs as ``# Caller: KEY``.
  The first tab is also the default query of new tabs.  Tabs a browser already stored in
  localStorage take precedence over these defaults (standard GraphiQL behaviour).
* ``callers`` (the embedded demo's, as ``(key, label)``; none in production mode) become a
  "Call as" menu at the top right: choosing one POSTs ``{"persona": KEY}`` to ``token_url`` and
  puts the ``headers`` of its answer into the active tab's headers editor.  When the active tab
  names a caller, a button offers that one.  The caller chosen for each tab is kept in
  localStorage (``rabt:callers``) while its token lasts, as GraphiQL keeps the tab's headers; once
  the token has expired, a reload offers the button again.
* A tab whose query is an example's and whose variables are empty (a new tab: GraphiQL opens it on
  the default query, without variables) gets that example's variables.
* The headers editor is enabled and headers are persisted
  (``shouldPersistHeaders: true``).
* The page names its icon (none), so a browser asks for no ``/favicon.ico``; strings in the
  response read in their own direction (Arabic right to left, its full stop at its end).
* Page data travels as JSON in a non-executed
  ``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped,
  so no document can close the script tag.  The only executable inline
  script is the constant :data:`BOOT_SCRIPT` (its CSP hash is
  :data:`BOOT_SCRIPT_CSP_HASH`); there are no inline event handlers.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BOOT_SCRIPT", "BOOT_SCRIPT_CSP_HASH", "Tab", "graphiql_page"]

BOOT_SCRIPT = """
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("rabt-graphiql-config").textContent);
  var h = React.createElement;
  var labels = {};
  cfg.callers.forEach(function (caller) { labels[caller.key] = caller.label; });
  var tabs = cfg.examples.map(function (e) { return { query: e.query, variables: e.variables }; });
  var CHOSEN = "rabt:callers";  // tab id -> {caller, until}: the caller chosen for it, while its token lasts

  function stored() {
    var chosen = {};
    try {
      var kept = JSON.parse(window.localStorage.getItem(CHOSEN) || "{}") || {};
      Object.keys(kept).forEach(function (id) {
        if (kept[id] && kept[id].until > Date.now()) { chosen[id] = kept[id].caller; }
      });
    } catch (blocked) { /* nothing kept */ }
    return chosen;
  }

  function keep(tabId, caller, seconds, tabIds) {
    try {
      var kept = JSON.parse(window.localStorage.getItem(CHOSEN) || "{}") || {};
      var next = {};
      tabIds.forEach(function (id) { if (kept[id] && id !== tabId) { next[id] = kept[id]; } });
      if (caller) { next[tabId] = { caller: caller, until: Date.now() + seconds * 1000 }; }
      window.localStorage.setItem(CHOSEN, JSON.stringify(next));
    } catch (blocked) { /* kept for this page only */ }
  }

  function exampleVariables(query) {
    var found = null;
    tabs.forEach(function (example) { if (example.query === query) { found = example.variables; } });
    return found;
  }

  function neededCaller(query) {
    var found = /^# Caller: ([a-z0-9_]+)/m.exec(query || "");
    return found && labels[found[1]] ? found[1] : null;
  }

  // Inside GraphiQL (its logo slot), so it reaches the editors through GraphiQL's own context.
  function CallerPicker() {
    var editors = GraphiQL.React.useEditorContext({ nonNull: true });
    var chosen = React.useState(stored);
    var message = React.useState("");
    var tab = editors.tabs[editors.activeTabIndex];
    var tabId = tab ? tab.id : "";
    var needed = tab ? neededCaller(tab.query) : null;

    // A new tab opens on the first example's query but with no variables (GraphiQL has no default
    // variables for new tabs): an example's query without variables gets the example's.
    React.useEffect(function () {
      var variables = tab && !(tab.variables || "").trim() ? exampleVariables(tab.query) : null;
      if (variables && editors.variableEditor) { editors.variableEditor.setValue(variables); }
    }, [tabId, editors.variableEditor]);

    function callAs(key) {
      var next = Object.assign({}, chosen[0]);
      next[tabId] = key;
      chosen[1](next);
      var tabIds = editors.tabs.map(function (t) { return t.id; });
      keep(tabId, null, 0, tabIds);
      if (!key) { return; }
      message[1]("Signing in\u2026");
      fetch(cfg.tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ persona: key })
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.errors ? body.errors[0].message : response.statusText); }
          editors.headerEditor.setValue(JSON.stringify(body.headers, null, 2));
          keep(tabId, key, body.expiresInSeconds, tabIds);
          message[1]("");
        });
      }).catch(function (error) { message[1](error.message); });
    }

    return h("div", { className: "rabt-caller" },
      h("label", null, "Call as ",
        h("select", { value: chosen[0][tabId] || "", onChange: function (event) { callAs(event.target.value); } },
          h("option", { value: "" }, "a demo caller\u2026"),
          cfg.callers.map(function (caller) {
            return h("option", { key: caller.key, value: caller.key }, caller.label);
          }))),
      needed && chosen[0][tabId] !== needed
        ? h("button", { type: "button", title: labels[needed], onClick: function () { callAs(needed); } },
          "This tab: " + labels[needed])
        : null,
      message[0] ? h("span", { role: "status" }, message[0]) : null);
  }

  var props = {
    fetcher: GraphiQL.createFetcher({ url: cfg.endpoint }),
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    plugins: window.GraphiQLPluginExplorer ? [GraphiQLPluginExplorer.explorerPlugin()] : []
  };
  if (tabs.length) { props.defaultTabs = tabs; props.defaultQuery = tabs[0].query; }
  // GraphiQL 3 fills the variables editor from its `variables` prop, never from the first default
  // tab: on a first visit (no tabs stored yet) it gets the first tab's.
  try {
    if (tabs.length && window.localStorage.getItem("graphiql:tabState") === null) {
      props.variables = tabs[0].variables;
    }
  } catch (blocked) { /* no localStorage: GraphiQL keeps nothing either */ }
  var logo = cfg.callers.length ? h(GraphiQL.Logo, null, h(CallerPicker)) : null;
  ReactDOM.createRoot(document.getElementById("graphiql")).render(h(GraphiQL, props, logo));
})();
"""

BOOT_SCRIPT_CSP_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(BOOT_SCRIPT.encode()).digest()).decode() + "'"

_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


@dataclass(frozen=True)
class Tab:
    title: str
    document: str
    variables: str
    """JSON text."""
    caller: str | None = None
    """The key of the demo caller the tab needs (see ``callers`` above)."""

    def query(self) -> str:
        comments = [" ".join(self.title.split())] if self.title.strip() else []
        if self.caller:
            comments.append(f"Caller: {self.caller}")
        return "".join(f"# {comment}\n" for comment in comments) + self.document


def graphiql_page(
    *,
    endpoint: str,
    static_prefix: str,
    tabs: Sequence[Tab],
    callers: Sequence[tuple[str, str]] = (),
    token_url: str | None = None,
    title: str = "Rabt · ربط",
) -> str:
    """Return the full GraphiQL HTML page (see the module docstring)."""
    prefix = html.escape(static_prefix.rstrip("/"), quote=True)
    config = {
        "endpoint": endpoint,
        "examples": [{"query": tab.query(), "variables": tab.variables} for tab in tabs],
        "callers": [{"key": key, "label": label} for key, label in callers] if token_url else [],
        "tokenUrl": token_url,
    }
    config_json = json.dumps(config, ensure_ascii=True).translate(_JSON_ESCAPES)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{prefix}/graphiql.min.css">
<link rel="stylesheet" href="{prefix}/plugin-explorer.css">
<style>
html, body {{ height: 100%; margin: 0; }} #graphiql {{ height: 100vh; }}
.rabt-caller {{ display: flex; align-items: center; gap: 8px; font-size: 14px; font-weight: normal; }}
.rabt-caller select, .rabt-caller button {{ font: inherit; padding: 2px 6px; }}
.rabt-caller label, .rabt-caller button {{ white-space: nowrap; }}
.rabt-caller select, .rabt-caller button {{ max-width: 16em; overflow: hidden; text-overflow: ellipsis; }}
.result-window .cm-string {{ unicode-bidi: plaintext; }}
</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script type="application/json" id="rabt-graphiql-config">{config_json}</script>
<script src="{prefix}/react.production.min.js"></script>
<script src="{prefix}/react-dom.production.min.js"></script>
<script src="{prefix}/graphiql.min.js"></script>
<script src="{prefix}/plugin-explorer.umd.js"></script>
<script>{BOOT_SCRIPT}</script>
</body>
</html>
"""
