"""Domain exceptions → HTTP, in one place. One JSON shape everywhere: code, message, details.

No stack trace ever reaches a client: unexpected errors are logged and answered with a plain
500 ``internal_error``. A database that cannot be reached just now is no request's fault: 503
``database_unavailable`` with ``Retry-After`` (:mod:`api.db.availability`).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accessibility_rules.profile_errors import (
    ParameterOutOfRangeError,
    ProfileError,
    UnknownParameterError,
    UnknownProfileError,
)
from api.db.availability import RETRY_AFTER_S, database_unavailable, first_line
from api.obstacles.errors import (
    ImportFailedError,
    InvalidObstacleError,
    NotFoundError,
    ObstacleServiceError,
    StateConflictError,
    VersionConflictError,
    VersionRequiredError,
)
from api.obstacles.geometry import document_position_ranges
from api.schemas import ErrorBody
from api.unique_keys import DUPLICATE_KEY
from api.validation_message import validation_message
from routing.errors import BboxError, NoRouteError, OutOfAreaError, RoutingError, SearchBudgetError
from routing.obstacles.matching import ObstacleMatchError

log = logging.getLogger("stufenlos.api")


def _problem(error: Mapping[str, Any], media_type: str | None) -> dict[str, str]:
    """One entry of a 422's ``errors``: the field (its path in the body) and what is wrong.

    A problem of the whole body is the ``body``'s, said as such: JSON that breaks, with the
    place (FastAPI puts that character offset where a field's path goes, "55: JSON decode
    error"); a key given twice in one object, by its name (:mod:`api.unique_keys`: its place
    is not known); no body at all (not a nameless "Field required"); a body handed over unread
    because its ``Content-Type`` (``media_type``) does not say JSON — ``curl -d '{…}'`` without
    ``-H 'Content-Type: application/json'`` sends a form's type, and pydantic's "Input should
    be a valid dictionary" did not say that the header was the fault."""
    whole = tuple(error.get("loc", ())) == ("body",)
    loc = [p for p in error.get("loc", ()) if p != "body"]
    if whole and error.get("type") == "missing":
        return {"field": "body", "problem": "missing: this request takes a JSON body"}
    if whole and isinstance(error.get("input"), bytes):  # FastAPI validated the raw bytes
        said = f"the Content-Type is {media_type!r}" if media_type else "no Content-Type was sent"
        return {"field": "body", "problem": f"not read as JSON: {said}; send 'application/json'"}
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error")
        if isinstance(reason, str) and reason.startswith(DUPLICATE_KEY):
            key = reason.removeprefix(DUPLICATE_KEY)
            problem = f"the key {key} is given twice in one object: send each key once"
            return {"field": "body", "problem": problem}
        at = f" at character {loc[0]}" if loc and isinstance(loc[0], int) else ""
        because = f" ({reason})" if isinstance(reason, str) and reason else ""
        return {"field": "body", "problem": f"not valid JSON{at}{because}"}
    return {"field": ".".join(str(p) for p in loc), "problem": validation_message(error)}


def _unreadable_body(cause: BaseException | None) -> str | None:
    """What is wrong with a body FastAPI's JSON reader failed on other than by a syntax error,
    where it said only "There was an error parsing the body": a body that is not UTF-8 (JSON is
    UTF-8, RFC 8259) by its first bad byte and place, e.g. a Latin-1 "ü" (0xfc) from a client
    that encoded the text in its platform's charset (Latin-1, Windows-1252); arrays or objects
    nested deeper than the reader recurses. ``None``: another cause, said as FastAPI says it."""
    if isinstance(cause, UnicodeDecodeError):
        byte = cause.object[cause.start : cause.start + 1].hex()
        return f"not UTF-8 text at byte {cause.start} (0x{byte}); JSON is sent as UTF-8"
    if isinstance(cause, RecursionError):
        return "arrays or objects nested too deeply to read (no request nests more than a few)"
    return None


class ApiError(Exception):
    """An error raised by the API layer itself (size limits, too many via points …)."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    #: extra response headers (``WWW-Authenticate``, ``Retry-After``), set by subclasses.
    headers: dict[str, str] | None = None


class _ErrorJSON(JSONResponse):
    """An error body as Starlette writes JSON, or with every non-ASCII character escaped when
    a text it echoes from the request holds a lone surrogate (``"\\ud800"`` in JSON decodes to
    one), which UTF-8 cannot encode: the same JSON value, never a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
            return text.encode("ascii")


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The API's single error shape."""
    return _ErrorJSON(
        status_code=status,
        content={"code": code, "message": message, "details": details or {}},
        headers=headers,
    )


def database_unavailable_response(exc: BaseException) -> JSONResponse:
    """503 ``database_unavailable`` for an error that says the database cannot be reached or
    used just now (logged as one line: an outage is not a defect of the code)."""
    log.warning("database unavailable: %s", first_line(exc))
    return error_response(
        503, "database_unavailable",
        "the database cannot be reached or written just now; try again in a few seconds",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )  # fmt: skip


def unexpected_error_response(exc: BaseException, where: str = "") -> JSONResponse:
    """The answer to an error no handler expected: 503 when the database cannot be reached
    (:func:`database_unavailable_response`), else 500 ``internal_error`` (logged with its
    traceback and ``where``, e.g. the request's id, method and path)."""
    if database_unavailable(exc):
        return database_unavailable_response(exc)
    log.error("unexpected error%s", f" {where}" if where else "", exc_info=exc)
    return error_response(500, "internal_error", "an internal error occurred; it has been logged")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Infinity
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def obstacle_error_status(exc: ObstacleServiceError) -> tuple[int, str]:
    """HTTP status and error code of an obstacle service error."""
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, VersionConflictError):
        return 409, "version_conflict"
    if isinstance(exc, StateConflictError):
        return 409, exc.code
    if isinstance(exc, VersionRequiredError):
        return 428, "version_required"
    if isinstance(exc, ImportFailedError):
        return 422, "import_failed"
    if isinstance(exc, InvalidObstacleError):
        return 422, "invalid_request"
    return 400, "bad_request"


def _profile_error(exc: ProfileError) -> JSONResponse:
    if isinstance(exc, UnknownProfileError):
        return error_response(404, "unknown_profile", str(exc).strip("'\""), {"known": exc.known})
    if isinstance(exc, ParameterOutOfRangeError):
        details = {"parameter": exc.parameter, "minimum": exc.minimum, "maximum": exc.maximum, "unit": exc.unit, "value": exc.value}  # fmt: skip
        return error_response(422, "parameter_out_of_range", str(exc), _jsonable(details))
    if isinstance(exc, UnknownParameterError):
        # the library said "parameter_table() lists the parameters", a Python name, to HTTP
        # clients; here they are told where the API lists them
        listed = "" if exc.suggestions else "; GET /profiles lists every parameter"
        return error_response(
            422,
            "unknown_parameter",
            f"{exc}{listed}",
            {"parameter": exc.key, "suggestions": exc.suggestions},
        )
    return error_response(422, "invalid_profile", str(exc))


#: The operations that read or write the database (obstacles, reports, benchmark runs, and the
#: keys of staff, testers and keyed ``/matrix`` callers): they may answer 503
#: ``database_unavailable``. Routes never do: they go on with the obstacles last read.
DATABASE_PATHS = ("/obstacles", "/reports", "/bench", "/matrix")
#: The public map's reads whose answer is built in Python per request, one at a time per worker
#: (:class:`api.admission.MapReadAdmission`): they may answer 503 ``service_busy``.
#: (``/obstacles/active`` is answered from the worker's memory, ``/profiles`` is a few kB.)
MAP_READ_PATHS = ("/network", "/features", "/priorities")


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers answer.

    FastAPI documents every 422 as its own ``HTTPValidationError``; here it is the API's error
    shape (:class:`api.schemas.ErrorBody`). Every operation with a body can also answer 413
    ``payload_too_large`` (the body size limit in front of the app) and 415
    ``unsupported_encoding`` (a ``Content-Encoding`` other than ``identity``: bodies are read as
    sent; found undocumented by schemathesis with random headers); every operation on
    :data:`DATABASE_PATHS` 503 ``database_unavailable``, every read of the public map
    (:data:`MAP_READ_PATHS`) 503 ``service_busy``. And the positions of GeoJSON
    geometry get their WGS84 ranges (:func:`api.obstacles.geometry.document_position_ranges`).
    """
    from fastapi.openapi.utils import get_openapi

    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    fastapi_ref = "#/components/schemas/HTTPValidationError"

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, openapi_version=app.openapi_version,
            summary=app.summary, description=app.description, routes=app.routes,
            tags=app.openapi_tags, servers=app.servers,
        )  # fmt: skip
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        for path, path_item in doc.get("paths", {}).items():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                if path.startswith(DATABASE_PATHS):
                    responses.setdefault(
                        "503",
                        {
                            "description": "database_unavailable (Retry-After: seconds)",
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
                if path.startswith(MAP_READ_PATHS):
                    responses.setdefault(
                        "503",
                        {
                            "description": "service_busy: too many map reads at once "
                            "(Retry-After: seconds)",
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
                invalid = responses.get("422")
                if invalid is not None:
                    schema = invalid.get("content", {}).get("application/json", {}).get("schema")
                    if schema == {"$ref": fastapi_ref}:
                        invalid["content"]["application/json"]["schema"] = error_ref
                        invalid["description"] = (
                            "invalid_request: details.errors lists each problem"
                        )
                if "requestBody" in operation:
                    for status, code in (
                        ("413", "payload_too_large"),
                        ("415", "unsupported_encoding"),
                    ):
                        responses.setdefault(
                            status,
                            {"description": code, "content": {"application/json": {"schema": error_ref}}},
                        )  # fmt: skip
        settings = getattr(app.state, "settings", None)
        route_request = components.get("RouteRequest", {}).get("properties", {})
        if settings is not None and route_request:  # the configured limits, not the hard caps
            route_request["alternatives"]["maximum"] = settings.max_alternatives
            route_request["via"]["maxItems"] = settings.max_via_points
        document_position_ranges(components)
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(
    app: FastAPI, *, caller_check: Callable[[Request], Awaitable[None]] | None = None
) -> None:
    """Register every exception → response mapping on ``app`` and document it in OpenAPI.

    ``caller_check`` (:func:`api.auth.refuse_before_body`) runs before a body that is not JSON
    is answered: FastAPI parses the body before a route's key check, and a call without a
    valid key is refused (401 or 403) whatever its body holds."""
    document_errors(app)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            exc.status, exc.code, exc.message, _jsonable(exc.details), exc.headers
        )

    @app.exception_handler(ObstacleMatchError)
    async def _obstacle_match(_: Request, exc: ObstacleMatchError) -> JSONResponse:
        return error_response(422, "obstacle_matches_nothing", str(exc))

    @app.exception_handler(ObstacleServiceError)
    async def _obstacle_service(_: Request, exc: ObstacleServiceError) -> JSONResponse:
        status, code = obstacle_error_status(exc)
        return error_response(status, code, exc.message, _jsonable(exc.details))

    @app.exception_handler(ProfileError)
    async def _profile(_: Request, exc: ProfileError) -> JSONResponse:
        return _profile_error(exc)

    @app.exception_handler(RoutingError)
    async def _routing(_: Request, exc: RoutingError) -> JSONResponse:
        status = (
            422
            if isinstance(exc, OutOfAreaError | NoRouteError | SearchBudgetError | BboxError)
            else 400
        )
        if exc.code == "invalid_request":
            status = 422
        return error_response(status, exc.code, exc.message, _jsonable(exc.details))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if caller_check is not None and any(e.get("type") == "json_invalid" for e in errors):
            try:
                await caller_check(request)
            except ApiError as refused:
                return await _api(request, refused)
        media = request.headers.get("content-type")
        problems = [_problem(e, media) for e in errors]
        first = problems[0] if problems else {"field": "", "problem": "invalid request"}
        message = f"{first['field'] or 'request'}: {first['problem']}"
        return error_response(422, "invalid_request", message, {"errors": _jsonable(problems)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body FastAPI could not parse: a request error like any other
            problem = _unreadable_body(exc.__cause__)
            if problem is not None:
                return error_response(
                    422, "invalid_request", f"body: {problem}",
                    {"errors": [{"field": "body", "problem": problem}]},
                )  # fmt: skip
            return error_response(422, "invalid_request", f"request: {exc.detail}")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def _database(_: Request, exc: SQLAlchemyError) -> JSONResponse:
        return unexpected_error_response(exc)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(exc)
