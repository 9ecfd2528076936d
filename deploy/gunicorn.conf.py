"""gunicorn settings for HSB Pathways, shared by the Dockerfile's CMD, docker compose's `web`
and the production smoke test (tests/production/):

    gunicorn -c deploy/gunicorn.conf.py config.wsgi:application
"""

import os

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
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
