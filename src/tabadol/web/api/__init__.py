"""One router per resource, all mounted under /api/v1 by `tabadol.web.app.create_app`."""
