"""The website: server-rendered pages (Jinja2) enhanced by small ES modules.

Above every service in the import order (like app and cli): pages call the services'
functions and read through the API's renderers, never tables, and hold no rules of
their own. The conventions are in docs/decisions/0016-website.md; the routers are
listed in shutter/web/site.py.
"""
