"""Assessment: the item bank of graded questions (``assessment.bank``) that lessons draw on."""

from . import bank

__all__ = ["bank"]
