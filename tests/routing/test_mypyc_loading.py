"""The mypyc build of the route answer's modules (:mod:`accessibility_rules.mypyc_loading`):
found only for its modules and only when it fits the sources, off when asked, and answering
every request byte for byte as the sources do."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accessibility_rules import mypyc_loading
from accessibility_rules.mypyc_loading import (
    COMPLETE_MARK,
    GROUP_MODULE,
    MYPYC_MODULES,
    build_dir,
    build_key,
    module_file,
)
from tests.conftest import REPO_ROOT

#: Requests compared (every preset, by day and at night, with alternatives and via points).
ANSWERS = 240


def _run(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT,
        env=os.environ | env, check=True, timeout=300,
    )  # fmt: skip
    return done.stdout.strip()


def test_mode_is_auto_or_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUFENLOS_MYPYC", " OFF ")
    assert mypyc_loading.mode() == "off"
    monkeypatch.setenv("STUFENLOS_MYPYC", "")
    assert mypyc_loading.mode() == "auto"
    monkeypatch.setenv("STUFENLOS_MYPYC", "always")
    with pytest.raises(ValueError, match="STUFENLOS_MYPYC must be one of auto, off"):
        mypyc_loading.mode()


def test_the_key_covers_the_compiled_modules_and_names_the_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sources = {p.relative_to(REPO_ROOT).as_posix() for p in mypyc_loading._sources()}
    for name in MYPYC_MODULES:
        assert name.replace(".", "/") + ".py" in sources
    assert "pyproject.toml" in sources
    key = build_key()
    assert key == build_key()
    assert len(key) == 24
    monkeypatch.setenv("STUFENLOS_CACHE_DIR", str(tmp_path))
    assert build_dir() == tmp_path / "mypyc" / key


def test_the_finder_answers_for_its_modules_only(tmp_path: Path) -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    assert module_file(tmp_path, "routing.report") == tmp_path / "routing" / f"report{suffix}"
    assert module_file(tmp_path, GROUP_MODULE) == tmp_path / f"{GROUP_MODULE}{suffix}"
    (tmp_path / "routing").mkdir()
    module_file(tmp_path, "routing.report").write_bytes(b"")
    module_file(tmp_path, "routing.engine").write_bytes(b"")
    finder = mypyc_loading._BuildFinder(tmp_path)
    spec = finder.find_spec("routing.report")
    assert spec is not None
    assert spec.origin == str(module_file(tmp_path, "routing.report"))
    assert isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
    assert finder.find_spec("routing.engine") is None  # not compiled, though a file is there
    assert finder.find_spec("routing.wording") is None  # compiled, but not in this folder


def test_off_imports_the_sources() -> None:
    out = _run(
        "import routing.report, accessibility_rules.mypyc_loading as m;"
        "print(routing.report.__file__, m.compiled_modules(), m.install())",
        STUFENLOS_MYPYC="off",
    )
    assert out == f"{REPO_ROOT / 'routing' / 'report.py'} [] None"


def test_a_build_cut_short_is_not_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "mypyc" / build_key()
    (folder / "routing").mkdir(parents=True)
    module_file(folder, "routing.report").write_bytes(b"not a shared object")  # no COMPLETE_MARK
    out = _run(
        "import sys, accessibility_rules.mypyc_loading as m;"
        "print(m.install(), any(isinstance(f, m._BuildFinder) for f in sys.meta_path))",
        STUFENLOS_CACHE_DIR=str(tmp_path),
    )
    assert out == "None False"
    (folder / COMPLETE_MARK).write_text("")
    out = _run(
        "import accessibility_rules.mypyc_loading as m; print(m.install())",
        STUFENLOS_CACHE_DIR=str(tmp_path),
    )
    assert out == str(folder)


def _digests(graph_dir: Path, mode: str) -> dict[str, Any]:
    out = _run(
        f"from tests.routing.answer_digests import main; main([{str(graph_dir)!r}, '{ANSWERS}'])",
        STUFENLOS_MYPYC=mode,
    )
    return dict(json.loads(out.splitlines()[-1]))


@pytest.mark.realdata
@pytest.mark.slow
def test_the_build_answers_byte_for_byte_as_the_sources(kaiserslautern_graph: Any) -> None:
    """Both in their own process over the same requests: the answers' bodies are the same."""
    if not (build_dir() / COMPLETE_MARK).is_file():
        pytest.skip("no mypyc build of these sources (make mypyc, which make test runs, makes it)")
    built = _digests(kaiserslautern_graph.out_dir, "auto")
    sources = _digests(kaiserslautern_graph.out_dir, "off")
    assert built["compiled"] == list(MYPYC_MODULES)
    assert sources["compiled"] == []
    assert len(built["digests"]) == ANSWERS
    assert sum(len(d) == 64 for d in sources["digests"]) > ANSWERS * 0.8  # mostly routes
    differ = [
        i
        for i, (a, b) in enumerate(zip(built["digests"], sources["digests"], strict=True))
        if a != b
    ]
    assert differ == []
