"""The OpenAPI document matches behaviour over real HTTP: schemathesis against ``stufenlos serve``.

``test_schemathesis.py`` calls the ASGI app in process, where well-formed route requests never
meet the serving protocol's own path (:mod:`api.direct`: the body read, validated and answered
at the HTTP protocol). Here the same checks, every operation, valid and invalid requests, with
and without a key, go to a served process over loopback sockets; the server's log must hold no
traceback and ``/health`` must answer at the end. (Over HTTP, with random examples, schemathesis
found ``"alternatives": false`` accepted as 0 alternatives: request fields now take only their
JSON type, ``test_json_types.py``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis

from tests.api.serving import running_server
from tests.api.test_schemathesis import MAX_EXAMPLES, assert_no_failures, fuzz

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(
    centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    """A server on the centre graph with a database of its own; its URL, an admin key and its
    log."""
    from api.auth import create_key
    from api.db.session import make_engine, make_sessionmaker, upgrade

    workdir = tmp_path_factory.mktemp("schemathesis-http")
    engine = make_engine(f"sqlite:///{workdir}/stufenlos.db")  # the server's (running_server)
    upgrade(engine)
    _, key = create_key(make_sessionmaker(engine), "schemathesis (admin)", "admin")
    engine.dispose()
    with running_server(centre_graph_dir, workdir) as base:
        yield base, key, workdir / "server.log"


@pytest.fixture(scope="module")
def served_schema(served: tuple[str, str, Path]) -> Any:
    schema = schemathesis.openapi.from_url(f"{served[0]}/openapi.json")
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    return schema


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_openapi_matches_the_served_behaviour(
    served_schema: Any, served: tuple[str, str, Path], who: str, mode: str
) -> None:
    """All checks, every operation, over HTTP; the server stays healthy and logs no traceback."""
    from schemathesis import GenerationMode

    base, key, log = served
    headers = {"Authorization": f"Bearer {key}"} if who == "admin" else {}
    assert_no_failures(fuzz(served_schema, GenerationMode(mode), headers, base_url=base))
    assert httpx.get(f"{base}/health", timeout=5.0).status_code == 200
    assert "Traceback" not in log.read_text(errors="replace")
