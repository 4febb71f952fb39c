"""Run the `tabadol` command line in-process against the test's database (both backends)."""

from __future__ import annotations

import pytest
from cli_support import RunCli
from click.testing import Result
from typer.testing import CliRunner

from tabadol.cli import app
from tabadol.config import Settings


@pytest.fixture
def run_cli(settings: Settings) -> RunCli:
    """`run_cli("agency", "list")`: the command's Result (exit_code, stdout, stderr); `env_extra` adds
    TABADOL_* settings for one call."""
    runner = CliRunner()
    env = {"TABADOL_DATABASE_URL": settings.database_url, "TABADOL_DATA_DIR": str(settings.data_dir)}

    def run(*args: str, env_extra: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env={**env, **(env_extra or {})}, catch_exceptions=False)

    return run
