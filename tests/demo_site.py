"""A real demo site for tests: a fresh SQLite file built by the real commands, served by gunicorn
in its own process, exactly as scripts/demo.sh does."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def site_env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_") and k != "DATABASE_URL"}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
            "WANGGE_DEBUG": "0",
            "WANGGE_STATIC_ROOT": str(folder / "static"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def build_demo(folder: Path, seed: int = 1) -> dict:
    env = site_env(folder)
    manage(env, "migrate", "--noinput", "-v0")
    output = manage(env, "demo_city", "--seed", str(seed), "--scale", "small")
    return {"env": env, "output": output, "database": folder / "demo.sqlite3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.demo = build_demo(folder)
        manage(self.demo["env"], "collectstatic", "--noinput", "-v0")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(folder / "server.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2"],
            cwd=ROOT,
            env=self.demo["env"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("demo server did not start: " + (folder / "server.log").read_text())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
