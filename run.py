"""Set-up and entry point for a fresh machine: creates the environments, installs, runs a command.

    python3 run.py demo [ARGS...]          # the main job: `smartstart demo` (pinned environment)
    python3 run.py test [--env ENV] [ARGS] # lint + the whole test suite, in both environments
    python3 run.py smartstart ...          # any smartstart command (pinned environment)

Two environments, each installed again only when what it is made from changes:
  pinned  .venv          the exact versions of requirements/pinned.txt (+ pinned-test.txt): the
                         set to request for CBS's secure environment; demo and smartstart use it
  latest  .venv-latest   the newest release of every dependency, no caps (upgraded again when
                         pyproject.toml changes or the install is a week old)
and `.venv-acro` (requirements/acro.txt) for the ACRO peer test only: ACRO pins pandas<=2.3.3.
`test --env pinned` or `--env latest` runs one of them in this terminal; `test` (`--env both`)
runs the two suites at the same time, each into its own log (test-artifacts/pytest-ENV.log),
and prints each one's summary as it ends (with the end of its log when it fails). ARGS go to
pytest. When both run, they share the disclosure property test's 3,000 tables (2,000 pinned,
1,000 latest: the latest is the slower), the pilot property test's 12 generated pilots (8 and
4, a different fixed set in each) and the languages of the heaviest per-language tests (Dutch
pinned, English latest): see ``_shared``.

Standard library only, so it runs before anything is installed. Works on Linux and Windows.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REQUIREMENTS = ROOT / "requirements"
PINNED = [REQUIREMENTS / "pinned.txt", REQUIREMENTS / "pinned-test.txt"]
ACRO = REQUIREMENTS / "acro.txt"
ENVS = {"pinned": ROOT / ".venv", "latest": ROOT / ".venv-latest"}
ACRO_VENV = ROOT / ".venv-acro"
LATEST_REFRESH = 7 * 24 * 3600  # seconds: the newest releases are looked for again weekly
PROPERTY_EXAMPLES = 3000  # disclosure property tables per CI run, shared by the environments
PILOT_EXAMPLES = 12  # generated pilots of test_disclosure_pilots per CI run, likewise shared
CHROMIUM = Path(os.environ.get("SMARTSTART_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"  # per environment: the browser test's screenshot and PDF
LOGS = ARTIFACTS  # pytest-ENV.log when the environments run at the same time
CACHE = ROOT / ".pytest_cache"  # per environment (they may run at the same time)
PROGRESS_EVERY = 60  # seconds between progress lines while the environments run at once
FAILED_TAIL = 80  # lines of a failing environment's log shown at the end
SLOWEST = 15  # the slowest tests, printed from each log when the environments ran at once
VERSIONS = ("import importlib.metadata as m, sys; print(f'python {sys.version.split()[0]}, ' + "
            "', '.join(f'{p} {m.version(p)}' for p in ('pandas', 'numpy', 'pyarrow', 'duckdb', "
            "'scipy', 'scikit-learn', 'statsmodels')))")


class SetupError(Exception):
    """An environment could not be made; the message says which and what to do."""


def python_of(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint(*files: Path) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


#: held while pip builds the editable install (it writes src/smartstart.egg-info): the
#: environments' dependencies install at the same time, their editable builds one at a time
_EDITABLE = threading.Lock()


def _install(folder: Path, name: str, fingerprint: str, args: list[str],
             max_age: float | None = None, editable: list[str] | None = None) -> Path:
    """Create the venv in `folder` and run `pip install ARGS` (then `pip install EDITABLE`,
    one environment at a time) unless the stamp is current."""
    python, stamp = python_of(folder), folder / ".smartstart-installed"
    if python.exists() and stamp.exists() and stamp.read_text() == fingerprint and (
            max_age is None or time.time() - stamp.stat().st_mtime < max_age):
        return python
    if not python.exists():
        print(f"[run.py] creating the {name} environment in {folder}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    print(f"[run.py] installing the {name} environment", flush=True)
    # not every module compiled at install (that was half of an environment's install time
    # here, 138 -> 87 s): each is compiled at its first import and kept, since the commands
    # run.py starts may write bytecode (``_compiling``)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "install", "--quiet",
           "--no-compile"]
    steps = [([*pip, "--upgrade", "pip"], contextlib.nullcontext()),
             ([*pip, *args], contextlib.nullcontext())]
    if editable:
        steps.append(([*pip, *editable], _EDITABLE))
    for step, turn in steps:
        with turn:
            done = subprocess.run(step, cwd=ROOT).returncode
        if done != 0:
            raise SetupError(f"pip could not install the {name} environment ({folder}); "
                             f"the command was: {' '.join(step)}")
    stamp.write_text(fingerprint)
    return python


def _compiling(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` for the commands run.py starts, without PYTHONDONTWRITEBYTECODE (set on this
    machine and on CI): the environments are installed without compiling, so a module is
    compiled at its first import and the bytecode kept for every later process; with the
    variable set, every process (each spawned worker) compiled its imports from source again
    (CI's tests +150 s when that was tried with the variable left as it was)."""
    return {k: v for k, v in environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def requirements(extra: str = "test") -> list[str]:
    """pyproject's dependencies and those of ``extra`` (with the extras it names of
    smartstart itself): what an environment needs besides smartstart."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    found, todo, seen = list(project["dependencies"]), [extra], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in extras.get(name, []):
            spaced = requirement.replace(" ", "")
            if spaced.startswith("smartstart[") and spaced.endswith("]"):
                todo += spaced[len("smartstart["):-1].split(",")
            else:
                found.append(requirement)
    return found


def ensure_env(env: str = "pinned") -> Path:
    """The python of the pinned or the latest environment, (re)installed when needed: the
    dependencies first (environments may do this at the same time), then smartstart itself
    as an editable install without dependencies."""
    pyproject = ROOT / "pyproject.toml"
    editable = ["--no-deps", "-e", str(ROOT)]
    if env == "pinned":
        constraints = [arg for file in PINNED for arg in ("-c", str(file))]
        return _install(ENVS[env], env, _fingerprint(pyproject, *PINNED),
                        [*constraints, *requirements()], editable=editable)
    return _install(ENVS[env], env, _fingerprint(pyproject),
                    ["--upgrade", "--upgrade-strategy", "eager", *requirements()],
                    max_age=LATEST_REFRESH, editable=editable)


def ensure_acro() -> Path | None:
    """ACRO's own environment for tests/test_disclosure_acro.py; None (and why) if it fails."""
    try:
        return _install(ACRO_VENV, "ACRO peer", _fingerprint(ACRO), ["-r", str(ACRO)])
    except SetupError as error:
        print(f"[run.py] {error}: the ACRO comparison cannot run (it fails on CI)", flush=True)
        return None


def chromium_missing() -> str | None:
    """None when the browser test can run; else the one thing to do, installing it if we may."""
    if CHROMIUM.exists():
        return None
    if sys.platform != "linux":
        return (f"the report's browser test needs Chromium, not found at {CHROMIUM}: set "
                "SMARTSTART_CHROMIUM to a Chromium-based browser (Chrome or Edge), e.g. "
                'set SMARTSTART_CHROMIUM=C:\\Program Files (x86)\\Microsoft\\Edge\\Application'
                "\\msedge.exe")
    if shutil.which("apt-get") is None:
        return (f"the report's browser test needs Chromium at {CHROMIUM}: install your "
                "distribution's chromium package, or set SMARTSTART_CHROMIUM to its path")
    if os.geteuid() != 0:
        return ("the report's browser test needs Debian's Chromium; run:\n"
                "    sudo apt-get install -y chromium")
    print("[run.py] installing Debian's chromium for the report's browser test", flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.run(step, env=quiet).returncode != 0:
            return f"`{' '.join(step)}` failed; install Chromium and run the tests again"
    return None if CHROMIUM.exists() else f"chromium was installed but is not at {CHROMIUM}"


def run_tests(envs: list[str], pytest_args: list[str]) -> int:
    missing = chromium_missing()
    if missing:
        print(f"[run.py] stopped: {missing}", flush=True)
        return 1
    # every environment installs at the same time (ACRO's has no smartstart in it; the
    # editable builds of ours, which write src/smartstart.egg-info, take turns)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1 + len(envs)) as pool:
        acro_install = pool.submit(ensure_acro)
        installs = {env: pool.submit(ensure_env, env) for env in envs}
        pythons = {env: install.result() for env, install in installs.items()}
        acro = acro_install.result()
    lint = subprocess.run([str(pythons[envs[0]]), "-m", "ruff", "check", "src", "tests",
                           "benchmarks", "run.py"], cwd=ROOT)
    if lint.returncode != 0:
        return lint.returncode
    child = _compiling(dict(os.environ))
    if acro is not None:
        child.setdefault("SMARTSTART_ACRO_PYTHON", str(acro))
    runs = []
    for index, (env, python) in enumerate(pythons.items()):
        examples = _shared(index, len(pythons))
        # each environment its own browser artifacts and pytest cache: they may run at once
        own = {"SMARTSTART_ARTIFACTS": str(ARTIFACTS / env)} \
            if "SMARTSTART_ARTIFACTS" not in os.environ else {}
        runs.append(_Suite(env, python, [str(python), "-m", "pytest", "-o",
                                         f"cache_dir={CACHE / env}", f"--durations={SLOWEST}",
                                         *pytest_args],
                           {**child, **examples, **own}))
    for run in runs:
        print(f"[run.py] {run.env} environment ({ENVS[run.env].name}): {run.versions()}",
              flush=True)
    if len(runs) == 1:
        runs[0].run_here()
    else:
        _run_at_once(runs)
    print("", flush=True)
    for run in runs:
        print(f"[run.py] {run.env}: {run.verdict()}", flush=True)
    return _exit_code([run.code for run in runs])


#: when both environments run, the pinned one's share of what they share: the latest is the
#: slower (pandas 3: 7-25 % a test on CI), so it takes a third and both end about together
PINNED_SHARE = 2 / 3


def _shared(index: int, count: int) -> dict[str, str]:
    """What the ``index``-th of ``count`` environments runs of what a CI run shares between
    them (a variable set by hand is left as it is):
    - the disclosure property test's 3,000 tables (2,000 pinned, 1,000 latest);
    - the pilot property test's 12 generated pilots (8 and 4), each environment its own fixed
      set (the first the derandomized set a run by hand draws, the second seed 1's), so that
      a CI run tries 12 different pilots, not the same ones twice (the explicit examples run
      in both);
    - the languages of the heaviest per-language tests (tests/shared_cases.py): Dutch in the
      pinned environment, English in the latest, so that every run tests both once."""
    if count < 2:  # one environment: all 3,000 tables, the pilots' default, both languages
        return {k: v for k, v in {"SMARTSTART_DISCLOSURE_EXAMPLES": str(PROPERTY_EXAMPLES)
                                  }.items() if k not in os.environ}
    share = PINNED_SHARE if index == 0 else 1 - PINNED_SHARE
    found = {"SMARTSTART_DISCLOSURE_EXAMPLES": str(round(PROPERTY_EXAMPLES * share)),
             "SMARTSTART_LANGUAGES": ("nl", "en")[index % 2]}
    if not {"SMARTSTART_PILOT_EXAMPLES", "SMARTSTART_PILOT_SEED"} & set(os.environ):
        found.update(SMARTSTART_PILOT_EXAMPLES=str(round(PILOT_EXAMPLES * share)),
                     SMARTSTART_PILOT_SEED=str(index))
    return {k: v for k, v in found.items() if k not in os.environ}


def _exit_code(codes: list[int | None]) -> int:
    """0 when every suite passed, else the first failure's code (1 for one killed by a signal,
    whose code is negative, or one that never ended)."""
    failed = [code for code in codes if code != 0]
    return 0 if not failed else failed[0] if failed[0] and failed[0] > 0 else 1


class _Suite:
    """One environment's pytest run: in this terminal, or in the background with a log file."""

    def __init__(self, env: str, python: Path, command: list[str], environ: dict) -> None:
        self.env, self.python, self.command, self.environ = env, python, command, environ
        self.log = LOGS / f"pytest-{env}.log"
        self.code: int | None = None
        self.seconds = 0.0
        self.summary = ""

    def versions(self) -> str:
        done = subprocess.run([str(self.python), "-c", VERSIONS], capture_output=True,
                              text=True)
        return done.stdout.strip()

    def run_here(self) -> None:
        print(f"\n[run.py] == tests in the {self.env} environment", flush=True)
        started = time.monotonic()
        self.code = subprocess.run(self.command, cwd=ROOT, env=self.environ).returncode
        self.seconds = time.monotonic() - started

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.log, "w", encoding="utf-8", errors="replace")
        self._started = time.monotonic()
        self._process = subprocess.Popen(self.command, cwd=ROOT, env=self.environ,
                                         stdout=self._handle, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def poll(self) -> bool:
        """True once finished (and then the code, time and pytest's last line are known)."""
        if self.code is None and self._process.poll() is not None:
            self.code, self.seconds = self._process.returncode, time.monotonic() - self._started
            self._handle.close()
            lines = self.tail(1)
            self.summary = lines[-1].strip("= ") if lines else ""
        return self.code is not None

    def stop(self) -> None:
        if self.code is None:
            self._process.terminate()
            self._process.wait()
            self._handle.close()

    def tail(self, count: int) -> list[str]:
        text = self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if line.strip()][-count:]

    def slowest(self) -> list[str]:
        """pytest's ``--durations`` lines from the log: where CI's time goes."""
        text = self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""
        lines = text.splitlines()
        start = next((i for i, line in enumerate(lines) if "slowest" in line and "durations"
                      in line), None)
        if start is None:
            return []
        block = [line for line in lines[start + 1:start + 1 + SLOWEST]
                 if line.strip() and not line.startswith("=")]
        return [f"[run.py] {self.env} slowest: {line.strip()}" for line in block]

    def progress(self) -> str:
        """pytest's last percentage in the log (``-q`` and the default both print one)."""
        text = self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""
        found = text.rfind("%]")
        return text[text.rfind("[", 0, found) + 1:found + 1].strip() if found > 0 else "starting"

    def verdict(self) -> str:
        state = "passed" if self.code == 0 else f"FAILED (pytest exit {self.code})"
        detail = f": {self.summary}" if self.summary else ""
        return f"{state} in {self.seconds:.0f} s{detail}"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _run_at_once(runs: list[_Suite]) -> None:
    """Every environment's suite at the same time (one core each on a 2-core machine), each
    written to its own log; a line of progress now and then, a summary as each one ends, and
    the tail of the log of one that fails."""
    for run in runs:
        run.start()
    print(f"\n[run.py] == tests in {' and '.join(r.env for r in runs)} at the same time; logs: "
          + ", ".join(_shown(r.log) for r in runs), flush=True)
    waiting, last = list(runs), time.monotonic()
    try:
        while waiting:
            time.sleep(1)
            for run in [r for r in waiting if r.poll()]:
                waiting.remove(run)
                print(f"[run.py] {run.env}: {run.verdict()}", flush=True)
                if run.code != 0:
                    print(f"[run.py] the end of {_shown(run.log)}:", flush=True)
                    print("\n".join(run.tail(FAILED_TAIL)), flush=True)
                else:
                    print("\n".join(run.slowest()), flush=True)
            if waiting and time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                print("[run.py] running: " + ", ".join(f"{r.env} {r.progress()}"
                                                       for r in waiting), flush=True)
    finally:
        for run in runs:
            run.stop()


def _split_env(args: list[str]) -> tuple[list[str], list[str]]:
    """`--env pinned|latest|both` (or `--env=...`) out of the test arguments."""
    choice, rest, index = "both", [], 0
    while index < len(args):
        arg = args[index]
        if arg == "--env" and index + 1 < len(args):
            choice, index = args[index + 1], index + 2
            continue
        if arg.startswith("--env="):
            choice = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        index += 1
    if choice not in {"pinned", "latest", "both"}:
        raise SetupError(f"--env {choice}: choose pinned, latest or both")
    return (["pinned", "latest"] if choice == "both" else [choice]), rest


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "smartstart"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "test":
            return run_tests(*_split_env(rest))
        python = ensure_env("pinned")
    except SetupError as error:
        print(f"[run.py] stopped: {error}", flush=True)
        return 1
    if command == "demo":
        rest = ["demo", *rest]
    return subprocess.run([str(python), "-m", "smartstart", *rest], cwd=ROOT,
                          env=_compiling(dict(os.environ))).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
