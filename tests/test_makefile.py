"""The Makefile's choice of the venv's interpreter (README, "Requirements").

``make`` makes ``.venv/`` with the distribution's own CPython (``SYSTEM_PYTHON``, by default
``/usr/bin/python3``: Debian's is built with profile-guided and link-time optimisation) when that
is ≥ 3.11 and can make a venv with pip, else with the first ``python3`` on ``PATH``; ``make
PYTHON=…`` overrides both. Read with a one-line makefile added after the project's, so nothing
is installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chosen_python(*assignments: str) -> str:
    """``$(PYTHON)`` as the Makefile computes it with the command-line ``assignments``."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "-f", "Makefile", "-f", "-", "show-python", *assignments],
        input="show-python:\n\t@echo $(PYTHON)\n", cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_usable_system_interpreter_is_chosen() -> None:
    """This interpreter is ≥ 3.11 with ``venv`` and ``ensurepip``: chosen as the system's."""
    assert chosen_python(f"SYSTEM_PYTHON={sys.executable}") == sys.executable


def test_no_system_interpreter_falls_back_to_python3_on_the_path() -> None:
    assert chosen_python("SYSTEM_PYTHON=/nonexistent/python3") == "python3"


def test_an_unusable_system_interpreter_falls_back(tmp_path: Path) -> None:
    """One that fails the check (too old, or without ``venv``/``ensurepip``: exit status 1)."""
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    assert chosen_python(f"SYSTEM_PYTHON={fake}") == "python3"


def test_python_given_on_the_command_line_wins() -> None:
    assert chosen_python("PYTHON=/opt/python3.13/bin/python3") == "/opt/python3.13/bin/python3"
