"""The demo as `./scripts/demo` runs it: on its embedded SQLite, whatever the suite runs on.

The engine writes a case's rows in one statement of data-modifying CTEs on PostgreSQL, which
SQLite does not have; the demo takes the statements one at a time (cases/process/task_rows.py).
The suite runs on PostgreSQL, so this runs the demo's own commands in a child process on a
scratch SQLite file to keep that path working.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*argv: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv: manage.py and its commands
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(argv)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_demo_loads_and_its_trail_verifies_on_sqlite(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "AUDIT_ANCHOR_DIR": str(tmp_path / "anchors"),
    }
    _manage("migrate", "--noinput", "-v", "0", env=env)
    _manage("load_demo_area", env=env)
    _manage("seal_audit_trail", "--export-anchor", env=env)
    assert "audit trail intact" in _manage("verify_audit_trail", env=env)
    shell = _manage(
        "shell",
        "-c",
        "from cases.models import Case; from viewflow.workflow.models import Task;"
        " print(Case.objects.count(), Task.objects.filter(status='NEW').count())",
        env=env,
    )
    cases, open_tasks = map(int, shell.splitlines()[-1].split())
    # Forty children; every case not closed has its stage's open task, as on PostgreSQL.
    assert cases >= 40 and open_tasks > 0
