"""The HTTP API (FastAPI): `create_app(hub)` builds it, `tabadol.web.server` runs it."""
