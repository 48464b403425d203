"""The website's pages, one module per area; each makes its router with
`shutter.web.routing.web_router()` and is listed in shutter/web/__init__.py."""
