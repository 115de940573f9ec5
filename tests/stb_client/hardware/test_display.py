"""Without a desktop the client draws through SDL's KMS/DRM driver; with no screen to open it
says so and how to fix it, instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.skipif(Path("/dev/dri").exists(), reason="this machine has a DRM device: the driver would open it")
def test_the_kms_driver_without_a_screen_fails_with_a_clear_message(tmp_path):
    env = {**os.environ, "SDL_VIDEODRIVER": "kmsdrm", "KETING_STB_STATE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "stb_client.main", "--server", "http://127.0.0.1:9", "run",
                             "--no-evdev", "--remote-port", "0"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert "无法打开屏幕" in result.stderr and "kmsdrm" in result.stderr and "Traceback" not in result.stderr
