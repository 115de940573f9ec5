"""The web console for editors and administrators: server-rendered pages under /console.

Pages read through the same domain functions as the API; every change a page
makes goes through the JSON API (/api/v1) from console.js, so there is one
copy of each rule.
"""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

from server.web.console import admin_pages, editor_pages, login_pages, member_pages, report_pages  # noqa: E402,F401
