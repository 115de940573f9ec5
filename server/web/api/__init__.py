"""The set-top API, version 1: JSON over HTTP under /api/v1 (docs/api.md)."""

from flask import Blueprint

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

# Route modules register themselves on `bp` when imported.
from server.web.api import (  # noqa: E402,F401
    admin_routes,
    catalogue_routes,
    channel_routes,
    checkin_routes,
    device_routes,
    editor_routes,
    home_routes,
    member_routes,
    notice_routes,
    openapi_routes,
    quiz_routes,
    report_routes,
    schedule_routes,
    study_routes,
    upload_routes,
)
