"""Render text that came from data safely for each output: terminal, Markdown, CSV, HTML.

Dimension values, insight fields, titles and customer words are data. They may hold
terminal escapes (ANSI colours, OSC 8 links), rich markup (`[link=…]`), Markdown or HTML
(`|`, `**`, `<script>`), or spreadsheet formulas (`=HYPERLINK(…)`). Every report, the CLI,
the council app and chat pass such text through one of these functions, never raw.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from rich.text import Text

# CSI and OSC sequences (OSC 8 links end in BEL or ST), other two-byte escapes, then any
# remaining C0/C1 control character. Tabs and newlines are flattened separately.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[@-_]?"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
_MD_ALWAYS = re.compile(r"([\\`*{}\[\]()<>#+!|~$]|&(?=#?\w+;))")
# An underscore only starts or ends emphasis at a word edge; `app_version` stays readable.
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and control characters, keeping tabs and newlines."""
    return _ESCAPES.sub("", text)


def one_line(text: str) -> str:
    """Strip control characters and fold every run of whitespace into one space."""
    return " ".join(strip_control(text).split())


def terminal_text(text: str, style: str = "") -> Text:
    """Return data as a rich `Text`: one line, no escapes, never read as markup."""
    return Text(one_line(text), style=style)


def error_line(exc: BaseException, label: str = "error") -> Text:
    """Return `error: <message>` for the terminal; the message may quote data, so it is Text."""
    return Text(f"{label}: ", style="bold red") + terminal_text(str(exc))


def md_text(text: str) -> str:
    """Return data as inline Markdown: one line, every markup character escaped."""
    flat = _MD_ALWAYS.sub(r"\\\1", one_line(text))
    return _MD_UNDERSCORE.sub(r"\\_", flat)


def md_cell(text: str) -> str:
    """Return data as a Markdown table cell: inline-escaped, pipes escaped, no formula start."""
    return md_text(_defuse_formula(one_line(text)))


def csv_cell(text: str) -> str:
    """Return data for a CSV cell a spreadsheet opens as text, never as a formula."""
    return _defuse_formula(strip_control(text))


def html_text(text: str) -> Markup:
    """Return data escaped for HTML (control characters removed)."""
    return escape(strip_control(text))


def markdown_to_html(markdown: str) -> Markup:
    """Render our Markdown (chat answers) to HTML; raw HTML in it stays escaped text."""
    return Markup(_MARKDOWN.render(strip_control(markdown)))


def _defuse_formula(text: str) -> str:
    # A leading apostrophe makes spreadsheets show the cell as text (OWASP CSV injection).
    return "'" + text if text.startswith(_FORMULA_START) else text


def finalize_html(value: object) -> object:
    """Jinja `finalize`: strip control characters from every plain string a template prints.

    Autoescaping still escapes the result; `Markup` we built ourselves passes untouched.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_control(value)
    return value
