"""Rupiah as people say and write them.

- ``rupiah(180_000_000)`` → ``Rp180.000.000`` (tables: exact, dot thousands)
- ``rupiah_words(20_000_000_000)`` → ``Rp20 miliar`` / ``Rp20 billion`` (headlines, as the articles say)
- ``rupiah_short(1_200_000_000)`` → ``Rp1,2 M`` (chart axes and tooltips)

Rupiah are whole numbers everywhere in the product.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language, gettext, pgettext

_UNITS = [
    (10**12, lambda: gettext("triliun"), lambda: pgettext("rupiah short", "T")),
    (10**9, lambda: gettext("miliar"), lambda: pgettext("rupiah short", "M")),
    (10**6, lambda: gettext("juta"), lambda: pgettext("rupiah short", "jt")),
    (10**3, lambda: gettext("ribu"), lambda: pgettext("rupiah short", "rb")),
]


def _decimal_mark() -> str:
    return "." if (get_language() or "id").startswith("en") else ","


def _group(n: int) -> str:
    sep = "," if _decimal_mark() == "." else "."
    return f"{n:,}".replace(",", sep)


def rupiah(amount: int | None) -> str:
    if amount is None:
        return "–"
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{_group(abs(amount))}"


def _scaled(amount: int, size: int, places: int) -> str:
    value = (Decimal(abs(amount)) / size).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", _decimal_mark())


def _say(amount: int | None, places: int, label_index: int, space: str) -> str:
    if amount is None:
        return "–"
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    for i, (size, word, short) in enumerate(_UNITS):
        if abs(amount) >= size:
            # 999,999,999 rounds to "1.000 juta": say "1 miliar" instead.
            if i > 0 and Decimal(_scaled(amount, size, places).replace(",", ".")) >= 1000:
                size, word, short = _UNITS[i - 1]
            label = (word, short)[label_index]()
            return f"{sign}Rp{_scaled(amount, size, places)}{space}{label}"
    return f"{sign}Rp{_group(abs(amount))}"


def rupiah_words(amount: int | None) -> str:
    """``Rp20 miliar``, ``Rp180 juta``, ``Rp1,25 miliar``, ``Rp50 ribu``."""
    return _say(amount, 2, 0, " ")


def rupiah_short(amount: int | None) -> str:
    """``Rp1,2 M``, ``Rp180 jt``: one decimal, for axes and tooltips."""
    return _say(amount, 1, 1, " ")
