"""Reading a results table the same way whatever file it came from."""

from __future__ import annotations

import pandas as pd

from ..results.schema import names

#: Columns that hold True/False; CSV may give them as strings when a failed row left them empty.
BOOL_COLUMNS = names(dtype="bool")
_TRUTH = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


def normalise(results: pd.DataFrame) -> pd.DataFrame:
    """A copy with the True/False columns as real booleans (missing stays missing) and `variant` as text."""
    table = results.copy()
    for column in BOOL_COLUMNS:
        if column in table:
            table[column] = table[column].map(_to_bool).astype("object")
    if "variant" in table:
        table["variant"] = table["variant"].fillna("").astype(str)
    return table


def _to_bool(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value != value:  # NaN
        return None
    return _TRUTH.get(str(value).strip().lower())
