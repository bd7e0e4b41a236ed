"""The peers of ``bench_peers.py`` made ready: their environment, their data, their servers.

OSRM and Valhalla come as wheels for Python ≥ 3.12 only: :func:`ensure_peer_env` finds such an
interpreter and makes a virtual environment of its own under ``$STUFENLOS_CACHE_DIR/peers/venv``
with ``osrm-bindings``, ``pyvalhalla`` and ``osmium``; :func:`prepare_pbf`,
:func:`prepare_osrm` and :func:`prepare_valhalla` convert the OSM source and build each peer's
data, cached under ``$STUFENLOS_CACHE_DIR/peers/<area>/`` keyed by the source's SHA-256;
:class:`PeerServer` runs ``osrm-routed`` or ``valhalla_service`` on a free loopback port. A peer
that cannot be installed or prepared raises :class:`PeerUnavailableError`: the benchmark skips it
with a one-line message.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _support import HOST, Server

__all__ = [
    "MIN_PYTHON",
    "PEER_PACKAGES",
    "PEER_THREADS",
    "PREP_TIMEOUT_S",
    "PeerEnv",
    "PeerServer",
    "PeerUnavailableError",
    "ensure_peer_env",
    "find_peer_python",
    "prepare_osrm",
    "prepare_pbf",
    "prepare_valhalla",
    "say",
    "started",
    "valhalla_config",
]


PEER_THREADS = 2  # valhalla_service / osrm-routed worker threads: the same two cores' worth


MIN_PYTHON = (3, 12)
PEER_PACKAGES = {"osmium": "osmium", "osrm": "osrm-bindings", "valhalla": "pyvalhalla"}
PREP_TIMEOUT_S = 900


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"bench_peers: {message}", file=sys.stderr, flush=True)


class PeerUnavailableError(Exception):
    """A peer cannot be installed, prepared or started; the message is its one-line reason."""


def _python_version(executable: str) -> tuple[int, int] | None:
    """(major, minor) of a Python executable, or None when it does not run (pyenv shims of
    versions that are not active exit non-zero)."""
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        major, minor = out.stdout.split()
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def find_peer_python(option: str | None) -> str | None:
    """A Python ≥ 3.12 for the peers' wheels: ``--peer-python``, ``$STUFENLOS_PEER_PYTHON``,
    ``python3.13``/``python3.12`` on PATH, then pyenv's versions, newest first."""
    candidates: list[str] = []
    for explicit in (option, os.environ.get("STUFENLOS_PEER_PYTHON")):
        if explicit:
            candidates.append(explicit)
    for name in ("python3.13", "python3.12"):
        if found := shutil.which(name):
            candidates.append(found)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        versions = sorted(pyenv.glob("3.1[2-9]*"), key=lambda p: _version_key(p.name), reverse=True)
        for version in versions:
            candidates.extend(str(p) for p in sorted(version.glob("bin/python3.1[2-9]")))
    for candidate in candidates:
        found_version = _python_version(candidate)
        if found_version is not None and found_version >= MIN_PYTHON:
            return candidate
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) if x.isdigit() else 0 for x in name.split("."))


@dataclass
class PeerEnv:
    """The peers' own virtual environment: its Python and where each installed package lives."""

    python: Path
    package_dirs: dict[str, Path] = field(default_factory=dict)  # import name → folder
    versions: dict[str, str] = field(default_factory=dict)  # import name → version
    missing: dict[str, str] = field(default_factory=dict)  # import name → reason


_LOCATE = """
import importlib.metadata as md, importlib.util, json, sys
out = {}
for name, dist in json.loads(sys.argv[1]).items():
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        continue
    out[name] = [list(spec.submodule_search_locations)[0], md.version(dist)]
print(json.dumps(out))
"""


def _locate(python: Path) -> dict[str, list[str]]:
    out = subprocess.run(
        [str(python), "-c", _LOCATE, json.dumps(PEER_PACKAGES)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    located: dict[str, list[str]] = json.loads(out.stdout)
    return located


def ensure_peer_env(cache: Path, python_option: str | None) -> PeerEnv:
    """The venv under ``cache/peers/venv`` with the peers' wheels, made and filled on first use
    (each package installed on its own, so one that fails does not stop the others)."""
    venv = cache / "peers" / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        base = find_peer_python(python_option)
        if base is None:
            raise PeerUnavailableError(
                "no Python >= 3.12 found (the osrm-bindings and pyvalhalla wheels need one; "
                "give it with --peer-python or STUFENLOS_PEER_PYTHON)"
            )
        say(f"creating the peers' venv {venv} with {base}")
        try:
            subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, timeout=300, check=True)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            raise PeerUnavailableError(f"cannot create a venv with {base}: {exc}") from exc
    env = PeerEnv(python=python)
    located = _locate(python)
    for name, dist in PEER_PACKAGES.items():
        if name in located:
            continue
        say(f"pip install {dist} into {venv}")
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", dist]
        done = subprocess.run(pip, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            env.missing[name] = f"pip install {dist} failed: {last}"
    located = _locate(python)
    for name in PEER_PACKAGES:
        if name in located:
            env.package_dirs[name] = Path(located[name][0])
            env.versions[name] = located[name][1]
        else:
            env.missing.setdefault(name, f"{PEER_PACKAGES[name]} is not importable")
    return env


def _run(command: list[str], log: Path, cwd: Path | None = None) -> None:
    """Run a preparation step, its output appended to ``log``; raise PeerUnavailableError naming the
    step and the log when it fails."""
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        try:
            subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                           timeout=PREP_TIMEOUT_S, check=True)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise PeerUnavailableError(
                f"{Path(command[0]).name} failed ({exc}); see {log}"
            ) from exc


_TO_PBF = """
import osmium, sys
writer = osmium.SimpleWriter(sys.argv[2])
try:
    for obj in osmium.FileProcessor(sys.argv[1]):
        writer.add(obj)
finally:
    writer.close()
"""


def _stamp_ok(folder: Path, stamp: dict[str, str]) -> bool:
    path = folder / "done.json"
    return path.exists() and json.loads(path.read_text()) == stamp


def _stamp(folder: Path, stamp: dict[str, str]) -> None:
    (folder / "done.json").write_text(json.dumps(stamp, indent=1) + "\n")


def prepare_pbf(env: PeerEnv, area_dir: Path, source: Path, sha: str) -> Path:
    """The area's OSM data as PBF (Valhalla reads PBF only; OSRM gets the same file)."""
    if "osmium" not in env.package_dirs:
        raise PeerUnavailableError(env.missing["osmium"] + " (needed to write PBF)")
    folder = area_dir / "pbf"
    pbf = folder / "area.osm.pbf"
    stamp = {"source_sha256": sha, "osmium": env.versions["osmium"]}
    if _stamp_ok(folder, stamp) and pbf.exists():
        return pbf
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    say(f"converting {source.name} to PBF")
    _run([str(env.python), "-c", _TO_PBF, str(source), str(pbf)], folder / "prepare.log")
    _stamp(folder, stamp)
    return pbf


def prepare_osrm(env: PeerEnv, area_dir: Path, pbf: Path, sha: str) -> tuple[Path, Path]:
    """OSRM's contraction hierarchy of the area with the foot profile; (osrm-routed, base)."""
    if "osrm" not in env.package_dirs:
        raise PeerUnavailableError(env.missing["osrm"])
    osrm = env.package_dirs["osrm"]
    binaries, profile = osrm / "bin", osrm / "share" / "profiles" / "foot.lua"
    folder = area_dir / "osrm"
    base = folder / "area.osrm"
    stamp = {"source_sha256": sha, "osrm-bindings": env.versions["osrm"], "profile": "foot.lua"}
    if not _stamp_ok(folder, stamp):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copyfile(pbf, folder / "area.osm.pbf")
        log = folder / "prepare.log"
        say("OSRM: osrm-extract (foot.lua) and osrm-contract")
        t = str(PEER_THREADS)
        _run([str(binaries / "osrm-extract"), "-p", str(profile), "-t", t, "area.osm.pbf"], log, folder)  # fmt: skip
        _run([str(binaries / "osrm-contract"), "-t", t, "area.osrm"], log, folder)
        (folder / "area.osm.pbf").unlink()
        _stamp(folder, stamp)
    return binaries / "osrm-routed", base


def prepare_valhalla(env: PeerEnv, area_dir: Path, pbf: Path, sha: str) -> tuple[Path, Path]:
    """Valhalla's routing tiles of the area and a config naming them; (valhalla_service,
    config). The config's sockets are replaced per run (``valhalla_config``)."""
    if "valhalla" not in env.package_dirs:
        raise PeerUnavailableError(env.missing["valhalla"])
    binaries = env.package_dirs["valhalla"] / "bin"  # the real executables, not the wrappers
    folder = area_dir / "valhalla"
    config = folder / "valhalla.json"
    stamp = {"source_sha256": sha, "pyvalhalla": env.versions["valhalla"]}
    if not _stamp_ok(folder, stamp):
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "tiles").mkdir(parents=True)
        log = folder / "prepare.log"
        say("Valhalla: valhalla_build_config and valhalla_build_tiles")
        build_config = [
            str(env.python), "-m", "valhalla.valhalla_build_config",
            "--mjolnir-tile-dir", str(folder / "tiles"), "--mjolnir-tile-extract", "",
            "--mjolnir-timezone", "", "--mjolnir-admin", "",
            "--mjolnir-concurrency", str(PEER_THREADS),
        ]  # fmt: skip
        text = _capture(build_config, log)
        config.write_text(text[text.index("{") :])
        _run([str(binaries / "valhalla_build_tiles"), "-c", str(config), str(pbf)], log, folder)
        if not any((folder / "tiles").iterdir()):
            raise PeerUnavailableError(f"valhalla_build_tiles wrote no tiles; see {log}")
        _stamp(folder, stamp)
    return binaries / "valhalla_service", config


def _capture(command: list[str], log: Path) -> str:
    """Run ``command`` and return its stdout (stderr to ``log``)."""
    with log.open("ab") as err:
        try:
            out = subprocess.run(command, stdout=subprocess.PIPE, stderr=err,
                                 timeout=PREP_TIMEOUT_S, check=True)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise PeerUnavailableError(
                f"{' '.join(command[:4])} failed ({exc}); see {log}"
            ) from exc
    return out.stdout.decode()


def valhalla_config(config: Path, folder: Path, port: int) -> Path:
    """A copy of ``config`` listening on ``port`` with its internal sockets in ``folder`` (the
    defaults under /tmp would collide with any other Valhalla on the machine)."""
    data = json.loads(config.read_text())
    service = data["httpd"]["service"]
    service["listen"] = f"tcp://{HOST}:{port}"
    service["loopback"] = f"ipc://{folder}/loopback"
    service["interrupt"] = f"ipc://{folder}/interrupt"
    path = folder / "valhalla.json"
    path.write_text(json.dumps(data))
    return path


class PeerServer:
    """A peer's HTTP server as a child process in its own session (stopped with its group)."""

    def __init__(self, name: str, command: list[str], port: int, log: Path, probe: str) -> None:
        self.name, self.port, self.probe, self.log_path = name, port, probe, log
        self.base = f"http://{HOST}:{port}"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def wait_healthy(self, timeout_s: float = 60.0) -> None:
        """Poll ``probe`` until the server answers at all (any HTTP status); bounded."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise PeerUnavailableError(f"{self.name} exited with {self.process.returncode}: {self.tail()}")  # fmt: skip
            try:
                httpx.get(self.base + self.probe, timeout=2.0)
                return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise PeerUnavailableError(f"{self.name} not answering after {timeout_s:.0f} s: {self.tail()}")  # fmt: skip
            time.sleep(0.2)

    def tail(self) -> str:
        self.log.flush()
        return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-3:])

    def stop(self) -> None:
        """SIGTERM to the group, wait; SIGKILL if it does not stop within 10 s."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


@contextlib.contextmanager
def started(servers: list[PeerServer | Server]) -> Iterator[None]:
    """Stop every server on leaving, whatever happened."""
    try:
        yield
    finally:
        for s in servers:
            with contextlib.suppress(Exception):
                s.stop()
