"""Article pictures: a real picture is re-encoded; a playlist or list of other files posing as one is refused."""

from __future__ import annotations

import pytest

from server.core.errors import UserError
from server.ingest.pictures import save_image
from tests.server.ingest.test_probe import hostile_lists
from tests.support.clips import ffmpeg


def test_a_picture_becomes_a_plain_jpeg_named_by_its_content(tmp_path):
    png = tmp_path / "map.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360", "-frames:v", "1", "-f", "image2", "-c:v", "png", str(png))
    relative = save_image(png.read_bytes(), tmp_path / "media")
    assert relative.startswith("images/") and relative.endswith(".jpg")
    assert (tmp_path / "media" / relative).read_bytes()[:2] == b"\xff\xd8"


@pytest.mark.parametrize("kind", ["hls", "hls_secret", "concat", "dash"])
def test_a_list_of_other_files_is_not_a_picture(tmp_path, kind):
    with pytest.raises(UserError) as raised:
        save_image(hostile_lists(tmp_path)[kind], tmp_path / "media")
    assert raised.value.message_id == "image.not_image"
    assert list((tmp_path / "media" / "images").glob("*.jpg")) == []
