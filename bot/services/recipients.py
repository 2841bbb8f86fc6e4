"""Who a mass send goes to: recipients pasted in a form or uploaded as a file, then checked.

Pure on purpose (bytes and text in, typed results out; no Slack, HTTP or database), so that the
modal, a preview and the tests read recipients the same way. Every problem is a code and its
parameters, never a sentence: what a person reads comes from the gettext catalogues.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Collection, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from bot.heynow.channels import Channel, normalise_client_id, phone_number

MAX_FILE_BYTES = 5 * 1024 * 1024
XLSX_UNPACKED_FACTOR = 20  # an .xlsx is a zip: a small file that unpacks to more is refused unread
NUMBER_WORDS_MAX = 16  # an E.164 number has at most 15 digits and a `+`: a bound on the grouping
SNIFF_CHARS = 8192  # csv.Sniffer looks at every character of its sample; the start is enough
CONTENT_SAMPLE_ROWS = 200  # rows looked at to find the recipient column by its values
BLANK_ROWS_END = 1000  # this many blank rows in a row end a file's table

Rows = Generator[tuple[int, list[str]], None, None]  # (row number, cells as text)
Params = Mapping[str, str | int | tuple[str, ...]]


class Source(StrEnum):
    """Where an entry came from, which says what its `row` counts."""

    PASTED = "pasted"  # `row` is the line of the text field, from 1
    FILE = "file"  # `row` is the spreadsheet's row number (the header is usually row 1)


class RowProblem(StrEnum):
    """Why one recipient is left out."""

    EMPTY = "empty"  # a file row with data but nothing in the recipient column
    NOT_A_NUMBER = (
        "not_a_number"  # WhatsApp: not a valid phone number (local to the region or international)
    )
    NOT_AN_ID = (
        "not_an_id"  # other channels: not an id Hey Now takes (channels.normalise_client_id)
    )


class FileProblem(StrEnum):
    """Why a whole file is refused; FileRefused.params says more."""

    FILE_TOO_BIG = "file_too_big"  # size, limit: bytes (for an .xlsx, possibly its unpacked size)
    TOO_MANY_ROWS = "too_many_rows"  # limit: max_recipients
    EMPTY_FILE = "empty_file"  # no row with anything in it
    NO_RECIPIENT_COLUMN = "no_recipient_column"  # columns: the header cells as typed
    UNREADABLE_FILE = "unreadable_file"  # name: a broken .xlsx, binary text, a malformed CSV
    NOT_UTF8_OR_CP1252 = "not_utf8_or_cp1252"  # name: text that is neither encoding
    UNSUPPORTED_FILE = "unsupported_file"  # name: old .xls, .ods, pdf...: save as .xlsx or CSV


class FileRefused(ValueError):
    """A file-level problem: the code for the catalogue and its parameters."""

    def __init__(self, code: FileProblem, **params: str | int | tuple[str, ...]) -> None:
        super().__init__(code.value)
        self.code = code
        self.params: Params = params


@dataclass(frozen=True)
class Entry:
    """One recipient as typed, before any check: the value, where it was, its row's fields."""

    typed: str
    row: int
    source: Source
    fields: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RecipientFile:
    """A file read: its columns (normalised names, usable as placeholders) and its entries."""

    name: str
    columns: tuple[str, ...]
    recipient_column: str
    has_header: bool  # False when the first row already held recipients (columns are column_N)
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Recipient:
    """A valid recipient: the id Hey Now expects, and the row it came from."""

    client_id: str
    row: int
    source: Source
    typed: str
    fields: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Invalid:
    """A recipient left out: where, the value as typed, and why."""

    row: int
    source: Source
    typed: str
    reason: RowProblem


@dataclass(frozen=True)
class Checked:
    """The outcome of `check`: who gets the message, in order, and who does not and why."""

    recipients: tuple[Recipient, ...]
    invalid: tuple[Invalid, ...]
    duplicates: int  # the same id again (in any spelling): dropped, the first one kept
    opted_out: tuple[Recipient, ...]  # valid, but on the opt-out list: left out
    max_recipients: int

    @property
    def too_many(self) -> bool:
        return len(self.recipients) > self.max_recipients


class ClientIds:
    """Typed values to Hey Now ids for one channel and region, each distinct spelling worked
    out once: phonenumbers is the main cost of reading 10,000 recipients, and the pasted-text
    parser has already parsed what `check` asks again."""

    def __init__(self, channel: Channel, region: str = "UY") -> None:
        self.channel = channel
        self.region = region
        self._known: dict[str, str | None] = {}

    def __call__(self, typed: str) -> str | None:
        if typed in self._known:
            return self._known[typed]
        value: str | None
        if self.channel is Channel.WHATSAPP:
            # phonenumbers finds a number inside any text (`hola 091000002`); in a list, such
            # a value is more likely two things run together than one recipient
            value = phone_number(typed, self.region) if _NUMBER_TEXT.match(typed) else None
        else:
            try:
                value = normalise_client_id(self.channel, typed, self.region)
            except ValueError:
                value = None
        self._known[typed] = value
        return value


def column_name(header: str) -> str:
    """A header cell as a placeholder name: `First name` → `first_name`, `Teléfono` → `teléfono`."""
    return "_".join(unicodedata.normalize("NFC", header).lower().split())


def fold(name: str) -> str:
    """What names are compared by: without accents or case, so `{telefono}` finds `Teléfono`."""
    decomposed = unicodedata.normalize("NFKD", column_name(name))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- pasted text ---------------------------------------------------------------------------

_NUMBER_TEXT = re.compile(r"^[\d+().\-\s]+$")  # what a typed phone number is written with
_CHUNKS = re.compile(r"[,;]")
_WORD = re.compile(r"\S+")
_NUMBER_WORD = re.compile(r"^[\d+().\-]+$")  # a word that may be part of a typed phone number


def parse_pasted(text: str, ids: ClientIds) -> tuple[Entry, ...]:
    """Entries of a multiline field: split on line breaks, commas and semicolons; a piece that
    is as a whole a valid number (WhatsApp: `+598 91 000 002`) is one entry, any other is split
    on spaces, where runs of number words are joined again into the shortest valid number."""
    entries: list[Entry] = []
    for line_number, line in enumerate(text.splitlines(), 1):
        for chunk in _CHUNKS.split(line):
            chunk = chunk.strip()
            if not chunk:
                continue
            if ids.channel is Channel.WHATSAPP and ids(chunk) is not None:
                entries.append(Entry(chunk, line_number, Source.PASTED))
                continue
            entries.extend(Entry(typed, line_number, Source.PASTED) for typed in _words(chunk, ids))
    return tuple(entries)


def _words(chunk: str, ids: ClientIds) -> Generator[str, None, None]:
    """`chunk`'s recipients: its words, except that on WhatsApp consecutive number words make
    one number (`091 000 002 091 000 003` is two), and number words that make none are one
    invalid entry (`091 000`), so the error shows what was typed."""
    spans = [m.span() for m in _WORD.finditer(chunk)]
    if ids.channel is not Channel.WHATSAPP:
        yield from (chunk[a:b] for a, b in spans)
        return
    bad_from: int | None = None  # start of the run of number words that made no number
    i = 0
    while i < len(spans):
        run = 0
        while run < NUMBER_WORDS_MAX and i + run < len(spans):
            a, b = spans[i + run]
            if not _NUMBER_WORD.match(chunk[a:b]):
                break
            run += 1
        found = next(
            (k for k in range(1, run + 1) if ids(chunk[spans[i][0] : spans[i + k - 1][1]])), 0
        )
        if found and bad_from is not None:
            yield chunk[bad_from : spans[i - 1][1]]
            bad_from = None
        if found:
            yield chunk[spans[i][0] : spans[i + found - 1][1]]
            i += found
        elif run:
            bad_from = spans[i][0] if bad_from is None else bad_from
            i += 1
        else:
            if bad_from is not None:
                yield chunk[bad_from : spans[i - 1][1]]
                bad_from = None
            yield chunk[spans[i][0] : spans[i][1]]
            i += 1
    if bad_from is not None:
        yield chunk[bad_from:]


# --- files ---------------------------------------------------------------------------------

_RECIPIENT_NAMES = frozenset(
    fold(name)
    for name in (
        *("phone", "phone_number", "number", "telefono", "celular", "movil", "whatsapp"),
        *("numero", "client", "client_id", "clientid", "id", "destinatario"),
    )
)
_LOOKS_LIKE_ID = re.compile(r"^\+?[\d\s().\-]*$")
_DATE_OR_AMOUNT = re.compile(
    r"^(\d{1,4}([-./])\d{1,2}\2\d{1,4}|\d+\.\d{1,2})$"
)  # 5/3/2024, 1500000.50
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc)
_NOT_TABLES = (".xls", ".ods", ".numbers", ".pdf", ".doc", ".docx", ".png", ".jpg", ".jpeg")
_DELIMITERS = ",;\t|"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_file(
    data: bytes, name: str, *, max_recipients: int, max_bytes: int = MAX_FILE_BYTES
) -> RecipientFile:
    """Read an uploaded .xlsx or CSV; raise FileRefused for what cannot be used as a whole.

    The file's kind comes from its content (a zip is an .xlsx), not from its name, which
    only refuses other documents early. Rows are read one at a time and the reading stops
    at max_recipients + 1 rows, so a huge file costs no more than the limit.
    """
    if len(data) > max_bytes:
        raise FileRefused(FileProblem.FILE_TOO_BIG, size=len(data), limit=max_bytes)
    if data.startswith(_ZIP):
        rows = _xlsx_rows(data, name, max_bytes * XLSX_UNPACKED_FACTOR)
    elif data.startswith(_OLE) or name.lower().endswith(_NOT_TABLES):
        raise FileRefused(FileProblem.UNSUPPORTED_FILE, name=name)
    elif name.lower().endswith((".xlsx", ".xlsm")):  # named a workbook, but not a zip
        raise FileRefused(FileProblem.UNREADABLE_FILE, name=name)
    else:
        rows = _csv_rows(data, name)
    with contextlib.closing(rows):
        return _table(rows, name, max_recipients)


def _table(rows: Rows, name: str, max_recipients: int) -> RecipientFile:
    header: list[str] | None = None
    header_row = 0
    data: list[tuple[int, list[str]]] = []
    blank = 0
    for number, cells in rows:
        if not any(cells):
            blank += 1  # blank rows (spreadsheets keep many formatted ones) are no one, and
            if blank > BLANK_ROWS_END:  # a long run of them ends the table: reading a
                break  # million formatted rows would miss Slack's 3 s for the form
            continue
        blank = 0
        if header is None:
            header_row, header = number, cells
            continue
        data.append((number, cells))
        if len(data) > max_recipients:
            raise FileRefused(FileProblem.TOO_MANY_ROWS, limit=max_recipients)
    if header is None:
        raise FileRefused(FileProblem.EMPTY_FILE, name=name)
    names = [column_name(cell) or f"column_{i}" for i, cell in enumerate(header, 1)]
    index = next((i for i, n in enumerate(names) if fold(n) in _RECIPIENT_NAMES), None)
    has_header = index is not None or not any(_looks_like_id(cell) for cell in header)
    if not has_header:  # a bare list of numbers: its first row is a recipient, not a header
        data.insert(0, (header_row, header))
        if len(data) > max_recipients:
            raise FileRefused(FileProblem.TOO_MANY_ROWS, limit=max_recipients)
        width = max(len(cells) for _, cells in data)
        names = [f"column_{i}" for i in range(1, width + 1)]
    if index is None:
        index = _column_by_content(data, len(names))
    if index is None:
        raise FileRefused(FileProblem.NO_RECIPIENT_COLUMN, columns=tuple(header))
    seen: set[str] = set()
    usable: list[tuple[int, str]] = []  # a name given twice (in any accents) is the first column's
    for i, n in enumerate(names):
        if fold(n) not in seen:
            seen.add(fold(n))
            usable.append((i, n))
    entries = tuple(
        Entry(
            _cell(cells, index),
            number,
            Source.FILE,
            {n: _cell(cells, i) for i, n in usable},
        )
        for number, cells in data
    )
    return RecipientFile(name, tuple(n for _, n in usable), names[index], has_header, entries)


def _cell(cells: Sequence[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


def _looks_like_id(value: str) -> bool:
    """A phone number or a numeric id at a glance, without phonenumbers: this only chooses
    the column, `check` decides each value. 8 digits or more (a Uruguayan number without its
    0 has 8), so that order numbers do not pass; dates and amounts with cents are told apart."""
    return (
        bool(_LOOKS_LIKE_ID.match(value))
        and sum(c.isdigit() for c in value) >= 8
        and not _DATE_OR_AMOUNT.match(value)
    )


def _column_by_content(data: Sequence[tuple[int, list[str]]], width: int) -> int | None:
    """The first column in which most non-empty values look like numbers or ids."""
    sample = [cells for _, cells in data[:CONTENT_SAMPLE_ROWS]]
    for index in range(width):
        values = [v for v in (_cell(cells, index) for cells in sample) if v]
        if values and 2 * sum(map(_looks_like_id, values)) > len(values):
            return index
    return None


def _csv_rows(data: bytes, name: str) -> Rows:
    """CSV rows (numbered as a spreadsheet shows them), decoded as they are read."""
    encoding = _encoding(data, name)
    try:
        delimiter = _delimiter(_text(data, encoding).read(SNIFF_CHARS))
        reader = csv.reader(_text(data, encoding), delimiter=delimiter)
        for number, cells in enumerate(reader, 1):
            yield number, [cell.strip() for cell in cells]
    except UnicodeDecodeError:
        code = (
            FileProblem.NOT_UTF8_OR_CP1252 if encoding == "cp1252" else FileProblem.UNREADABLE_FILE
        )
        raise FileRefused(code, name=name) from None
    except csv.Error:  # a field over csv's size limit, a quote csv cannot close
        raise FileRefused(FileProblem.UNREADABLE_FILE, name=name) from None


def _text(data: bytes, encoding: str) -> io.TextIOWrapper:
    # BytesIO shares `data` rather than copying it; newline="" as the csv module asks
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _encoding(data: bytes, name: str) -> str:
    """A BOM's encoding; else UTF-8 if all of it decodes strictly; else Windows-1252 (what
    Excel in Spanish exports). Checked in pieces, so no decoded copy of the file is kept."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    if b"\x00" in data:  # binary, or UTF-16 without its BOM: no text a person typed
        raise FileRefused(FileProblem.UNREADABLE_FILE, name=name)
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), 1 << 16):
            decoder.decode(view[start : start + (1 << 16)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _delimiter(sample: str) -> str:
    """csv.Sniffer's choice among `, ; tab |` when the header line has it, else the one most
    frequent in the header line (header names rarely hold a delimiter; data often does)."""
    if len(sample) == SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut last line would mislead the sniffer
    first = next((line for line in sample.splitlines() if line.strip()), "")
    with contextlib.suppress(csv.Error):
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
        if sniffed in first:
            return sniffed
    counts = [first.count(d) for d in _DELIMITERS]
    return _DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def _xlsx_rows(data: bytes, name: str, max_unpacked: int) -> Rows:
    """The first sheet's rows as text, streamed by openpyxl's read-only mode."""
    import openpyxl  # here: a CSV-only caller never pays for importing it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FileRefused(FileProblem.UNREADABLE_FILE, name=name) from None
    if unpacked > max_unpacked:
        raise FileRefused(FileProblem.FILE_TOO_BIG, size=unpacked, limit=max_unpacked)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is no workbook (.ods, .docx)
        raise FileRefused(FileProblem.UNREADABLE_FILE, name=name) from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # a stored size may be wrong; read every row there is
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [_cell_text(value) for value in values]
    except FileRefused:
        raise
    except Exception:  # malformed sheet XML surfaces only while reading it
        raise FileRefused(FileProblem.UNREADABLE_FILE, name=name) from None
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as the text a person sees: 59891000001.0 → `59891000001`, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".15g")  # the 15 significant digits Excel keeps
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()  # text, and durations (timedelta) as `1:30:00`


# --- checks --------------------------------------------------------------------------------


def check(
    entries: Iterable[Entry],
    ids: ClientIds,
    *,
    max_recipients: int,
    opted_out: Collection[str] = frozenset(),
) -> Checked:
    """Normalise each entry; keep the first of each id, leave out invalid and opted-out ones.

    `opted_out` holds normalised ids. Too many recipients is a flag, not a cut: the person
    decides what to leave out, not the order of the file.
    """
    reason = RowProblem.NOT_A_NUMBER if ids.channel is Channel.WHATSAPP else RowProblem.NOT_AN_ID
    recipients: list[Recipient] = []
    invalid: list[Invalid] = []
    left_out: list[Recipient] = []
    seen: set[str] = set()
    duplicates = 0
    for entry in entries:
        if not entry.typed.strip():
            invalid.append(Invalid(entry.row, entry.source, entry.typed, RowProblem.EMPTY))
            continue
        client_id = ids(entry.typed)
        if client_id is None:
            invalid.append(Invalid(entry.row, entry.source, entry.typed, reason))
            continue
        if client_id in seen:
            duplicates += 1
            continue
        seen.add(client_id)
        recipient = Recipient(client_id, entry.row, entry.source, entry.typed, entry.fields)
        (left_out if client_id in opted_out else recipients).append(recipient)
    return Checked(tuple(recipients), tuple(invalid), duplicates, tuple(left_out), max_recipients)
