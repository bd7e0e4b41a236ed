"""``/bench``: benchmark runs for testers, as background jobs of the server.

``POST /bench/runs`` starts ``stufenlos bench`` on the serving graph (random pairs, profiles)
in a thread and answers 202 with the run's id; ``GET /bench/runs/{id}`` tells its progress and,
when done, its summary; plots are PNGs; ``GET /bench/compare`` is the regression verdict of
``stufenlos bench --baseline``. Needs a tester key (staff and admin keys include it). Runs are
kept under the cache directory and listed after a restart (:mod:`testers.jobs`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from accessibility_rules.json_types import JSON_INTEGER
from api.auth import AUTH_ERRORS, TesterUser
from api.deps import RouterDep, SettingsDep
from api.errors import ApiError
from api.schemas import ErrorBody
from api.unique_keys import UniqueKeysRoute
from testers.jobs import RUN_ID, BenchJobs, JobLimitError, RunStorageError, UnknownRunError

router = APIRouter(prefix="/bench", tags=["bench"], route_class=UniqueKeysRoute)

RunIdPath = Annotated[str, Path(pattern=RUN_ID.pattern, description="the run's id")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = AUTH_ERRORS | {
    404: {"model": ErrorBody, "description": "not_found"}
}


class BenchRequest(BaseModel):
    """What to benchmark: random pairs (same seed, same pairs) for each profile."""

    model_config = ConfigDict(extra="forbid")

    pairs: Annotated[int, Strict(), Field(ge=1), JSON_INTEGER] = Field(
        20, description="random origin-destination pairs"
    )
    seed: Annotated[int, Strict(), Field(ge=0, le=2**31 - 1), JSON_INTEGER] = 0
    profiles: list[str] = Field(
        default_factory=lambda: ["wheelchair"],
        min_length=1,
        max_length=12,
        json_schema_extra={"uniqueItems": True},
        description="presets to compare, each once",
    )

    @field_validator("profiles")
    @classmethod
    def _each_once(cls, profiles: list[str]) -> list[str]:
        """A profile named twice ran twice and counted twice in the overall figures, its
        per-profile row holding both runs: refused, not read as meant."""
        twice = sorted({name for name in profiles if profiles.count(name) > 1})
        if twice:
            raise ValueError(f"each profile once: {', '.join(map(repr, twice))} is named twice")
        return profiles


class BenchRun(BaseModel):
    """A run: its parameters, status and progress (0..1); ``summary`` when done."""

    id: str
    status: Literal["running", "done", "failed", "interrupted"]
    progress: float = Field(ge=0, le=1)
    pairs: int
    seed: int
    profiles: list[str]
    created_at: str
    finished_at: str | None = None
    error: str | None = None
    plots: list[str] = Field(default_factory=list, description="names of GET .../plots/{name}.png")
    summary: dict[str, Any] | None = Field(
        None, description="overall and per-profile figures of summary.json"
    )


class BenchRunList(BaseModel):
    """Every run, newest first."""

    runs: list[BenchRun]


class BenchComparison(BaseModel):
    """The regression rule of ``stufenlos bench --baseline``: ``run`` against ``base``."""

    base: str
    run: str
    verdict: Literal["ok", "regression"]
    regressions: list[dict[str, Any]]
    notes: list[str]


def get_jobs(request: Request) -> BenchJobs:
    """The app's bench jobs."""
    jobs: BenchJobs = request.app.state.bench_jobs
    return jobs


def _run_out(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "pid"}


def _not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"there is no benchmark run {what}", id=what)


@router.post(
    "/runs",
    status_code=202,
    response_model=BenchRun,
    responses=AUTH_ERRORS
    | {
        404: {"model": ErrorBody, "description": "unknown_profile"},
        422: {"model": ErrorBody, "description": "invalid_request, too_many_pairs"},
        429: {"model": ErrorBody, "description": "too_many_jobs: runs going on (Retry-After)"},
        503: {
            "model": ErrorBody,
            "description": "storage_unavailable: the runs' folder cannot be written (a full "
            "disk; Retry-After), or database_unavailable",
        },
    },
    summary="Start a benchmark run (tester)",
)
def start_run(
    body: BenchRequest, _: TesterUser, request: Request, router_: RouterDep, settings: SettingsDep
) -> dict[str, Any]:
    """Starts the run in the background and answers at once; poll ``GET /bench/runs/{id}``."""
    if body.pairs > settings.max_bench_pairs:
        raise ApiError(
            422, "too_many_pairs", f"pairs is {body.pairs}, the limit is {settings.max_bench_pairs}",
            limit=settings.max_bench_pairs,
        )  # fmt: skip
    try:
        record = get_jobs(request).start(router_, body.pairs, body.seed, body.profiles)
    except JobLimitError as exc:
        error = ApiError(429, "too_many_jobs", str(exc))
        error.headers = {"Retry-After": "10"}
        raise error from None
    except RunStorageError as exc:
        error = ApiError(503, "storage_unavailable", str(exc))
        error.headers = {"Retry-After": "60"}
        raise error from None
    return _run_out(record)


@router.get("/runs", response_model=BenchRunList, responses=AUTH_ERRORS, summary="Benchmark runs (tester)")  # fmt: skip
def list_runs(_: TesterUser, request: Request) -> dict[str, Any]:
    """Past and running runs, newest first (also those of before a restart)."""
    return {"runs": [_run_out(r) for r in get_jobs(request).list()]}


@router.get("/runs/{run_id}", response_model=BenchRun, responses=_NOT_FOUND, summary="One benchmark run (tester)")  # fmt: skip
def get_run(run_id: RunIdPath, _: TesterUser, request: Request) -> dict[str, Any]:
    """Status, progress (0..1) and, when done, the summary figures and plot names."""
    try:
        return _run_out(get_jobs(request).get(run_id))
    except UnknownRunError:
        raise _not_found(run_id) from None


@router.get(
    "/runs/{run_id}/plots/{name}.png",
    response_class=FileResponse,
    responses=_NOT_FOUND | {200: {"content": {"image/png": {}}, "description": "the plot"}},
    summary="A plot of a benchmark run (tester)",
)
def get_plot(
    run_id: RunIdPath,
    name: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$")],
    _: TesterUser,
    request: Request,
) -> FileResponse:
    """``latency``, ``detour`` or ``routes_map`` (as ``stufenlos bench`` writes them)."""
    try:
        path = get_jobs(request).plot(run_id, name)
    except UnknownRunError:
        raise _not_found(f"{run_id} plot {name}") from None
    return FileResponse(path, media_type="image/png")


@router.get(
    "/compare",
    response_model=BenchComparison,
    responses=_NOT_FOUND,
    summary="Compare two finished runs: the regression verdict (tester)",
)
def compare_runs(
    base: Annotated[str, Query(pattern=RUN_ID.pattern, description="the baseline run")],
    run: Annotated[str, Query(pattern=RUN_ID.pattern, description="the run judged")],
    _: TesterUser,
    request: Request,
) -> dict[str, Any]:
    """As ``stufenlos bench --baseline base``: regressions by profile and metric beyond the
    thresholds, and notes on what is not comparable (other graph, other pairs, load)."""
    try:
        return get_jobs(request).compare(base, run)
    except UnknownRunError as exc:
        raise _not_found(f"{exc.args[0]} (or it is not finished)") from None
