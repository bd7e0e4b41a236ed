"""An encoded answer is the same answer, headers and bytes, as the Starlette responses it replaces
(``FastJSONResponse``, and a ``Response`` around the gzip-compressed body)."""

from __future__ import annotations

import gzip
from typing import Any

import numpy as np
import pytest
from starlette.responses import Response

from api.compression import gzip_body
from api.responses import EncodedAnswer, FastJSONResponse

CONTENT: dict[str, Any] = {
    "routes": [
        {"distance_m": np.float64(12.5), "steps": [{"text": "Links in die Marktstraße"}] * 40}
    ],
    "language": "de",
}


def test_a_plain_answer_is_fast_json_responses() -> None:
    answer = EncodedAnswer.of(CONTENT, gzip_level=None, min_gzip_bytes=0)
    expected = FastJSONResponse(CONTENT)
    assert answer.body == expected.body
    assert answer.raw_headers == expected.raw_headers
    assert answer.status_code == expected.status_code == 200
    assert not answer.gzipped
    response = answer.response()
    assert (response.body, response.raw_headers) == (expected.body, expected.raw_headers)


@pytest.mark.parametrize("level", [0, 2, 3])
def test_a_gzipped_answer_is_the_response_around_the_compressed_body(level: int) -> None:
    answer = EncodedAnswer.of(CONTENT, gzip_level=level, min_gzip_bytes=100)
    plain = bytes(FastJSONResponse(CONTENT).body)
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    expected = Response(gzip_body(plain, level), media_type="application/json", headers=headers)
    assert answer.body == expected.body
    assert answer.raw_headers == expected.raw_headers
    assert answer.gzipped
    assert gzip.decompress(answer.body) == plain
    response = answer.response()
    assert (response.body, response.raw_headers) == (expected.body, expected.raw_headers)


def test_a_body_below_the_minimum_stays_plain() -> None:
    small = {"language": "de"}
    answer = EncodedAnswer.of(small, gzip_level=2, min_gzip_bytes=500)
    assert not answer.gzipped
    assert answer.body == b'{"language":"de"}'
    assert answer.raw_headers == FastJSONResponse(small).raw_headers


def _traced_bytes(make: Any) -> tuple[Any, int]:
    """What ``make()`` returns and the bytes of memory it left allocated (tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        return made, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("n", [0, 200, 1800, 14_000, 300_000])
def test_kept_json_holds_memory_of_its_length(n: int) -> None:
    """``exact_bytes``: the same bytes in memory of their length, where orjson's own keep the
    buffer it grew (the profile echoed in every answer and the public map's features are kept
    for long; orjson 3.13: 16 kB for 1.8 kB of text): at most the object's header more than
    the text."""
    import orjson

    from api.responses import exact_bytes, json_body

    content = {"text": "x" * n, "n": np.float64(n)}
    text = json_body(content)
    kept, held = _traced_bytes(lambda: exact_bytes(text))
    assert kept == text == orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    assert type(kept) is bytes
    assert held <= len(text) + 64, (held, len(text))
