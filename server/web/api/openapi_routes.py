"""The API's own description: openapi.yaml, served as OpenAPI 3.1 JSON for integrators and for the fuzz tests."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from flask import jsonify

from server.web.api import bp

SPEC = Path(__file__).with_name("openapi.yaml")


@functools.cache
def openapi_spec() -> dict:
    """The OpenAPI document (read once; it only changes with the code)."""
    return yaml.safe_load(SPEC.read_text("utf-8"))


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of /api/v1 (no token: it is public knowledge)."""
    response = jsonify(openapi_spec())
    response.headers["Cache-Control"] = "max-age=300"
    return response
