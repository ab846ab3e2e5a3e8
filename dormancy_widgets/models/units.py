"""Unit constants shared by the models, each with its unit and reason, declared once.

Times in every model are in days; plots and readouts that speak in months or years divide by
these. Sizes are in cells or in mm³ at the conventional packing of 10⁶ cells per mm³.
"""

from __future__ import annotations

__all__ = [
    "CELLS_PER_MM3",
    "CLINICAL_CELLS",
    "CLINICAL_MM3",
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "ONE_CELL",
    "ONE_CELL_MM3",
]

#: days in a year (Julian year: leap years averaged in)
DAYS_PER_YEAR = 365.25
#: days in a mean month, DAYS_PER_YEAR / 12 (30.44 days)
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

#: cells in 1 mm³ of tumour, the conventional packing (Udagawa 2008, APMIS 116:615)
CELLS_PER_MM3 = 1e6
#: the usual size of clinical detection: 1 cm³, about 10⁹ cells (Udagawa 2008; Norton 1988)
CLINICAL_CELLS = 1e9
#: the same size as a volume: 1 cm³ = 1000 mm³
CLINICAL_MM3 = CLINICAL_CELLS / CELLS_PER_MM3

#: one cell, as a count: a continuous cell number below this means none is left
ONE_CELL = 1.0
#: one cell, as a volume: 1e-6 mm³ (a tumour volume below this holds no whole cell)
ONE_CELL_MM3 = ONE_CELL / CELLS_PER_MM3
