"""The route answer's gzip (ISA-L): any gzip reader decodes it, and equal answers give equal bytes."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.compression import ISAL_LEVELS, gzip_body
from api.settings import Settings


@given(data=st.binary(max_size=50_000), level=st.sampled_from(list(ISAL_LEVELS)))
def test_stdlib_gzip_and_zlib_decode_it(data: bytes, level: int) -> None:
    packed = gzip_body(data, level)
    assert gzip.decompress(packed) == data
    assert zlib.decompress(packed, wbits=31) == data  # what browsers' and apps' zlib do
    assert packed[4:8] == b"\0\0\0\0"  # modification time 0: no clock in the bytes
    assert gzip_body(data, level) == packed


def test_json_answer_shrinks() -> None:
    answer = b'{"routes":[{"steps":[' + b'{"text":"Turn left onto Marktstrasse"},' * 200 + b"]}]}"
    assert len(gzip_body(answer, 3)) < len(answer) // 10


@pytest.mark.parametrize("level", [-1, 4, 9])
def test_levels_outside_isal_are_refused(level: int) -> None:
    with pytest.raises(ValueError, match="0-3"):
        gzip_body(b"{}", level)
    with pytest.raises(ValidationError):
        Settings(route_gzip_level=level)
