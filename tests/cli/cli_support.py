"""Shared names for the command-line tests."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

RunCli = Callable[..., Result]
