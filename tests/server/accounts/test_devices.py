"""Pairing a box, collecting its token, revoking it: through the HTTP API."""

from __future__ import annotations

import pytest

from server.accounts.devices import approve_device, revoke_device
from server.accounts.organisations import add_organisation
from server.web.context import clock, get_db


def register(client, serial="SN-1", **extra):
    response = client.post("/api/v1/devices", json={"serial": serial, "name": "客厅", **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def poll(client, device_code):
    return client.post("/api/v1/devices/token", json={"device_code": device_code})


def approve(app, code, org_id=None):
    with app.app_context():
        return approve_device(get_db(), code, org_id, clock())


def test_register_approve_collect_token_once(app, client):
    reg = register(client)
    assert len(reg["pairing_code"]) == 6 and reg["pairing_code"].isdigit()
    assert reg["expires_in"] == app.config["PAIRING_CODE_TTL"] and reg["interval"] > 0
    pending = poll(client, reg["device_code"])
    assert pending.status_code == 202
    assert pending.get_json() == {"status": "pending", "pairing_code": reg["pairing_code"],
                                  "expires_in": reg["expires_in"], "interval": reg["interval"]}
    with app.app_context():
        street = add_organisation(get_db(), "太平街道", "subdistrict").id
    device = approve(app, reg["pairing_code"], street)
    assert (device.state, device.org_id) == ("approved", street)
    claimed = poll(client, reg["device_code"])
    assert claimed.status_code == 200 and claimed.headers["Cache-Control"] == "no-store"
    token = claimed.get_json()["token"]
    assert client.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # The device code is spent: a second claim cannot mint another token.
    assert poll(client, reg["device_code"]).status_code == 404
    with app.app_context():
        stored = get_db().execute("SELECT token_hash, device_code_hash FROM devices").fetchone()
    assert stored["token_hash"] != token and stored["device_code_hash"] is None


def test_pairing_code_expires(app, client, clock):
    reg = register(client)
    clock.advance(seconds=app.config["PAIRING_CODE_TTL"])
    with pytest.raises(Exception) as raised:
        approve(app, reg["pairing_code"])
    assert raised.value.status == 404
    expired = poll(client, reg["device_code"])
    assert (expired.status_code, expired.get_json()["error"]["code"]) == (410, "pairing_expired")
    assert poll(client, reg["device_code"]).status_code == 404  # the row is gone


def test_someone_registering_the_same_serial_cannot_cancel_a_pending_pairing(app, client):
    """Serials are printed on the box: an anonymous request must not delete another registration's row.
    Both stay pending; the administrator approves the code the TV shows, and the other is revoked."""
    first = register(client, "SN-9")
    second = register(client, "SN-9")  # a stranger, or the same box after losing its device code
    assert poll(client, first["device_code"]).status_code == 202
    assert poll(client, second["device_code"]).status_code == 202
    approve(app, first["pairing_code"])
    assert poll(client, first["device_code"]).get_json()["status"] == "approved"
    assert poll(client, second["device_code"]).status_code == 403  # revoked: it never gets a token


def test_re_pairing_a_box_revokes_its_old_token(app, client):
    old = register(client, "SN-5")
    approve(app, old["pairing_code"])
    old_token = poll(client, old["device_code"]).get_json()["token"]
    new = register(client, "SN-5")
    # Until the new registration is approved the old token keeps working.
    assert client.get("/api/v1/boards", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    approve(app, new["pairing_code"])
    assert client.get("/api/v1/boards", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    new_token = poll(client, new["device_code"]).get_json()["token"]
    assert client.get("/api/v1/boards", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200


def test_revoked_token_is_refused_at_once(app, client, auth):
    assert client.get("/api/v1/boards", headers=auth).status_code == 200
    with app.app_context():
        device_id = get_db().execute("SELECT id FROM devices").fetchone()[0]
        revoke_device(get_db(), device_id, clock())
    response = client.get("/api/v1/boards", headers=auth)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_box_polling_its_device_code_is_told_so(app, client):
    reg = register(client)
    device = approve(app, reg["pairing_code"])
    with app.app_context():
        get_db().execute("UPDATE devices SET state = 'revoked' WHERE id = ?", [device.id])
    answer = poll(client, reg["device_code"])
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "revoked")


@pytest.mark.parametrize("headers, code", [
    ({}, "token_missing"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "token_missing"),
    ({"Authorization": "Bearer "}, "token_missing"),
    ({"Authorization": "Bearer not-a-token"}, "token_invalid"),
])
def test_token_checks(client, device_token, headers, code):
    response = client.get("/api/v1/boards", headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, code)


def test_pending_box_has_no_token_to_use(client):
    reg = register(client)
    response = client.get("/api/v1/boards", headers={"Authorization": f"Bearer {reg['device_code']}"})
    assert response.status_code == 401


def test_last_seen_is_written_at_most_once_per_interval(app, client, auth, clock):
    def last_seen():
        with app.app_context():
            return get_db().execute("SELECT last_seen_at FROM devices").fetchone()[0]
    client.get("/api/v1/boards", headers=auth)
    first = last_seen()
    assert first is not None
    clock.advance(seconds=app.config["DEVICE_SEEN_INTERVAL"] - 1)
    client.get("/api/v1/boards", headers=auth)
    assert last_seen() == first
    clock.advance(seconds=1)
    client.get("/api/v1/boards", headers=auth)
    assert last_seen() > first


@pytest.mark.parametrize("body", [
    {}, {"serial": ""}, {"serial": 12345}, {"serial": "x" * 65}, {"serial": "ok", "name": "n" * 65},
    {"serial": "bad\nserial"},
])
def test_bad_registration_is_refused_with_the_field_named(client, body):
    response = client.post("/api/v1/devices", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_field" and ("serial" in error["message"] or "name" in error["message"])


@pytest.mark.parametrize("body", [{}, {"device_code": ""}, {"device_code": 5}])
def test_bad_token_poll_is_refused(client, body):
    assert client.post("/api/v1/devices/token", json=body).status_code == 400


def test_one_address_may_not_flood_the_pending_list(client, clock):
    def register(n: int, address: str = "192.0.2.7"):
        return client.post("/api/v1/devices", json={"serial": f"SN-FLOOD-{n}"},
                           environ_base={"REMOTE_ADDR": address})
    for n in range(20):
        assert register(n).status_code == 201
    refused = register(20)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert "20 台" in refused.json["error"]["message"] and "60 分钟" in refused.json["error"]["message"]
    assert register(21, "192.0.2.8").status_code == 201  # another address is not held up
    clock.advance(minutes=60, seconds=1)
    assert register(22).status_code == 201
