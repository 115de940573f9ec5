"""The OpenAPI description stays true to the routes, and schemathesis fuzzes every operation as every role:
no 500, and every refusal has the documented error shape."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from server import create_app
from server.web.api.openapi_routes import openapi_spec
from server.web.context import current_lineup, get_db
from tests.conftest import Clock, editor_token, pair_device
from tests.support.fake_vod import add_video, write_slates

ROLES = ("anonymous", "box", "editor", "other_editor", "admin")
EXAMPLES_PER_OPERATION = 8  # bounded: the whole run stays within a minute or two


def spec_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in openapi_spec()["paths"].items()
            for method in item if method != "parameters"}


def route_operations(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        methods = set(rule.methods) - {"OPTIONS"} if path != "/uploads" else set(rule.methods)
        if "GET" in methods:
            methods.discard("HEAD")  # Flask's own HEAD for every GET
        found |= {(method, path) for method in methods}
    return found


def test_the_description_names_exactly_the_routes_the_server_has(app):
    assert spec_operations() == route_operations(app)


def test_the_description_is_served_as_json(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.json["openapi"] == "3.1.0"
    assert answer.json["paths"]["/boards"]["get"]["security"] == [{"box": []}]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """One site with content for every role to act on; its tokens by role."""
    folder = tmp_path_factory.mktemp("fuzz")
    clock = Clock(__import__("datetime").datetime(2026, 11, 23, 2, 0, tzinfo=__import__("datetime").UTC))
    app = create_app({"DATABASE": str(folder / "k.db"), "MEDIA_ROOT": str(folder / "media"),
                      "ORIGINALS_DIR": str(folder / "originals"), "SECRET_KEY": "fuzz"}, clock=clock)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        write_slates(folder / "media", lineup)
        add_video(db, lineup, folder / "media", board_id="dangke", title="党课", seconds=60)
        tokens = {"anonymous": None, "box": pair_device(db, clock.now)[1],
                  "editor": editor_token(db, lineup, clock.now, "editor", boards=("dangke",)),
                  "other_editor": editor_token(db, lineup, clock.now, "other", boards=("wenyu",)),
                  "admin": editor_token(db, lineup, clock.now, "admin", role="admin")}
    return app, tokens


def no_server_error(response, case) -> None:
    """No 500s, and no answer that is not the API's JSON error shape when it refuses."""
    assert response.status_code < 500 or response.status_code == 507, f"{case.method} {case.path}: 5xx"
    if response.status_code >= 400 and case.method != "HEAD":
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        assert body["error"]["message"] and body["error"]["code"]


schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")  # tus PATCH bodies
schema = schemathesis.openapi.from_dict(openapi_spec())


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_fails_or_answers_outside_the_error_shape(fuzzed, role, case, monkeypatch):
    app, tokens = fuzzed
    # Live-event hosts are resolved: the fuzzer's made-up names must not reach a real DNS server.
    monkeypatch.setattr("server.broadcast.live_input.resolve", lambda host: ["203.0.113.5"])
    headers = {"Authorization": f"Bearer {tokens[role]}"} if tokens[role] else {}
    response = case.call(app=app, base_url="http://localhost/api/v1", headers=headers)
    no_server_error(response, case)
