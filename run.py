"""Set-up and entry point for a fresh machine: creates `.venv`, installs smartstart, runs a command.

    python3 run.py demo [ARGS...]   # the main job: `smartstart demo`
    python3 run.py test [ARGS...]   # lint + the whole test suite
    python3 run.py smartstart ...   # any smartstart command inside the environment

Standard library only, so it runs before anything is installed. Works on Linux and Windows.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".smartstart-installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    """Create the virtual environment and (re)install when pyproject.toml changed."""
    if not PYTHON.exists():
        print(f"[run.py] creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("[run.py] installing smartstart and its test tools", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "smartstart"}:
        print(__doc__)
        return 2
    ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "test":
        lint = subprocess.run([str(PYTHON), "-m", "ruff", "check", "src", "tests", "benchmarks"])
        if lint.returncode != 0:
            return lint.returncode
        return subprocess.run([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT).returncode
    if command == "demo":
        rest = ["demo", *rest]
    return subprocess.run([str(PYTHON), "-m", "smartstart", *rest], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
