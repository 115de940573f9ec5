"""Pictures: those put in articles, and thumbnails taken from a video's ladder.

Article pictures are checked by ffprobe, re-encoded to JPEG and stored by content
hash under media/images/. Re-encoding means what is served is always a plain JPEG that ffmpeg wrote:
no EXIF (phone photos carry GPS positions), no file that is also HTML or a
script, whatever the editor uploaded. The picture is shrunk to fit 1920x1080.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import ffmpeg

from server.core.child_process import die_with_parent
from server.core.errors import UserError
from server.ingest.hls_ladder import EncodeError, run_ffmpeg
from server.ingest.input_policy import ladder_options, picture_options, probe_args

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_SIDE = 12000
IMAGE_CODECS = {"mjpeg", "png", "webp", "gif", "bmp", "tiff"}
FOLDER = "images"


def _probe(path: Path, ffprobe: str) -> dict:
    result = subprocess.run([ffprobe, "-v", "error", "-of", "json", "-show_streams", "-show_format",
                             *probe_args(picture_options(), path)],
                            capture_output=True, text=True, timeout=30, check=False, preexec_fn=die_with_parent)
    if result.returncode != 0:
        raise UserError("image.not_image", status=422, error_code="bad_image")
    return json.loads(result.stdout)


def save_image(raw: bytes, media_root: Path, ffmpeg_cmd: str = "ffmpeg", ffprobe: str = "ffprobe") -> str:
    """Check and store one picture; return its path relative to MEDIA_ROOT."""
    if not raw:
        raise UserError("image.empty", status=422, error_code="bad_image")
    if len(raw) > MAX_IMAGE_BYTES:
        raise UserError("image.too_big", status=413, error_code="too_large",
                        mib=f"{len(raw) / 2**20:.1f}", max_mib=MAX_IMAGE_BYTES // 2**20)
    target_dir = media_root / FOLDER
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_dir, prefix=".incoming-") as scratch:
        source = Path(scratch) / "source"
        source.write_bytes(raw)
        info = _probe(source, ffprobe)
        streams = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
        if not streams or streams[0].get("codec_name") not in IMAGE_CODECS:
            raise UserError("image.not_image", status=422, error_code="bad_image")
        width, height = int(streams[0].get("width") or 0), int(streams[0].get("height") or 0)
        if not width or not height or width > MAX_SIDE or height > MAX_SIDE:
            raise UserError("image.bad_size", status=422, error_code="bad_image", width=width, height=height,
                            maximum=MAX_SIDE)
        out = Path(scratch) / "out.jpg"
        node = (ffmpeg.input(str(source), **picture_options()).filter("scale", "min(1920,iw)", "min(1080,ih)",
                                                 force_original_aspect_ratio="decrease")
                .filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2")
                .output(str(out), vframes=1, **{"q:v": 3, "map_metadata": -1}))
        try:
            run_ffmpeg(node, ffmpeg_cmd, timeout_s=60)
        except EncodeError:
            raise UserError("image.not_image", status=422, error_code="bad_image") from None
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:20]
        relative = f"{FOLDER}/{digest}.jpg"
        out.replace(media_root / relative)
    return relative


THUMBS = "thumbs"


def thumbnail_at(media_root: Path, hls_path: str, item_id: int, at_s: float, duration_s: float | None,
                 ffmpeg_cmd: str = "ffmpeg", height: int = 360) -> str:
    """The picture at `at_s` of an item's ladder as its new thumbnail; return its path under MEDIA_ROOT.

    A new name each time, so boxes and browsers that cached the old one fetch the new one.
    """
    if not (isinstance(at_s, int | float) and 0 <= at_s and (duration_s is None or at_s < duration_s)):
        raise UserError("image.bad_moment", value=at_s, duration=round(duration_s or 0))
    target_dir = media_root / THUMBS
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_dir, prefix=".incoming-") as scratch:
        out = Path(scratch) / "thumb.jpg"
        node = (ffmpeg.input(str(media_root / hls_path), ss=f"{at_s:.3f}", **ladder_options())
                .filter("scale", -2, height)
                .output(str(out), vframes=1, **{"q:v": 3}))
        try:
            run_ffmpeg(node, ffmpeg_cmd, timeout_s=60)
        except EncodeError:
            raise UserError("image.no_picture_there", status=422, error_code="bad_image", value=at_s) from None
        if not out.is_file() or out.stat().st_size == 0:
            raise UserError("image.no_picture_there", status=422, error_code="bad_image", value=at_s)
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:12]
        relative = f"{THUMBS}/{item_id}-{digest}.jpg"
        out.replace(media_root / relative)
    return relative
