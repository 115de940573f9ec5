"""`keting` runs under umask 022 so media is public; the instance folder, the originals and the database
stay its owner's."""

from __future__ import annotations

import os
import stat

from server import create_app


def test_a_new_site_keeps_its_instance_originals_and_database_to_itself(tmp_path):
    before = os.umask(0o022)
    try:
        app = create_app({"INSTANCE": str(tmp_path / "instance"), "MEDIA_ROOT": str(tmp_path / "media")})
    finally:
        os.umask(before)

    def mode(path) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)
    assert mode(app.instance_path) == 0o700
    assert mode(app.config["ORIGINALS_DIR"]) == 0o700
    assert mode(app.config["DATABASE"]) == 0o600
    assert mode(tmp_path / "media") == 0o755
