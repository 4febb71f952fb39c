"""A self-contained API reference page at /api/docs.

FastAPI's default docs load Swagger UI from a CDN; the hub runs on closed newsroom networks, so
this page is one HTML document that reads /api/v1/openapi.json from the same server and lists
every route. Its Content-Security-Policy forbids loading anything from elsewhere.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tabadol API</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
 h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
 .route { margin: .8rem 0; } .method { display: inline-block; width: 4.5rem; font-weight: bold; }
 code { background: #f4f4f4; padding: 0 .2rem; } .params { margin: .2rem 0 0 4.5rem; font-size: .9rem; }
</style>
</head>
<body>
<h1>tabadol API</h1>
<p>Machine-readable description: <a href="__OPENAPI_URL__"><code>__OPENAPI_URL__</code></a>.
Authenticate with <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key</code>.</p>
<div id="routes">Loading&hellip;</div>
<script>
(async () => {
  const box = document.getElementById("routes");
  const text = (tag, value) => {
    const el = document.createElement(tag); el.textContent = value; return el;
  };
  const spec = await (await fetch("__OPENAPI_URL__")).json();
  box.textContent = "";
  const byTag = {};
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags || ["other"])[0];
      (byTag[tag] = byTag[tag] || []).push([method, path, op]);
    }
  }
  for (const [tag, routes] of Object.entries(byTag)) {
    box.appendChild(text("h2", tag));
    for (const [method, path, op] of routes) {
      const row = document.createElement("div"); row.className = "route";
      const m = text("span", method.toUpperCase()); m.className = "method";
      row.append(m, text("code", path), document.createTextNode(" " + (op.summary || "")));
      const params = (op.parameters || []).map(p => p.name + " (" + p.in + ")").join(", ");
      if (params) {
        const p = text("div", "Parameters: " + params); p.className = "params"; row.appendChild(p);
      }
      box.appendChild(row);
    }
  }
})().catch(err => {
  document.getElementById("routes").textContent = "Cannot load the API description: " + err;
});
</script>
</body>
</html>
"""


def docs_page(openapi_url: str) -> HTMLResponse:
    html = _PAGE.replace("__OPENAPI_URL__", openapi_url)
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
