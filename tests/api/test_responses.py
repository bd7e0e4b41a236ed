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
