"""Numbers as a JSON body brings them: true and false are not numbers, and an integer too big for a double or
a NaN or infinity is not a usable one."""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """`value` as a finite float, or None when it is not a usable JSON number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)  # an integer beyond a double's range overflows
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
