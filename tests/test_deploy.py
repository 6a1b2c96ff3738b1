"""`manage.py check --deploy` passes with production settings from the environment, and says
what is missing when they are not set."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def run_check(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "WANGGE_DEBUG": "0",
    "WANGGE_SECRET_KEY": "k" * 20 + Fernet.generate_key().decode(),
    "WANGGE_ALLOWED_HOSTS": "wangge.example.org",
    "WANGGE_SECURE": "1",
    "WANGGE_PII_KEY": Fernet.generate_key().decode(),
    "WANGGE_PII_INDEX_KEY": Fernet.generate_key().decode(),
}


def test_production_settings_pass_the_deploy_check():
    result = run_check(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_production_settings_are_named():
    result = run_check({"WANGGE_DEBUG": "0"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for name in ("WANGGE_SECRET_KEY", "WANGGE_PII_KEY"):
        assert name in output


def test_a_malformed_encryption_key_is_refused():
    result = run_check({**PRODUCTION, "WANGGE_PII_KEY": "too-short"})
    assert result.returncode != 0 and "wangge.E003" in result.stdout + result.stderr


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
