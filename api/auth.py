"""API keys of city staff: random keys, stored only as SHA-256 hashes, with a role.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Roles: ``tester``
(benchmark runs), ``staff`` (obstacles, reports, and what testers may) and ``admin`` (everything
staff may, plus imports). Keys are made, listed and
revoked on the command line (``stufenlos keys create --name … --role staff``); the plain key is
shown once and never stored.

Routes declare what they need with the ``Annotated`` dependencies :data:`TesterUser`,
:data:`StaffUser` and :data:`AdminUser`: a missing, unknown or revoked key answers 401 ``unauthorized`` (with
``WWW-Authenticate: Bearer``), a key without the role 403 ``forbidden``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.db.models import ROLES, ApiKey
from api.db.session import reading
from api.errors import ApiError
from api.obstacles.schemas import no_control_characters, no_lone_surrogates
from api.schemas import ErrorBody

#: Bytes of randomness of a key (``secrets.token_urlsafe``: 43 characters).
KEY_BYTES = 32
#: The longest name of a key (the column's size).
KEY_NAME_MAX = 200
#: What each role may do: a key passes a check for any role its own role includes.
_INCLUDES: dict[str, frozenset[str]] = {
    "tester": frozenset({"tester"}),
    "staff": frozenset({"staff", "tester"}),
    "admin": frozenset({"admin", "staff", "tester"}),
}

_bearer = HTTPBearer(auto_error=False, description="an API key made with `stufenlos keys create`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same API key")


class UnauthorizedError(ApiError):
    """401: no key, or one that is unknown or revoked."""

    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012

    def __init__(self, message: str) -> None:
        super().__init__(401, "unauthorized", message)


@dataclass(frozen=True, slots=True)
class ApiUser:
    """Who is calling: the key's id, name (recorded as the author of changes) and role."""

    key_id: int
    name: str
    role: str

    def has_role(self, role: str) -> bool:
        """Admin includes staff, staff includes tester."""
        return role in _INCLUDES.get(self.role, frozenset())


def hash_key(key: str) -> str:
    """SHA-256 of the key, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_key_name(name: str) -> str:
    """The name stripped; ValueError when it is blank, too long or holds control characters or
    lone surrogates (bytes of a command line that are not UTF-8 decode to them; it becomes the
    author of every change made with the key)."""
    name = name.strip()
    if not name:
        raise ValueError("a key needs a name (who it belongs to), not a blank one")
    if len(name) > KEY_NAME_MAX:
        raise ValueError(f"a key's name has at most {KEY_NAME_MAX} characters, got {len(name)}")
    try:
        no_lone_surrogates(no_control_characters(name))
    except ValueError as exc:
        raise ValueError(f"a key's name {exc}") from None
    return name


def create_key(
    sessions: sessionmaker[Session], name: str, role: str, *, now: datetime | None = None
) -> tuple[ApiKey, str]:
    """Store a new key for ``name`` with ``role``; return the row and the plain key (shown once)."""
    name = check_key_name(name)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    key = secrets.token_urlsafe(KEY_BYTES)
    row = ApiKey(name=name, role=role, key_hash=hash_key(key), created_at=now or datetime.now(UTC))
    with sessions.begin() as session:
        session.add(row)
    return row, key


def list_keys(sessions: sessionmaker[Session]) -> list[ApiKey]:
    """Every key (revoked ones too), oldest first."""
    with sessions() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(
    sessions: sessionmaker[Session], key_id: int, *, now: datetime | None = None
) -> bool:
    """Revoke key ``key_id``; False if there is no such key or it was already revoked."""
    with sessions.begin() as session:
        result = session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now or datetime.now(UTC))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def authenticate(sessions: sessionmaker[Session], key: str) -> ApiUser | None:
    """The user of a valid, unrevoked key, or None."""
    digest = hash_key(key)
    with reading(sessions) as reader:  # on PostgreSQL one round trip, not three
        row = reader.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.key_hash).where(
                ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
            )
        ).first()
    if row is None or not secrets.compare_digest(row.key_hash, digest):
        return None
    return ApiUser(key_id=row.id, name=row.name, role=row.role)


async def current_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header)],
) -> ApiUser:
    """The caller, from ``Authorization: Bearer`` or ``X-API-Key``; 401 when there is none."""
    key = bearer.credentials if bearer is not None else header_key
    if not key:
        raise UnauthorizedError(
            "this endpoint needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key'"
        )
    # a database read: in the pool, never in the CPU thread (api/routes/obstacles.py says why)
    user = await run_in_threadpool(authenticate, request.app.state.db, key.strip())
    if user is None:
        raise UnauthorizedError("the API key is unknown or has been revoked")
    return user


class RoleCheck:
    """A dependency that lets only users with ``role`` (or a higher one) through
    (:func:`require`; a class, so that :func:`refuse_before_body` can find a route's role).

    Async: it only compares roles, and FastAPI runs a plain ``def`` dependency in its thread
    pool, a round trip that waits for the event loop and the interpreter lock (milliseconds
    under load, on every staff write)."""

    def __init__(self, role: str) -> None:
        self.role = role

    async def __call__(self, user: Annotated[ApiUser, Depends(current_user)]) -> ApiUser:
        if not user.has_role(self.role):
            raise ApiError(
                403, "forbidden", f"this needs the {self.role} role; the key has {user.role}",
                role=self.role, key_role=user.role,
            )  # fmt: skip
        return user


def require(role: str) -> RoleCheck:
    """The dependency of endpoints for ``role`` (:class:`RoleCheck`)."""
    return RoleCheck(role)


def _role_of(dependant: Dependant | None) -> str | None:
    """The role a route's dependencies ask for (:class:`RoleCheck`), or None."""
    if dependant is None:
        return None
    for dep in dependant.dependencies:
        if isinstance(dep.call, RoleCheck):
            return dep.call.role
        role = _role_of(dep)
        if role is not None:
            return role
    return None


async def refuse_before_body(request: Request) -> None:
    """Raise the 401 or 403 that the matched route's key check would raise for this request.

    FastAPI parses a JSON body before it runs a route's dependencies: a call without a valid
    key whose body is not JSON would be told about its body (422) instead of being refused
    (401). The error handler asks this first for such a body (:mod:`api.errors`)."""
    role = _role_of(getattr(request.scope.get("route"), "dependant", None))
    if role is None:
        return
    user = await current_user(request, await _bearer(request), await _header(request))
    await RoleCheck(role)(user)


StaffUser = Annotated[ApiUser, Depends(require("staff"))]
AdminUser = Annotated[ApiUser, Depends(require("admin"))]
TesterUser = Annotated[ApiUser, Depends(require("tester"))]


#: OpenAPI documentation of the errors every authenticated endpoint can answer.
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "unauthorized: no key, or an unknown/revoked one"},
    403: {"model": ErrorBody, "description": "forbidden: the key lacks the role"},
}
