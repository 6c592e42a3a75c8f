"""GraphiQL page served entirely from the hub (no CDN).

Contract of :func:`graphiql_page`:

* Returns a complete HTML5 document (``str``) that loads GraphiQL 3.9.0,
  React 18.3.1 and the explorer plugin only from ``{static_prefix}/...``
  (files vendored in ``hub/static/vendor/``; see its README.md).  The
  caller must serve that folder at ``static_prefix`` and the GraphQL API at
  ``endpoint`` (both are used verbatim, so relative paths work).
* ``examples`` is a sequence of ``(tab title, GraphQL document, variables JSON)``.  Each
  becomes a GraphiQL tab, ready to run, in the given order; the title is
  prepended as a ``# title`` comment line (GraphiQL names tabs after the
  operation, it has no free-form tab title).  The first example is also the
  default query of new tabs.  Tabs a browser already stored in localStorage
  take precedence over these defaults (standard GraphiQL behaviour).
* The headers editor is enabled and headers are persisted
  (``shouldPersistHeaders: true``).
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

__all__ = ["BOOT_SCRIPT", "BOOT_SCRIPT_CSP_HASH", "graphiql_page"]

BOOT_SCRIPT = """
(function () {
  var cfg = JSON.parse(document.getElementById("rabt-graphiql-config").textContent);
  var tabs = cfg.examples.map(function (e) { return { query: e.query, variables: e.variables }; });
  var props = {
    fetcher: GraphiQL.createFetcher({ url: cfg.endpoint }),
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    plugins: window.GraphiQLPluginExplorer ? [GraphiQLPluginExplorer.explorerPlugin()] : []
  };
  if (tabs.length) { props.defaultTabs = tabs; props.defaultQuery = tabs[0].query; }
  ReactDOM.createRoot(document.getElementById("graphiql"))
    .render(React.createElement(GraphiQL, props));
})();
"""

BOOT_SCRIPT_CSP_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(BOOT_SCRIPT.encode()).digest()).decode() + "'"

_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _example_query(title: str, document: str) -> str:
    title = " ".join(title.split())
    return f"# {title}\n{document}" if title else document


def graphiql_page(
    *,
    endpoint: str,
    static_prefix: str,
    examples: Sequence[tuple[str, str, str]],
    title: str = "Rabt · ربط",
) -> str:
    """Return the full GraphiQL HTML page (see the module docstring)."""
    prefix = html.escape(static_prefix.rstrip("/"), quote=True)
    config = {
        "endpoint": endpoint,
        "examples": [{"query": _example_query(t, d), "variables": v} for t, d, v in examples],
    }
    config_json = json.dumps(config, ensure_ascii=True).translate(_JSON_ESCAPES)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{prefix}/graphiql.min.css">
<link rel="stylesheet" href="{prefix}/plugin-explorer.css">
<style>html, body {{ height: 100%; margin: 0; }} #graphiql {{ height: 100vh; }}</style>
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
