"""`keting serve`: the app under gunicorn, with the background runners in its worker.

gunicorn's threaded worker hands the request body to the app as it arrives
on the socket, so a tus PATCH cut mid-way keeps every byte that came
(uploads.append); waitress, used before, spooled whole bodies first and lost
them. One worker process with THREADS threads: the transcode and channel
runners live in it (started after the fork, as threads do not survive one),
and when the master is killed the worker notices within a second, exits,
and its ffmpeg children die with it (child_process.py).
"""

from __future__ import annotations

import logging
import os

from flask import Flask
from gunicorn.app.base import BaseApplication


class KetingServer(BaseApplication):
    """gunicorn configured from the app's settings, with the runners' life tied to the worker."""

    def __init__(self, app: Flask, host: str, port: int, start_runners):
        self.application = app
        self.bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.start_runners = start_runners
        self.runners = []
        super().__init__()

    def load_config(self) -> None:
        """Set gunicorn up from the app's settings: one gthread worker of THREADS threads and the runner hooks."""
        config = self.application.config
        settings = {
            "bind": [self.bind], "workers": 1, "worker_class": "gthread", "threads": config["THREADS"],
            "timeout": 60, "graceful_timeout": 10, "keepalive": 5, "accesslog": None, "errorlog": "-",
            "loglevel": "warning", "proc_name": "keting",
            "post_worker_init": self._worker_started, "worker_exit": self._worker_exiting,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The Flask app gunicorn serves."""
        return self.application

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
