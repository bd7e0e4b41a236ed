"""How a broken hard limit is worded in a route report (one sentence per limit, English).

The wording reads the route's gathered report columns (see
:class:`routing.report_table.ReportTable`), so a message always describes the same attribute values
as the rest of the report.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from accessibility_rules.attributes import BarrierKind, Smoothness, SurfaceClass
from accessibility_rules.profile import Profile, UnknownTreatment
from accessibility_rules.registry import unknown_flag_label
from accessibility_rules.weights import Limit, Unknown

__all__ = ["limit_message"]


def _name(code: float, enum: type) -> str:
    return enum(int(code)).name.lower()


def forbidden_unknowns(unknown_bits: int, profile: Profile) -> list[str]:
    """Labels of the unknown attributes among ``unknown_bits`` that ``profile`` forbids."""
    names = []
    for flag in Unknown:
        key = (flag.name or "").lower()
        if unknown_bits & flag and getattr(profile.unknown, key) == UnknownTreatment.FORBID:
            names.append(unknown_flag_label(key, "en"))
    return names


def limit_message(
    limit: Limit,
    columns: Mapping[str, np.ndarray],
    i: int,
    profile: Profile,
    *,
    unknown_bits: int = 0,
    estimated: bool = False,
) -> str:
    """Why piece ``i`` of a route breaks ``limit`` of ``profile``, with the values involved.

    ``columns`` are the route's report columns (:meth:`routing.report_table.ReportTable.gather`);
    ``unknown_bits`` the piece's :class:`~accessibility_rules.weights.Unknown` bits, which name
    the attributes an ``UNKNOWN_FORBIDDEN`` break relies on; ``estimated`` says an incline is
    an estimate from the elevation model.
    """
    c = columns
    if limit == Limit.INCLINE:
        what = "estimated incline" if estimated else "incline"
        text = f"{what} {float(c['incline_percent'][i]):+.1f} % exceeds max_incline_percent {profile.max_incline_percent:g} %"
        return text + (" (from the elevation model, about 90 m cells)" if estimated else "")
    if limit == Limit.KERB_HEIGHT:
        return f"kerb of {float(c['kerb_height_cm'][i]):.0f} cm exceeds max_kerb_height_cm {profile.max_kerb_height_cm:g} cm"
    if limit == Limit.WIDTH:
        return f"passage {float(c['passage_width_m'][i]):.2f} m wide is below min_width_m {profile.min_width_m:g} m"
    if limit == Limit.STEPS:
        count = int(c["step_count"][i])
        return f"steps ({count} steps)" if count > 0 else "steps (number of steps unknown)"
    if limit == Limit.STEP_COUNT:
        return f"{int(c['step_count'][i])} steps exceed max_step_count {profile.max_step_count}"
    if limit == Limit.SURFACE:
        return f"surface {_name(c['surface'][i], SurfaceClass)} is avoided"
    if limit == Limit.SMOOTHNESS:
        return f"smoothness {_name(c['smoothness'][i], Smoothness)} is worse than worst_smoothness {profile.worst_smoothness}"
    if limit == Limit.HANDRAIL:
        return "steps without a handrail (require_handrail_on_steps)"
    if limit == Limit.LIT:
        return "way known to be unlit (require_lit)"
    if limit == Limit.WHEELCHAIR_NO:
        return "tagged wheelchair=no"
    if limit == Limit.ACOUSTIC_SIGNAL:
        return "signalised crossing without acoustic signal (require_acoustic_signals)"
    if limit == Limit.TACTILE_PAVING:
        return "crossing without tactile paving (require_tactile_paving)"
    if limit == Limit.BARRIER:
        return f"barrier {_name(c['barrier'][i], BarrierKind)} cannot be passed"
    if limit == Limit.CLOSED:
        return "closed (obstacle reported by city staff)"
    if limit == Limit.UNKNOWN_FORBIDDEN:
        names = forbidden_unknowns(unknown_bits, profile) or ["data"]
        return f"relies on unknown {' and '.join(names)}, which this profile forbids"
    return (limit.name or "limit").lower().replace("_", " ")
