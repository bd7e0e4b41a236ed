"""Fast JSON responses: orjson is several times quicker than the standard library on routes."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """JSON via orjson (numpy scalars allowed; NaN is never produced by the API's own bodies)."""

    def render(self, content: Any) -> bytes:
        """Serialise ``content``."""
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
