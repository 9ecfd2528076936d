"""Run one benchmark module on a throwaway PostgreSQL with durable (fsync on) settings.

Shared by scripts/bench and scripts/bench_dashboard.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from run_tests import DURABLE_SERVER_OPTIONS, find_postgres, throwaway_cluster  # noqa: E402


def run(module: str, args: list[str]) -> int:
    binaries = find_postgres()
    if binaries is None:
        print("The benchmark needs PostgreSQL server binaries (apt-get install postgresql).")
        return 3
    python = ROOT / ".venv" / "bin" / "python"
    with throwaway_cluster(binaries, DURABLE_SERVER_OPTIONS) as cluster:
        env = {**os.environ, "DATABASE_URL": cluster.database_url}
        command = [str(python), "-m", module, *args]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
