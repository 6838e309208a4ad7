"""The ratings frame every statistic starts from: its validation and its integer encoding.

A ratings frame is a long ``pandas.DataFrame`` with one row per panelist × item × dimension:

=============  ==========================================================================
``panelist``   any hashable id of the expert
``item``       any hashable id of the item (the caller maps reworded items to one identity)
``dimension``  the dimension key, e.g. ``"agreement"``; must be a key of ``scales``
``value``      the rating, a whole number on the dimension's scale, or NaN/None
``group``      the panelist's group (region, stakeholder type); optional, ``""`` = none
``weight``     self-rated expertise weight ≥ 0; optional, default 1.0
=============  ==========================================================================

NaN or None in ``value`` means "can't answer": an **abstention**. It is excluded from ``n`` and
every statistic, and counted in ``abstentions``. A panelist with no row for an item is simply
**missing** and is counted nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import StatsInputError
from .scale import Scale

REQUIRED_COLUMNS = ("panelist", "item", "dimension", "value")


@dataclass(frozen=True)
class EncodedRatings:
    """A validated ratings frame as arrays: integer codes into sorted labels, values, weights."""

    panelist: np.ndarray
    panelist_labels: np.ndarray
    item: np.ndarray
    item_labels: np.ndarray
    dimension: np.ndarray
    dimension_labels: np.ndarray
    group: np.ndarray
    group_labels: np.ndarray
    value: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.value)


def validate_ratings(ratings: pd.DataFrame, scales: Mapping[str, Scale]) -> pd.DataFrame:
    """Return a normalised copy of ``ratings``, or raise :class:`StatsInputError`.

    Normalised: ``value`` and ``weight`` are float (weight 1.0 when the column is missing),
    ``group`` is a string (``""`` when missing or null), ``dimension`` is a string.

    Refused, with a message naming the item, the dimension and the value: a dimension that is not
    in ``scales``; a value that is not a number (True/False and text such as ``"7"`` included),
    not a whole number, or outside its scale; a weight
    that is negative, infinite or missing; two rows for the same panelist, item and dimension.
    """
    encoded = encode_ratings(ratings, scales)
    return ratings.assign(
        dimension=encoded.dimension_labels[encoded.dimension].astype(str),
        value=encoded.value,
        group=encoded.group_labels[encoded.group].astype(str),
        weight=encoded.weight,
    )


def encode_ratings(ratings: pd.DataFrame, scales: Mapping[str, Scale]) -> EncodedRatings:
    """Validate ``ratings`` (see :func:`validate_ratings`) and encode it as integer codes.

    Items, dimensions and groups are coded in sorted label order (items in order of first
    appearance when their labels cannot be compared), so code order is report order.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in ratings.columns]
    if missing:
        raise StatsInputError(
            f"the ratings frame lacks the column(s) {', '.join(missing)}; "
            f"it needs {', '.join(REQUIRED_COLUMNS)} (group and weight are optional)"
        )
    size = len(ratings)
    group = ratings["group"] if "group" in ratings.columns else pd.Series([""] * size)
    item, item_labels = factorize(ratings["item"])
    dimension, dimension_labels = _factorize_text(ratings["dimension"])
    group_codes, group_labels = _factorize_text(group.fillna(""))
    panelist, panelist_labels = factorize(ratings["panelist"])
    encoded = EncodedRatings(
        panelist=panelist,
        panelist_labels=panelist_labels,
        item=item,
        item_labels=item_labels,
        dimension=dimension,
        dimension_labels=dimension_labels,
        group=group_codes,
        group_labels=group_labels,
        value=_numbers(ratings, ratings["value"], "rating"),
        weight=_weights(ratings) if "weight" in ratings.columns else np.ones(size),
    )
    for name, codes in (("item", encoded.item), ("panelist", encoded.panelist)):
        if (codes < 0).any():
            _fail(ratings, codes < 0, f"a rating has no {name}", None)
    _check_values(ratings, encoded, scales)
    _check_unique(ratings, encoded)
    return encoded


DENSE_RANGE_FACTOR = 4  # integer ids spanning up to 4 × the rows are coded by direct lookup


def factorize(column: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and labels, the labels sorted when they can be compared."""
    dense = _factorize_dense_integers(column)
    if dense is not None:
        return dense
    try:
        codes, labels = pd.factorize(column, sort=True)
    except TypeError:
        codes, labels = pd.factorize(column)
    return codes, np.asarray(labels, dtype=object)


def _factorize_dense_integers(column: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted codes for integer ids (database keys) by a lookup table instead of hashing; None when
    the column is not integers or its range is much wider than its length."""
    values = column.to_numpy() if isinstance(column, pd.Series) else column
    if values.dtype.kind not in "iu" or not len(values):
        return None
    low, high = int(values.min()), int(values.max())
    if high - low >= DENSE_RANGE_FACTOR * len(values) + 1024:
        return None
    offset = values.astype(np.int64, copy=False) - low
    present = np.zeros(high - low + 1, dtype=bool)
    present[offset] = True
    code_of = np.cumsum(present, dtype=np.int64) - 1
    labels = np.flatnonzero(present) + low
    return code_of[offset], np.asarray(labels.tolist(), dtype=object)


def _factorize_text(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`factorize` for labels read as text (``1`` and ``"1"`` become one label)."""
    codes, labels = pd.factorize(column, use_na_sentinel=False)
    text_codes, text_labels = factorize(np.array([str(label) for label in labels], dtype=object))
    return text_codes[codes] if len(labels) else codes, text_labels


def _numbers(ratings: pd.DataFrame, raw: pd.Series, what: str) -> np.ndarray:
    """``raw`` as floats. True, False and text (even ``"7"``) are refused: a rating must arrive as a
    number, and a boolean or a string that reads as one is a bug upstream, not a rating."""
    if raw.dtype.kind == "b":
        _fail(
            ratings, np.ones(len(raw), dtype=bool), f"{what} {{value!r}} is not a number but a boolean", raw.to_numpy()
        )
    if raw.dtype.kind == "O" or isinstance(raw.dtype, pd.StringDtype):
        values = raw.to_numpy(dtype=object)
        wrong = np.fromiter((isinstance(v, bool | np.bool_ | str | bytes) for v in values), bool, len(values))
        if wrong.any():
            kind = "a boolean" if isinstance(values[int(np.argmax(wrong))], bool | np.bool_) else "text"
            _fail(ratings, wrong, f"{what} {{value!r}} is not a number but {kind}", values)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(numbers) & raw.notna().to_numpy()
    if bad.any():
        _fail(ratings, bad, f"{what} {{value!r}} is not a number", raw.to_numpy())
    return numbers


def _weights(ratings: pd.DataFrame) -> np.ndarray:
    weight = _numbers(ratings, ratings["weight"], "weight")
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        _fail(ratings, bad, "weight {value!r} must be a finite number ≥ 0", weight)
    return weight


def _check_values(ratings: pd.DataFrame, encoded: EncodedRatings, scales: Mapping[str, Scale]) -> None:
    for code, key in enumerate(encoded.dimension_labels):
        if key not in scales:
            known = ", ".join(sorted(scales)) or "none"
            _fail(ratings, encoded.dimension == code, f"unknown dimension {key!r} (known: {known})", None)
    bounds = [scales[key] for key in encoded.dimension_labels]
    low = np.array([scale.min for scale in bounds], dtype=float)[encoded.dimension]
    high = np.array([scale.max for scale in bounds], dtype=float)[encoded.dimension]
    value = encoded.value
    with np.errstate(invalid="ignore"):  # NaN compares False: abstentions pass
        bad = (value < low) | (value > high) | ((value != np.floor(value)) & ~np.isnan(value))
    if bad.any():
        scale = bounds[encoded.dimension[int(np.argmax(bad))]]
        _fail(ratings, bad, f"rating {{value:g}} is not a whole number from {scale.min} to {scale.max}", value)


def _check_unique(ratings: pd.DataFrame, encoded: EncodedRatings) -> None:
    n_items, n_dimensions = len(encoded.item_labels), len(encoded.dimension_labels)
    key = (encoded.panelist.astype(np.int64) * n_items + encoded.item) * n_dimensions + encoded.dimension
    n_keys = (int(encoded.panelist.max()) + 1) * n_items * n_dimensions if len(key) else 0
    dense = n_keys <= DENSE_RANGE_FACTOR * len(key) + 1024  # a count per possible key: no hashing
    if dense and not (np.bincount(key, minlength=n_keys) > 1).any():
        return
    duplicated = pd.Series(key).duplicated().to_numpy()
    if duplicated.any():
        row = ratings.iloc[int(np.argmax(duplicated))]
        raise StatsInputError(
            f"item {row['item']!r}, dimension {row['dimension']!r}: panelist {row['panelist']!r} "
            "has more than one rating; keep one row per panelist, item and dimension",
            item=row["item"],
            dimension=str(row["dimension"]),
        )


def _fail(ratings: pd.DataFrame, bad: np.ndarray, template: str, values: np.ndarray | None) -> None:
    """Raise for the first row flagged in ``bad``, naming its item, dimension and value."""
    position = int(np.argmax(bad))
    row = ratings.iloc[position]
    value = None if values is None else values[position]
    if isinstance(value, np.generic):
        value = value.item()  # name -2.0, not np.float64(-2.0)
    message = template if values is None else template.format(value=value)
    raise StatsInputError(
        f"item {row['item']!r}, dimension {row['dimension']!r}: {message}",
        item=row["item"],
        dimension=str(row["dimension"]),
        value=value,
    )
