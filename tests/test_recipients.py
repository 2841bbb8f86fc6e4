import codecs
import io
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.heynow.channels import Channel
from bot.services.recipients import (
    ClientIds,
    Entry,
    FileProblem,
    FileRefused,
    RowProblem,
    Source,
    check,
    column_name,
    fold,
    parse_pasted,
    read_file,
)

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def whatsapp() -> ClientIds:
    return ClientIds(Channel.WHATSAPP, "UY")


def typed(entries):
    return [(e.typed, e.row) for e in entries]


def refused(data: bytes, name: str = "r.csv", **kwargs) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        read_file(data, name, max_recipients=kwargs.pop("max_recipients", 100), **kwargs)
    return caught.value


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [("Nombre", "nombre"), (" First  name ", "first_name"), ("Teléfono", "teléfono")],
)
def test_header_names_become_placeholder_names(header, name):
    assert column_name(header) == name


def test_names_compare_without_accents_or_case():
    assert fold("Teléfono") == fold("telefono") == fold("TELEFONO")


# --- pasted --------------------------------------------------------------------------------


def test_pasted_mixed_separators_and_spaced_numbers():
    ids = whatsapp()
    text = "091000001, +598 91 000 002;091 000 003\n59891000004 091000005\n\n  \n(091) 000-006"
    assert typed(parse_pasted(text, ids)) == [
        ("091000001", 1),
        ("+598 91 000 002", 1),
        ("091 000 003", 1),
        ("59891000004", 2),
        ("091000005", 2),
        ("(091) 000-006", 5),
    ]


def test_pasted_spaced_numbers_on_one_line_are_told_apart():
    entries = parse_pasted("+598 91 000 001 091 000 002 59891000003", whatsapp())
    assert typed(entries) == [("+598 91 000 001", 1), ("091 000 002", 1), ("59891000003", 1)]


def test_pasted_problems_keep_their_line_and_what_was_typed():
    ids = whatsapp()
    entries = parse_pasted("091000001\n\nhola 091000002\n091 000\n12345, 091000003", ids)
    result = check(entries, ids, max_recipients=10)
    assert [r.client_id for r in result.recipients] == ["59891000001", "59891000002", "59891000003"]
    assert [(i.row, i.typed, i.reason) for i in result.invalid] == [
        (3, "hola", RowProblem.NOT_A_NUMBER),
        (4, "091 000", RowProblem.NOT_A_NUMBER),
        (5, "12345", RowProblem.NOT_A_NUMBER),
    ]
    assert {i.source for i in result.invalid} == {Source.PASTED}


def test_pasted_ids_of_other_channels_are_words():
    ids = ClientIds(Channel.MESSENGER)
    entries = parse_pasted("2458811223344556 2458811223344557\n../login", ids)
    result = check(entries, ids, max_recipients=10)
    assert [r.client_id for r in result.recipients] == ["2458811223344556", "2458811223344557"]
    assert [(i.row, i.reason) for i in result.invalid] == [(2, RowProblem.NOT_AN_ID)]


MOBILES = st.builds(
    lambda second, rest: f"09{second}{rest:06d}",
    st.integers(1, 9),
    st.integers(0, 999_999),
)
SPELLINGS = st.sampled_from(
    [
        lambda n: n,  # 091000001
        lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",  # 091 000 001
        lambda n: f"+598 {n[1:3]} {n[3:6]} {n[6:]}",  # +598 91 000 001
        lambda n: "598" + n[1:],  # 59891000001
        lambda n: f"+598{n[1:]}",
        lambda n: f"({n[:3]}) {n[3:6]}-{n[6:]}",
        lambda n: f"{n[:3]}.{n[3:6]}.{n[6:]}",
    ]
)
SEPARATORS = st.sampled_from(["\n", ",", ";", " ", "\t", "\r\n", "\n\n", ", ", " ;", ",,"])


@EXAMPLES
@given(st.lists(st.tuples(MOBILES, SPELLINGS, SEPARATORS, st.text(" ", max_size=2)), max_size=30))
def test_pasted_valid_numbers_come_back_each_once(items):
    text = "".join(pad + spell(number) + pad + sep for number, spell, sep, pad in items)
    ids = whatsapp()
    entries = parse_pasted(text, ids)
    result = check(entries, ids, max_recipients=100)
    expected = list(dict.fromkeys("598" + number[1:] for number, *_ in items))
    assert len(entries) == len(items)
    assert [r.client_id for r in result.recipients] == expected
    assert result.invalid == ()
    assert result.duplicates == len(items) - len(expected)


# --- CSV -----------------------------------------------------------------------------------


def test_csv_windows_1252_with_semicolons_and_accents():
    data = "Teléfono;Nombre\r\n091000001;Pérez\r\n091000002;Muñoz\r\n".encode("cp1252")
    assert b"P\xe9rez" in data
    file = read_file(data, "clientes.csv", max_recipients=10)
    assert file.columns == ("teléfono", "nombre")
    assert file.recipient_column == "teléfono"
    assert [(e.typed, e.row, e.fields["nombre"]) for e in file.entries] == [
        ("091000001", 2, "Pérez"),
        ("091000002", 3, "Muñoz"),
    ]


def test_csv_utf8_with_bom_and_commas():
    data = "phone,first_name\n+598 91 000 001,Ana\n".encode("utf-8-sig")
    file = read_file(data, "a.csv", max_recipients=10)
    assert file.columns == ("phone", "first_name")  # no BOM left in the first name
    assert [(e.typed, dict(e.fields)) for e in file.entries] == [
        ("+598 91 000 001", {"phone": "+598 91 000 001", "first_name": "Ana"})
    ]


@pytest.mark.parametrize(
    "bom, encoding", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_csv_utf16_with_bom_and_tabs(bom, encoding):
    data = bom + "Número\tNombre\r\n091000001\tJosé\r\n".encode(encoding)
    file = read_file(data, "unicode.txt", max_recipients=10)
    assert file.recipient_column == "número"
    assert [(e.typed, e.fields["nombre"]) for e in file.entries] == [("091000001", "José")]


def test_csv_quoted_fields_hold_delimiters_and_line_breaks():
    data = b'celular;nombre;nota\n091000001;Ana;"hola; chau\nsegunda linea"\n091000002;Bo;x\n'
    file = read_file(data, "a.csv", max_recipients=10)
    assert [(e.row, e.fields["nota"]) for e in file.entries] == [
        (2, "hola; chau\nsegunda linea"),
        (3, "x"),
    ]


def test_csv_delimiter_is_the_headers_when_data_holds_another():
    data = "phone;name\n091000001;Pérez, Juan\n091000002;Gómez, Ana\n".encode()
    file = read_file(data, "a.csv", max_recipients=10)
    assert [e.fields["name"] for e in file.entries] == ["Pérez, Juan", "Gómez, Ana"]


def test_csv_pipes():
    file = read_file(b"id|pedido\n2458811223344556|A-1\n", "a.csv", max_recipients=10)
    assert [(e.typed, e.fields["pedido"]) for e in file.entries] == [("2458811223344556", "A-1")]


def test_recipient_column_by_name_is_the_first_named_so():
    data = "Nombre,Móvil,Teléfono\nAna,091000001,24000000\n".encode()
    assert read_file(data, "a.csv", max_recipients=10).recipient_column == "móvil"


def test_recipient_column_by_content_when_no_name_says_so():
    data = b"Persona,Pedido,Contacto\nAna,A-1,091 000 001\nBo,A-2,+59891000002\nCe,A-3,\n"
    file = read_file(data, "a.csv", max_recipients=10)
    assert file.recipient_column == "contacto"
    assert [e.typed for e in file.entries] == ["091 000 001", "+59891000002", ""]


def test_recipient_column_by_content_is_not_dates_amounts_or_order_numbers():
    data = b"Persona;Fecha;Monto;Orden;Contacto\nAna;2024-03-05;1500000.50;100234;91000001\n"
    assert read_file(data, "a.csv", max_recipients=10).recipient_column == "contacto"
    data = b"Persona;Fecha;\nAna;05/03/2024;+598 91 000 001\n"
    file = read_file(data, "a.csv", max_recipients=10)
    assert file.columns == ("persona", "fecha", "column_3")  # a cell left blank is named by place
    assert file.recipient_column == "column_3"


def test_a_bare_list_of_numbers_has_no_header():
    file = read_file(b"091000001\n091000002\n", "numeros.csv", max_recipients=10)
    assert not file.has_header
    assert file.columns == ("column_1",)
    assert [(e.typed, e.row) for e in file.entries] == [("091000001", 1), ("091000002", 2)]


def test_a_file_with_no_recipient_column_is_refused():
    problem = refused(b"Nombre,Ciudad\nAna,Montevideo\n")
    assert problem.code is FileProblem.NO_RECIPIENT_COLUMN
    assert problem.params == {"columns": ("Nombre", "Ciudad")}


def test_a_file_over_the_byte_limit_is_refused():
    problem = refused(b"phone\n" + b"091000001\n" * 20, max_bytes=100)
    assert problem.code is FileProblem.FILE_TOO_BIG
    assert problem.params == {"size": 206, "limit": 100}


def test_too_many_rows_stops_the_reading():
    # Windows-1252 has no 0x81: the file would be refused as unreadable if that end were read
    rows = b"".join(b"09100000%d;x\n" % i for i in range(1, 6)) + b"091000009;" + b"y" * 30_000
    data = b"phone;nota\n" + rows + b"\x81\n"
    problem = refused(data, max_recipients=3)
    assert (problem.code, problem.params) == (FileProblem.TOO_MANY_ROWS, {"limit": 3})
    assert refused(data, max_recipients=10).code is FileProblem.NOT_UTF8_OR_CP1252
    assert len(read_file(data[:-2], "a.csv", max_recipients=6).entries) == 6


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"phone\n\x81\x8d\n", "a.csv", FileProblem.NOT_UTF8_OR_CP1252),
        ("phone\n091000001\n".encode("utf-16-le"), "a.csv", FileProblem.UNREADABLE_FILE),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "old.xls",
            FileProblem.UNSUPPORTED_FILE,
        ),
        (b"%PDF-1.4", "lista.pdf", FileProblem.UNSUPPORTED_FILE),
        (b"PK\x03\x04 not really a zip", "a.xlsx", FileProblem.UNREADABLE_FILE),
        (b"phone\n091000001\n", "a.xlsx", FileProblem.UNREADABLE_FILE),
        (b"\n \n;;\n", "a.csv", FileProblem.EMPTY_FILE),
    ],
)
def test_files_that_cannot_be_read_are_refused_by_code(data, name, code):
    problem = refused(data, name)
    assert problem.code is code


# --- XLSX ----------------------------------------------------------------------------------


def workbook_bytes(rows, first_sheet_rows=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in first_sheet_rows or rows:
        sheet.append(row)
    if first_sheet_rows:
        other = workbook.create_sheet("Otra")
        for row in rows:
            other.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_numbers_dates_and_text_read_as_shown():
    data = workbook_bytes(
        [
            ["Nombre", "Celular", "Turno", "Hora", "Monto"],
            ["Pérez", 59891000001, date(2024, 3, 5), datetime(2024, 3, 5, 14, 30), 1500.5],
            ["Ana", 91000002.0, datetime(2024, 3, 6), None, 12.0],
            [None, None, None, None, None],
            ["Bo", "091 000 003", "mañana", None, 0.1 + 0.2],
        ]
    )
    file = read_file(data, "lista.xlsx", max_recipients=10)
    assert file.columns == ("nombre", "celular", "turno", "hora", "monto")
    assert file.recipient_column == "celular"
    assert [(e.row, dict(e.fields)) for e in file.entries] == [
        (
            2,
            {
                "nombre": "Pérez",
                "celular": "59891000001",
                "turno": "2024-03-05",
                "hora": "2024-03-05 14:30",
                "monto": "1500.5",
            },
        ),
        (
            3,
            {
                "nombre": "Ana",
                "celular": "91000002",
                "turno": "2024-03-06",
                "hora": "",
                "monto": "12",
            },
        ),
        (
            5,
            {
                "nombre": "Bo",
                "celular": "091 000 003",
                "turno": "mañana",
                "hora": "",
                "monto": "0.3",
            },
        ),
    ]
    ids = whatsapp()
    result = check(file.entries, ids, max_recipients=10)
    assert [r.client_id for r in result.recipients] == ["59891000001", "59891000002", "59891000003"]


def test_xlsx_reads_the_first_sheet_only():
    data = workbook_bytes([["phone"], ["091000009"]], first_sheet_rows=[["phone"], [91000001]])
    assert [e.typed for e in read_file(data, "a.xlsx", max_recipients=10).entries] == ["91000001"]


def test_xlsx_too_many_rows_and_unpacked_size():
    data = workbook_bytes([["phone"]] + [[91000000 + i] for i in range(1, 6)])
    assert refused(data, "a.xlsx", max_recipients=4).code is FileProblem.TOO_MANY_ROWS
    bomb = workbook_bytes(
        [["phone", "nota"]] + [[91000001, "x" * 200 + str(i % 3)] for i in range(2000)]
    )
    problem = refused(bomb, "a.xlsx", max_bytes=len(bomb) + 1)
    assert problem.code is FileProblem.FILE_TOO_BIG
    assert problem.params["size"] > 20 * len(bomb)


# --- checks --------------------------------------------------------------------------------


def entries(*values: str) -> list[Entry]:
    return [Entry(v, row, Source.FILE, {"phone": v}) for row, v in enumerate(values, 2)]


def test_check_drops_the_same_number_in_another_spelling():
    ids = whatsapp()
    result = check(
        entries("091000001", "+598 91 000 001", "59891000001", "091000002"), ids, max_recipients=10
    )
    assert [(r.client_id, r.row, r.typed) for r in result.recipients] == [
        ("59891000001", 2, "091000001"),
        ("59891000002", 5, "091000002"),
    ]
    assert result.recipients[0].fields == {"phone": "091000001"}
    assert result.duplicates == 2


def test_check_leaves_out_opted_out_numbers_and_says_who():
    ids = whatsapp()
    result = check(
        entries("091000001", "091 000 002", "091000003"),
        ids,
        max_recipients=10,
        opted_out={"59891000002"},
    )
    assert [r.client_id for r in result.recipients] == ["59891000001", "59891000003"]
    assert [(r.client_id, r.row) for r in result.opted_out] == [("59891000002", 3)]


def test_check_gives_each_invalid_row_its_reason():
    ids = whatsapp()
    result = check(entries("091000001", "", "12345", "Ana"), ids, max_recipients=10)
    assert [(i.row, i.typed, i.reason) for i in result.invalid] == [
        (3, "", RowProblem.EMPTY),
        (4, "12345", RowProblem.NOT_A_NUMBER),
        (5, "Ana", RowProblem.NOT_A_NUMBER),
    ]


def test_check_flags_too_many_recipients_after_dropping_the_rest():
    ids = whatsapp()
    values = ("091000001", "091000002", "091000001", "091000003")
    assert not check(entries(*values), ids, max_recipients=3).too_many
    result = check(entries(*values), ids, max_recipients=2)
    assert result.too_many and len(result.recipients) == 3


def test_pasted_and_file_recipients_checked_together():
    ids = whatsapp()
    file = read_file(b"phone,nombre\n091000001,Ana\n", "a.csv", max_recipients=10)
    result = check(
        (*file.entries, *parse_pasted("+598 91 000 001\n091000002", ids)), ids, max_recipients=10
    )
    assert [(r.client_id, r.source, r.fields.get("nombre")) for r in result.recipients] == [
        ("59891000001", Source.FILE, "Ana"),
        ("59891000002", Source.PASTED, None),
    ]
    assert result.duplicates == 1


def test_a_long_run_of_blank_rows_ends_the_table():
    """Spreadsheets keep formatted blank rows down to row 1,048,576; reading them all would
    miss Slack's 3 s for the form, so a thousand in a row end the table."""
    from bot.services.recipients import BLANK_ROWS_END, read_file

    lines = ["phone", "091000001", "091000002", *[""] * (BLANK_ROWS_END + 1), "091000003"]
    table = read_file("\r\n".join(lines).encode(), "list.csv", max_recipients=100)
    assert [e.typed for e in table.entries] == ["091000001", "091000002"]
    short = ["phone", "091000001", *[""] * 10, "091000003"]
    table = read_file("\r\n".join(short).encode(), "list.csv", max_recipients=100)
    assert [e.typed for e in table.entries] == ["091000001", "091000003"]
