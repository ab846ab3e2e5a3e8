"""How the explorers write numbers: one formatter for slider readouts, tick labels and text.

A value on screen should read the way the lesson text writes it: ``1,173`` (not
``1.17e+3``), ``320,000``, ``5×10⁶``, ``1×10⁻⁵``, ``0.192`` (not ``0.19199999999999998``).
Screen readers get the same words (``aria-valuetext``), so a log slider announces
``13,000 cells/day``, not its exponent ``4.114``.
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["axis_ticks", "js_key", "number", "percent", "power_of_ten", "tick", "with_unit"]

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

#: at and above this size (and below ``SMALL``) a number is written as a power of ten
LARGE = 1e6
SMALL = 1e-3


def power_of_ten(n: int) -> str:
    """``10ⁿ`` with a superscript exponent."""
    return "10" + str(int(n)).translate(_SUP)


def _trim(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def number(x: float, sig: int = 4, *, whole: bool = False, nan: str = "not a number") -> str:
    """``x`` to at most ``sig`` significant digits, written as the lesson text writes it.

    ``1173 -> 1,173``; ``320000 -> 320,000``; ``5e6 -> 5×10⁶``; ``1e-5 -> 1×10⁻⁵``;
    ``0.19199999999999998 -> 0.192``; ``60.0 -> 60``; whole numbers keep thousands commas.
    ``whole=True`` keeps every digit before the decimal point below 10⁶ (counts in a sentence:
    ``13437 -> 13,437`` where ``sig=2`` alone gives ``13,000``). A NaN is written ``nan`` (a
    readout may say "undefined").
    """
    x = float(x)
    if math.isnan(x):
        return nan
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    sign = "−" if x < 0 else ""
    a = abs(x)
    # round to sig digits first, so that 999,999.6 becomes 10⁶ and not "1,000,000"
    exp = math.floor(math.log10(a))
    if whole and a < LARGE:
        sig = max(sig, exp + 1)
    # the mantissa (1 to 10) and exponent as Python rounds them; no division by 10**exp,
    # which is 0.0 for the smallest (subnormal) floats
    scientific = f"{a:.{sig - 1}e}"
    rounded = float(scientific)
    mant, exp_text = scientific.split("e")
    exp = int(exp_text)
    if rounded >= LARGE or rounded < SMALL:
        return f"{sign}{_trim(mant)}×{power_of_ten(exp)}"
    decimals = max(0, sig - 1 - exp)
    text = _trim(f"{rounded:,.{decimals}f}")
    return sign + text


def with_unit(x: float, unit: str = "", sig: int = 4) -> str:
    """``number(x)`` followed by its unit (``13,000 cells/day``; ``45%``)."""
    text = number(x, sig)
    if not unit:
        return text
    return f"{text}{unit}" if unit in {"%", "°"} else f"{text} {unit}"


def percent(fraction: float, sig: int = 2) -> str:
    """A fraction as a percentage, the one way every explorer writes one.

    ``sig`` significant digits below 10% (``0.0243 -> 2.4%``, ``0.000243 -> 0.024%``),
    whole per cents from 10% (``0.37 -> 37%``, ``0.91 -> 91%``), and just below 100% one
    significant digit of what is missing, so that "100%" means all, to four decimals
    (``0.998 -> 99.8%``, ``0.9995 -> 99.95%``). 0 and 100% exactly are ``0%`` and ``100%``;
    below 0.001% a power of ten (``1×10⁻⁴%``, as ``number`` writes it).
    """
    v = 100.0 * float(fraction)
    a = abs(v)
    if not math.isfinite(v) or a < SMALL:
        return number(v, sig) + "%"
    if a < 10:
        decimals = max(0, sig - 1 - math.floor(math.log10(a)))
    elif 0 < 100.0 - a < 1:
        decimals = math.ceil(-math.log10(100.0 - a))
    else:
        decimals = 0
    text = _trim(f"{a:,.{min(decimals, _PERCENT_DECIMALS)}f}")
    return ("−" if v < 0 else "") + text + "%"


#: most decimals a percentage is written with (``99.9999%``)
_PERCENT_DECIMALS = 4


def tick(v: float) -> str:
    """A tick label: powers of ten as ``10ⁿ`` beyond 1,000; other values as ``number``."""
    v = float(v)
    if v > 0:
        n = round(math.log10(v))
        if math.isclose(v, 10.0**n, rel_tol=1e-9) and not -2 <= n <= 3:
            return power_of_ten(n)
    return number(v, 3)


def js_key(v: float) -> str:
    """How JavaScript's ``String(v)`` writes a number (the key bqplot looks tick labels up by)."""
    v = float(v)
    if v == int(v) and abs(v) < 1e21:
        return str(int(v))
    text = repr(v)
    if "e" not in text:
        return text
    mant, exp_text = text.split("e")
    exp = int(exp_text)
    if -7 < exp < 21:
        return format(Decimal(text), "f")
    return f"{mant}e{'+' if exp > 0 else '-'}{abs(exp)}"


def axis_ticks(lo: float, hi: float, *, log: bool, max_ticks: int = 6) -> list[float]:
    """At most ``max_ticks`` round tick values inside ``[lo, hi]``.

    Log axes: powers of ten (every k-th decade when there are many), or 1-2-5 steps when
    the range spans less than two decades. Linear axes: 1-2-5 steps.
    """
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    if log:
        if lo <= 0:
            return []
        a, b = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
        decades = list(range(a, b + 1))
        if len(decades) >= 2:
            step = max(1, math.ceil(len(decades) / max_ticks))
            # multiples of the step (10⁰, 10³, 10⁶ ...) so that the grid looks regular
            picked = [n for n in decades if n % step == 0]
            if len(picked) < 2:
                picked = decades[::step]
            return [float(f"1e{n}") for n in picked]
        out = []
        for n in range(a - 1, b + 1):
            for m in (1, 2, 5):
                v = float(f"{m}e{n}")
                if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                    out.append(v)
        return out if len(out) <= max_ticks else out[:: math.ceil(len(out) / max_ticks)]
    span = hi - lo
    raw = span / max(1, max_ticks - 1)
    exp = math.floor(math.log10(raw))
    step = next(m * 10**exp for m in (1, 2, 5, 10) if m * 10**exp >= raw)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [float(Decimal(k) * Decimal(str(step))) for k in range(first, last + 1)]
