"""The README's demo command, run for real: it serves the app and the demo DSL can log in."""

import os
import re
import socket
import subprocess
import time
from pathlib import Path

from playwright.sync_api import expect

from demo.area import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_command_serves_the_app_and_the_demo_dsl_logs_in(browser, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = (tmp_path / "demo.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / "scripts" / "demo")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "demo.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the demo did not start serving in time")
        output = (tmp_path / "demo.log").read_text()
        assert "Demo logins" in output and "dsl" in output

        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/accounts/login/")
        page.fill("input[name=username]", "dsl")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/work/$"))
        expect(page.get_by_text("Referrals from Brookfield Primary School")).to_be_visible()
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
