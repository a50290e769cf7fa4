"""Rows that carry their own text in both languages (categories, premises types, checklists)."""

from __future__ import annotations

from django.utils.translation import get_language


def in_language(chinese: str, english: str, language: str | None = None) -> str:
    """The English text when the language (default: the active one) is English, else the Chinese
    (Simplified Chinese is the first language, so an unknown or unset language reads Chinese)."""
    language = language or get_language() or "zh-hans"
    return english if language.startswith("en") else chinese
