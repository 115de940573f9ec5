"""`keting serve`: the app under gunicorn, with the background runners in its worker.

gunicorn's threaded worker hands the request body to the app as it arrives
on the socket, so a tus PATCH cut mid-way keeps every byte that came
(uploads.append); waitress, used before, spooled whole bodies first and lost
them. WORKERS processes of THREADS threads each: the transcode and channel
runners live in every worker (started after the fork, as threads do not
survive one; leases make one of them do each singleton task),
and when the master is killed the worker notices within a second, exits,
and its ffmpeg children die with it (child_process.py).
"""

from __future__ import annotations

import logging
import os
import shlex

from flask import Flask
from gunicorn.app.base import BaseApplication


class KetingServer(BaseApplication):
    """gunicorn configured from the app's settings, with the runners' life tied to the worker."""

    def __init__(self, app: Flask, host: str, port: int, start_runners, access_log: str = "",
                 when_ready=lambda: True, on_exit=lambda: None):
        self.application = app
        self.bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.start_runners = start_runners
        self.access_log = access_log or None
        self.when_ready, self.on_exit = when_ready, on_exit
        self.runners = []
        super().__init__()

    def load_config(self) -> None:
        """Set gunicorn up from the app's settings (WORKERS gthread workers of THREADS threads, the runner hooks),
        then from GUNICORN_CMD_ARGS, gunicorn's usual way to pass any of its own settings."""
        config = self.application.config
        settings = {
            "bind": [self.bind], "workers": config["WORKERS"], "worker_class": "gthread",
            "threads": config["THREADS"], "timeout": 60, "graceful_timeout": 10, "keepalive": 5,
            "accesslog": self.access_log, "errorlog": "-", "loglevel": "warning", "proc_name": "keting",
            "post_worker_init": self._worker_started, "worker_exit": self._worker_exiting,
            "when_ready": self._ready, "on_exit": lambda _server: self.on_exit(),
        }
        for key, value in settings.items():
            self.cfg.set(key, value)
        extra = os.environ.get("GUNICORN_CMD_ARGS")
        if extra:
            parsed = self.cfg.parser().parse_args(shlex.split(extra))
            for key, value in vars(parsed).items():
                if value is not None and key in self.cfg.settings and key != "args":
                    self.cfg.set(key.lower(), value)

    def load(self) -> Flask:
        """The Flask app gunicorn serves."""
        return self.application

    def _ready(self, server) -> None:
        """The socket listens (connections wait in its backlog until a worker takes them): start the front.
        If it cannot start, stop with exit status 1 (its own message already said why)."""
        if not self.when_ready():
            server.halt(exit_status=1)

    def _worker_started(self, _worker) -> None:
        self.runners = self.start_runners()

    def _worker_exiting(self, _server, _worker) -> None:
        """Stop the runners and end the process at once: Python's normal exit would wait for
        a running transcode to finish; ending now makes its ffmpeg die with us, and the job
        is requeued by the next start (the table is the truth)."""
        for runner in reversed(self.runners):
            runner.stop()
        logging.shutdown()
        os._exit(0)
