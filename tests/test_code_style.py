"""The code base stays ruff clean: lint and format."""

import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_finds_nothing(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, str(REPO)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
