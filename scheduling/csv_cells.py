"""CSV cells a spreadsheet opens as text, never as a formula (CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula: an imported address
``=HYPERLINK("http://evil.example","x")`` becomes a live link on a driver's sheet. Following
the OWASP advice, every CSV lastmile writes for people (driver sheets, plan and capacity
exports, scorecards, order files) passes its cells through :func:`spreadsheet_safe`, which
prefixes such a *text* cell with a single quote ``'``; spreadsheets show the text as written.

Numbers are not touched: an ``int`` or ``float`` cell, and a text cell that is a plain number
(``-12``, ``-57.700000``, ``+3.5e2``), are data, not formulas. Reading an order file back
(:func:`scheduling.orders_csv.parse_orders`) removes the quote again (:func:`unquote_cell`).
"""

from __future__ import annotations

import csv
import re
from typing import IO, Any, Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(cell: Any) -> Any:
    """``cell``, or ``"'" + cell`` for a text cell a spreadsheet would run as a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def unquote_cell(text: str) -> str:
    """Undo :func:`spreadsheet_safe` on a cell read back (``'=x`` -> ``=x``); other text is unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """``csv.writer`` whose rows go through :func:`spreadsheet_safe`."""

    def __init__(self, f: IO[str], **fmt: Any):
        self._w = csv.writer(f, **fmt)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([spreadsheet_safe(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose values go through :func:`spreadsheet_safe`."""

    def __init__(self, f: IO[str], fieldnames: Sequence[str], **fmt: Any):
        self._w = csv.DictWriter(f, fieldnames=fieldnames, **fmt)

    def writeheader(self) -> Any:
        return self._w.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._w.writerow({k: spreadsheet_safe(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(f: IO[str], **fmt: Any) -> SafeWriter:
    """The CSV writer every lastmile export uses (``csv.writer`` arguments)."""
    return SafeWriter(f, **fmt)


def dict_writer(f: IO[str], fieldnames: Sequence[str], **fmt: Any) -> SafeDictWriter:
    """The dict CSV writer every lastmile export uses (``csv.DictWriter`` arguments)."""
    return SafeDictWriter(f, fieldnames, **fmt)


def safe_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame whose text columns went through :func:`spreadsheet_safe`
    (for exports written with ``DataFrame.to_csv``); number columns are left as they are."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("str", "string"):
            out[column] = out[column].map(spreadsheet_safe)
    return out
