"""The box installs without the server's stack: the client imports none of it."""

from __future__ import annotations

import configparser
import subprocess
import sys

from tests.conftest import REPO

SERVER_ONLY = ["flask", "werkzeug", "sqlite_utils", "yaml", "nh3", "markdown_it", "apscheduler", "ffmpeg",
               "gunicorn", "server"]


def test_client_modules_import_with_the_server_stack_absent():
    blocker = "; ".join(f"sys.modules[{name!r}] = None" for name in SERVER_ONLY)
    code = (f"import sys; {blocker}; import stb_client.main, stb_client.link.server_api, stb_client.app, "
            "stb_client.ui.navigation, stb_client.ui.render_model, stb_client.hardware.key_input, keting_i18n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_the_box_extra_holds_only_the_player_the_screen_and_the_remote_and_a_server_gets_none_of_them():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    assert "install_requires" not in config["options"], "a server install must not get the box's packages"
    extra = [line.strip() for line in config["options.extras_require"]["stb"].splitlines()
             if line.strip() and not line.strip().startswith("#")]
    assert [r.split(">")[0].split("=")[0] for r in extra] == ["python-vlc", "pygame-ce", "python-xlib", "evdev"]
