"""Readable text from the start of an HTML mail body, for a list-view snippet.

Linear-time regular expressions, not ``html.parser``: on Python 3.11 the stdlib parser takes quadratic time
on unclosed tags (90 KB of ``<a `` took 52 s, measured) and raises ``AssertionError`` on ``<![<![``; one such
mail must not stall a sync worker. A snippet needs visible words, not a DOM: hidden blocks (style, script,
head) are dropped, block tags become spaces, other tags vanish, entities are unescaped. Outlook and Foxmail
bodies often open with tens of kilobytes of CSS, which is skipped, never shown.
"""

from __future__ import annotations

import html
import re

# Every pattern ends in "(?:...|\Z)" so an unclosed construct is consumed once instead of rescanned.
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_HIDDEN = re.compile(
    r"<(script|style|head|title|noscript|template|xml)\b[^>]*(?:>|\Z)(?:.*?(?:</\1\s*>|(?=<body\b)|\Z))?",
    re.I | re.S,  # an unclosed <head> ends where <body> starts
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|hr|pre|center|section|article|body)\b[^>]*(?:>|\Z)",
    re.I,
)
_ANY_TAG = re.compile(r"<[!/?]?[A-Za-z][^>]*(?:>|\Z)")


def html_to_text(markup: str) -> str:
    """The visible text of ``markup`` (whitespace not yet collapsed)."""
    if "<" in markup:
        markup = _COMMENT.sub(" ", markup)
        markup = _HIDDEN.sub(" ", markup)
        markup = _BLOCK_TAG.sub(" ", markup)
        markup = _ANY_TAG.sub("", markup)
    return html.unescape(markup) if "&" in markup else markup
