"""gunicorn settings for HSB Pathways, shared by the Dockerfile's CMD, docker compose's `web`
and the production smoke test (tests/production/):

    gunicorn -c deploy/gunicorn.conf.py config.wsgi:application
"""

import os
import tempfile
from typing import Any

# Plain HTTP behind the TLS-terminating proxy (README, "Running in production").
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Two sync workers: on two cores they beat threaded workers (benchmarks/).
workers = 2
worker_class = "sync"

# A request gets 30 s; on SIGTERM, workers finish what they are serving for up to 25 s
# (docker compose gives `web` 30 s before SIGKILL: stop_grace_period).
timeout = 30
graceful_timeout = 25

# The worker heartbeat file on tmpfs: on a container's overlay filesystem a write can stall
# long enough for the arbiter to think a busy worker hung.
if os.path.isdir("/dev/shm"):  # noqa: S108 - the heartbeat file, not data
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Access log to stdout, without query strings or the Referer: both can carry what a user
# searched for, such as a child's name. %(U)s is the path alone; %(h)s is the proxy's
# address (the client's is in the audit trail); %(M)s is the response time in milliseconds.
accesslog = "-"
# The last field is the request id the app sent back (X-Request-ID), as in its log lines.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
errorlog = "-"

# gunicorn's own lines and access lines through the app's logging (config/logging.py): JSON by
# default, with the request id, query strings cut and exception messages withheld (gunicorn's
# "Error handling request" line names the URL with its query). Importable: gunicorn has put
# its working directory, the project, on sys.path before reading this file.
from config.logging import logging_config  # noqa: E402

logconfig_dict = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "json"), level=os.environ.get("LOG_LEVEL", "INFO")
)


# prometheus_client's multiprocess mode (config/metrics.py): each worker writes its samples to
# files in PROMETHEUS_MULTIPROC_DIR, merged at scrape time; with one registry per worker a
# scrape would see only the worker that answered it. Unset, the master makes a private
# directory before any worker starts (workers inherit the environment, and read it when they
# import prometheus_client). Files from an earlier run would be merged in too, so a given
# directory is emptied first; an exited worker's live gauges are dropped.
def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hsb-metrics-")
        return
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Imported here: prometheus_client reads the directory at import, and forked workers
        # inherit the master's modules, so the master must not import it before on_starting.
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
