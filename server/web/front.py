"""`keting serve`'s front: nginx, started and stopped with the app, so no viewer's file touches Python.

nginx listens on HOST:PORT and serves media/, the written channel playlists
and the guide files itself; everything else goes to gunicorn on a loopback
port of its own. It runs in the foreground as keting serve's child from a
configuration generated into the instance folder at every start (nginx_site.py),
and dies with it (child_process.py): no stale nginx holds the port after a
crash. Started as root, nginx's workers run as www-data (or nobody), never
root, which is why media files are world-readable (core/media_permissions.py);
if that user cannot even reach the media folder, there is no front.

FRONT_SERVER chooses: "auto" (nginx when it is installed, else Python
serves everything with a warning), "nginx" (refuse to start without it) or
"none" (another web server is in front, deploy/nginx).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from server.core.child_process import stop_with_parent
from server.core.errors import UserError
from server.web.nginx_site import site_config, standalone_config

# nginx lives in /usr/sbin, which is not on every user's PATH.
SYSTEM_PATHS = ("/usr/sbin", "/sbin", "/usr/local/sbin")
START_DEADLINE_S = 10.0
WORKER_USERS = ("www-data", "nobody")
FRONT_CHOICES = ("auto", "nginx", "none")


def find_nginx(executable: str) -> str | None:
    """The nginx executable named by the NGINX setting, looked for on PATH and in the sbin folders."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_PATHS])
    return shutil.which(executable, path=search)


def _can_read(user: pwd.struct_passwd, path: Path) -> bool:
    """Whether `user` may enter every folder down to `path` and read it (by the mode bits)."""
    groups = {user.pw_gid} | {g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem}
    for part in [*reversed(path.parents), path]:
        mode = os.stat(part)
        need = stat.S_IXOTH | (stat.S_IROTH if part == path else 0)
        if mode.st_uid == user.pw_uid:
            need <<= 6
        elif mode.st_gid in groups:
            need <<= 3
        if mode.st_mode & need != need:
            return False
    return True


def worker_user(media_root: Path) -> tuple[str | None, dict | None]:
    """Who nginx's workers run as; or, when they could not read the media, the facts to say so.

    Not root: nginx runs as this user (None, None). Root: www-data (else nobody),
    never root itself: if that user cannot reach the media folder (a site under
    /root), the front cannot work and the second value names the problem.
    """
    if os.geteuid() != 0:
        return None, None
    for name in WORKER_USERS:
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        if _can_read(user, media_root):
            return name, None
        return None, {"user": name, "path": str(media_root)}
    return None, {"user": WORKER_USERS[-1], "path": str(media_root)}


@dataclass
class NginxFront:
    """One nginx in front of one `keting serve` process."""

    nginx: str
    folder: Path
    media_root: Path
    media_path: str
    signing_key: str
    listen: str
    upstream: str
    access_log: str = ""
    guide_files: bool = False
    user: str | None = None  # the workers' account when started as root (worker_user)
    behind_proxies: int = 0
    process: subprocess.Popen | None = None
    temp: Path | None = None

    def configuration(self) -> str:
        """The whole nginx.conf this front runs."""
        site = site_config(media_root=self.media_root, signing_key=self.signing_key, listen=self.listen,
                           upstream=self.upstream, media_path=self.media_path, guide_files=self.guide_files,
                           behind_proxies=self.behind_proxies)
        return standalone_config(site, self.folder, user=self.user, access_log=self.access_log, workers="auto",
                                 temp=self.temp)

    def start(self, port: int) -> None:
        """Write the configuration (readable by its owner only: it holds the signing key) and start nginx;
        return once it listens on `port`. A failure (the port taken, a bad setting) is a UserError naming it."""
        if _listening(self.listen_host(), port):  # another server has it: nginx would fail, and we would not see it
            raise UserError("front.port_taken", address=self.listen)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Request bodies nginx buffers go to a folder of their own that its workers can enter (the
        # instance folder is private); nginx makes the subfolders, owned by the workers' user.
        self.temp = Path(tempfile.mkdtemp(prefix="keting-nginx-"))
        self.temp.chmod(0o711)
        conf = self.folder / "nginx.conf"
        descriptor = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(self.configuration())
        error_log = self.folder / "error.log"
        error_log.unlink(missing_ok=True)
        self.process = subprocess.Popen([self.nginx, "-c", str(conf), "-p", str(self.folder), "-e", str(error_log)],
                                        stdin=subprocess.DEVNULL, preexec_fn=stop_with_parent)
        deadline = time.monotonic() + START_DEADLINE_S
        while not _listening(self.listen_host(), port) or self.process.poll() is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = error_log.read_text("utf-8", "replace")[-600:] if error_log.exists() else ""
                raise UserError("front.nginx_failed", address=self.listen, detail=tail.strip())
            time.sleep(0.05)  # waiting for nginx to bind, bounded by the deadline

    def listen_host(self) -> str:
        """The address part of `listen`, without IPv6 brackets."""
        return self.listen.rpartition(":")[0].strip("[]")

    def stop(self) -> None:
        """Stop nginx at once (its workers end their current answers), wait for it, drop its temporary folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)


def _listening(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port (a wildcard address is asked on loopback)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        socket.create_connection((target, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def loopback_port() -> int:
    """A free port on 127.0.0.1 for gunicorn behind the front."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listen_address(host: str, port: int) -> str:
    """nginx's listen value for host:port (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
