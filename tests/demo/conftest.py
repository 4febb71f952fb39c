"""Run the `tabadol` command line in-process against the test's database (both backends)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tabadol.cli import app
from tabadol.config import Settings


@pytest.fixture
def run_cli(settings: Settings) -> Callable[..., Result]:
    """`run_cli("agency", "list")`: the command's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()
    env = {"TABADOL_DATABASE_URL": settings.database_url, "TABADOL_DATA_DIR": str(settings.data_dir)}

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run
