"""Reading extract files into rows: folders, files and zips; CSV (gzip, ``,`` or ``;``,
UTF-8) and Excel. Nothing is judged here but the shape of a line: each row comes out with
its line number, its values by column, or as unreadable with what it held."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dashboard.data.extract.format import ExtractTable, identify

#: File names an extract may hold (others in a folder or zip are left aside, and said so).
SUFFIXES = (".csv", ".csv.gz", ".xlsx")
#: Bounds on what a file may make the import read: a zip that expands past them is refused.
MAX_FILE_BYTES = 4 * 1024**3
MAX_ZIP_RATIO = 200
MAX_COLUMNS = 200
#: The longest field read (a longer one makes its line unreadable).
MAX_FIELD = 100_000
#: How much of an unreadable line is kept as its original value.
KEPT_TEXT = 500


class ExtractError(Exception):
    """Input that cannot be imported at all: reported as one line, exit code 2."""


@dataclass
class Source:
    """One file of an extract: its name as the user gave it and a way to read its bytes."""

    name: str
    path: Path
    member: str | None = None  # inside a zip
    digest: str = ""
    size: int = 0

    def open(self) -> io.BufferedIOBase:
        """Return the file's bytes (unzipped, not yet gunzipped), bounded in size."""
        if self.member is None:
            return self.path.open("rb")
        archive = zipfile.ZipFile(self.path)
        return io.BufferedReader(_Bounded(archive.open(self.member), MAX_FILE_BYTES, self.name))


class _Bounded(io.RawIOBase):
    """A stream that refuses to give more than ``limit`` bytes (a zip bomb stops here)."""

    def __init__(self, inner, limit: int, name: str):
        self.inner, self.left, self.name = inner, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise ExtractError(f"{self.name}: expands beyond {MAX_FILE_BYTES // 1024**3} GB")
        self.left -= len(data)
        buffer[:len(data)] = data
        return len(data)


def kind_of(name: str) -> str | None:
    """Return the kind of an extract file by its name (csv, csv.gz, xlsx), or None."""
    lower = name.lower()
    return next((s.lstrip(".") for s in SUFFIXES if lower.endswith(s)), None)


def find_sources(paths: list[str]) -> tuple[list[Source], list[str]]:
    """Return the files the given paths name (a folder's files, a zip's members, files),
    each with its SHA-256, and the names left aside; raise :class:`ExtractError` for a path
    that does not exist or a zip that cannot be read."""
    sources: list[Source] = []
    ignored: list[str] = []
    for text in paths:
        path = Path(text)
        if not path.exists():
            raise ExtractError(f"{text}: no such file or folder")
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.name.lower().endswith(".zip"):
                    sources += _zip_sources(child, ignored)
                elif child.is_file() and kind_of(child.name):
                    sources.append(Source(child.name, child))
                elif not child.name.startswith("."):
                    ignored.append(child.name)
        elif path.name.lower().endswith(".zip"):
            sources += _zip_sources(path, ignored)
        elif kind_of(path.name):
            sources.append(Source(path.name, path))
        else:
            raise ExtractError(f"{text}: not an extract file (.csv, .csv.gz, .xlsx or .zip)")
    for source in sources:
        source.digest, source.size = _digest(source)
    return sources, ignored


def _zip_sources(path: Path, ignored: list[str]) -> list[Source]:
    try:
        archive = zipfile.ZipFile(path)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ExtractError(f"{path.name}: not a readable zip file ({error})") from None
    found = []
    for member in members:
        if member.is_dir():
            continue
        name = Path(member.filename).name
        if not kind_of(name):
            ignored.append(f"{path.name}/{member.filename}")
            continue
        if member.file_size > MAX_FILE_BYTES or member.file_size > MAX_ZIP_RATIO * max(
                member.compress_size, 1) + 1024**2:
            raise ExtractError(f"{path.name}/{member.filename}: expands too far "
                               f"({member.file_size:,} bytes from {member.compress_size:,})")
        found.append(Source(name, path, member.filename))
    return found


def _digest(source: Source) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        with source.open() as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ExtractError(f"{source.name}: cannot be read ({error})") from None
    return digest.hexdigest(), size


#: One data row: its line, its fields in the header's order (None when unreadable), and
#: for an unreadable line what it held (None otherwise).
Row = tuple[int, "list[str] | None", "str | None"]


@dataclass
class Opened:
    """A file whose header named a table: the table, the column each position holds
    (None: a column of no use), and its rows to read."""

    table: ExtractTable
    names: list[str | None]
    rows: Iterator[Row]
    #: The same rows as Arrow tables (``line``, ``unreadable`` and the table's columns),
    #: when a file is read by Arrow's CSV reader; ``rows`` then serves if it gives up.
    chunks: Iterator[pa.Table] | None = None


class FastReadFailed(Exception):
    """Arrow's reader could not read a file that Python's reader may still read."""


def open_rows(source: Source) -> Opened:
    """Return the table a file holds and its rows; raise :class:`ExtractError` when the
    file cannot be read or its header fits none of the three tables."""
    kind = kind_of(source.name)
    if kind == "xlsx":
        return _xlsx_rows(source)
    stream = source.open()
    if kind == "csv.gz":
        stream = gzip.GzipFile(fileobj=stream)
    try:
        raw = stream.readline(MAX_FIELD * 2)
    except (OSError, EOFError, zlib.error) as error:
        raise ExtractError(f"{source.name}: cannot be read ({error})") from None
    first = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    table, names = _identified(source, header)
    garbled: set[int] = set()
    lines = _decoded_lines(source, stream, garbled)
    opened = Opened(table, names, _csv_rows(source, lines, garbled, delimiter, len(names)))
    if _is_utf8(source):
        opened.chunks = _arrow_chunks(source, table, names, delimiter)
    return opened


def _text_stream(source: Source):
    stream = source.open()
    return gzip.GzipFile(fileobj=stream) if kind_of(source.name) == "csv.gz" else stream


def _is_utf8(source: Source) -> bool:
    """Tell whether a whole CSV file is UTF-8 (then Arrow's reader may read it)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with _text_stream(source) as stream:
            while chunk := stream.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError, EOFError, zlib.error):
        return False
    return True


def _arrow_chunks(source: Source, table: ExtractTable, names: list[str | None],
                  delimiter: str) -> Iterator[pa.Table]:
    """Yield a CSV file's rows read by Arrow, with the line of each (one line per row: a
    line that is not one row of the header's width is unreadable, an empty one no row).
    Raise :class:`FastReadFailed` when Arrow cannot go on."""
    width = len(names)
    refused: list[tuple[int, str]] = []

    def unreadable(row) -> str:
        if row.number is None:
            raise FastReadFailed("no line number")
        refused.append((row.number, (row.text or "")[:KEPT_TEXT]))
        return "skip"

    positions = [f"c{i}" for i in range(width)]
    try:
        reader = pacsv.open_csv(
            _text_stream(source),
            read_options=pacsv.ReadOptions(column_names=positions, skip_rows=1,
                                           use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                              newlines_in_values=False,
                                              invalid_row_handler=unreadable),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in positions}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
        line = 2
        for batch in reader:
            seen = sorted(number for number, _text in refused if number >= line)
            span = np.arange(line, line + batch.num_rows + len(seen))
            lines = np.setdiff1d(span, np.array(seen, dtype=span.dtype), assume_unique=True)
            if len(lines) != batch.num_rows:
                raise FastReadFailed("lines out of step")
            line += batch.num_rows + len(seen)
            yield _chunk(table, names, batch, lines)
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error) as error:
        raise FastReadFailed(str(error)) from None
    if refused:
        yield pa.table({"line": pa.array([n for n, _ in refused], pa.int32()),
                        "unreadable": pa.array([t for _, t in refused], pa.string()),
                        **{c: pa.nulls(len(refused), pa.string()) for c in table.columns}})


def _chunk(table: ExtractTable, names: list[str | None], batch: pa.RecordBatch,
           lines: np.ndarray) -> pa.Table:
    """Return one Arrow batch in the staging shape, lines of empty fields left out."""
    columns = {name: batch.column(i) for i, name in enumerate(names) if name}
    empty = None
    for i in range(batch.num_columns):
        blank = pc.equal(pc.utf8_trim_whitespace(batch.column(i)), "")
        empty = blank if empty is None else pc.and_(empty, blank)
    chunk = pa.table({"line": pa.array(lines, pa.int32()),
                      "unreadable": pa.nulls(batch.num_rows, pa.string()),
                      **{c: columns.get(c, pa.nulls(batch.num_rows, pa.string()))
                         for c in table.columns}})
    return chunk.filter(pc.invert(empty)) if empty is not None else chunk


def _decoded_lines(source: Source, stream, garbled: set[int]) -> Iterator[str]:
    """Yield the file's lines after the header as text; a line that is not UTF-8 is
    decoded anyway and its number (header: 1) put in ``garbled``."""
    number = 1
    while True:
        try:
            chunk = stream.readlines(1 << 22)
        except (OSError, EOFError, zlib.error) as error:
            raise ExtractError(f"{source.name}: cannot be read past line {number} "
                               f"({error})") from None
        if not chunk:
            return
        try:
            texts = [line.decode("utf-8") for line in chunk]
        except UnicodeDecodeError:
            texts = []
            for offset, line in enumerate(chunk, start=1):
                try:
                    texts.append(line.decode("utf-8"))
                except UnicodeDecodeError:
                    garbled.add(number + offset)
                    texts.append(line.decode("utf-8", "replace"))
        number += len(chunk)
        yield from texts


def _identified(source: Source, header: list[str]) -> tuple[ExtractTable, list[str | None]]:
    if len(header) > MAX_COLUMNS:
        raise ExtractError(f"{source.name}: {len(header):,} columns; an extract file has at "
                           f"most {MAX_COLUMNS}")
    if any(_garbled(h) for h in header):
        raise ExtractError(f"{source.name}: the header is not UTF-8 text")
    found = identify(header)
    if found is None:
        shown = ", ".join(h.strip()[:30] for h in header[:8]) or "(empty)"
        raise ExtractError(f"{source.name}: its header ({shown}) matches none of the three "
                           "tables (etablissements, eleves, examens): see the extract format")
    return found


def _garbled(text: str) -> bool:
    """Tell whether text read with ``surrogateescape`` held bytes that are not UTF-8."""
    return any("\udc80" <= c <= "\udcff" for c in text) or "\x00" in text


def _csv_rows(source: Source, lines: Iterator[str], garbled: set[int], delimiter: str,
              width: int) -> Iterator[Row]:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(lines, delimiter=delimiter)
    last = 1  # the line a record ends on; the header, read apart, is line 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line, last = last + 1, reader.line_num + 1
            yield line, None, f"{error}"[:KEPT_TEXT]
            continue
        line, last = last + 1, reader.line_num + 1
        if len(fields) != width or (garbled and not garbled.isdisjoint(range(line, last + 1))):
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line is no row
            yield line, None, delimiter.join(fields)[:KEPT_TEXT]
            continue
        if not fields[0].strip() and not any(f.strip() for f in fields):
            continue  # a line of empty fields holds no row either
        yield line, fields, None


def _xlsx_rows(source: Source) -> Opened:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        with source.open() as stream:
            book = CalamineWorkbook.from_filelike(io.BytesIO(stream.read()))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError, IndexError) as error:
        raise ExtractError(f"{source.name}: not a readable Excel file ({error})") from None
    if not rows:
        raise ExtractError(f"{source.name}: the first sheet is empty")
    header = [_cell_text(c) for c in rows[0]]
    table, names = _identified(source, header)

    def generate() -> Iterator[Row]:
        for index, cells in enumerate(rows[1:], start=2):  # the row number Excel shows
            texts = [_cell_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            yield index, (texts + [""] * len(names))[:len(names)], None

    return Opened(table, names, generate())


def _cell_text(cell: object) -> str:
    """Return an Excel cell as the text a CSV would hold."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, (dt.datetime, dt.date)):
        return cell.strftime("%Y-%m-%d")
    return str(cell)


