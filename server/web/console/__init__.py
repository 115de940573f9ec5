"""The web console for editors and administrators: server-rendered pages under /console.

Pages read through the same domain functions as the API; every change a page
makes goes through the JSON API (/api/v1) from console.js, so there is one
copy of each rule.
"""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

from server.web.console import (  # noqa: E402,F401
    admin_pages,
    attendance_pages,
    editor_pages,
    login_pages,
    member_pages,
    report_pages,
)
