import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.heynow.channels import Channel
from bot.services.recipients import Recipient, Source
from bot.services.template import (
    Rendered,
    RenderProblem,
    RowError,
    TemplateProblem,
    TemplateRefused,
    parse_template,
    render,
    render_all,
)

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LIMIT = Channel.WHATSAPP.text_limit


def person(client_id="59891000001", row=2, **fields) -> Recipient:
    return Recipient(client_id, row, Source.FILE, client_id, fields)


def text_of(result) -> str:
    assert isinstance(result, Rendered), result
    return result.text


def refused(text, columns=(), **kwargs) -> TemplateRefused:
    with pytest.raises(TemplateRefused) as caught:
        parse_template(text, columns, **kwargs)
    return caught.value


def test_columns_fill_their_placeholders():
    template = parse_template(
        "Hola {nombre}, tu pedido {pedido} está listo", ("nombre", "pedido", "teléfono")
    )
    assert template.placeholders == ("nombre", "pedido")
    result = render(template, person(nombre="Ana", pedido="A-17"), text_limit=LIMIT)
    assert text_of(result) == "Hola Ana, tu pedido A-17 está listo"


def test_placeholders_match_columns_without_accents_case_or_spaces():
    template = parse_template("{Telefono} {first name}", ("teléfono", "first_name"))
    assert template.placeholders == ("teléfono", "first_name")
    result = render(template, person(**{"teléfono": "091", "first_name": "Bo"}), text_limit=LIMIT)
    assert text_of(result) == "091 Bo"


def test_first_name_from_the_file_else_from_the_agenda():
    known = {"59891000001": "Agenda Ana", "59891000002": "Agenda Bo"}
    from_file = parse_template("Hola {first_name}", ("nombre",))
    assert text_of(
        render(from_file, person(nombre="Ana"), text_limit=LIMIT, known_names=known)
    ) == ("Hola Ana")
    # an empty cell is filled from the agenda
    assert text_of(render(from_file, person(nombre=""), text_limit=LIMIT, known_names=known)) == (
        "Hola Agenda Ana"
    )
    no_column = parse_template("Hola {first_name}")
    bo = Recipient("59891000002", 3, Source.PASTED, "091000002")
    assert text_of(render(no_column, bo, text_limit=LIMIT, known_names=known)) == "Hola Agenda Bo"


def test_first_name_column_wins_over_nombre():
    template = parse_template("{first_name}", ("nombre", "first_name"))
    assert text_of(render(template, person(nombre="N", first_name="F"), text_limit=LIMIT)) == "F"


def test_a_missing_value_is_that_row_s_error():
    template = parse_template("Hola {first_name}, pedido {pedido}", ("pedido",))
    recipients = [
        person("59891000001", 2, pedido="A-1"),
        person("59891000002", 3, pedido="  "),
        person("59891000003", 4, pedido="A-3"),
    ]
    rendering = render_all(
        template, recipients, text_limit=LIMIT, known_names={"59891000001": "Ana"}
    )
    assert [(r.recipient.row, r.text) for r in rendering.texts] == [(2, "Hola Ana, pedido A-1")]
    assert [(e.recipient.row, e.code, dict(e.params)) for e in rendering.errors] == [
        (3, RenderProblem.MISSING_VALUE, {"placeholder": "first_name"}),
        (4, RenderProblem.MISSING_VALUE, {"placeholder": "first_name"}),
    ]
    assert render(template, recipients[1], text_limit=LIMIT, known_names={"59891000002": "Bo"}) == (
        RowError(recipients[1], RenderProblem.MISSING_VALUE, {"placeholder": "pedido"})
    )


def test_unknown_placeholders_are_listed_once_each():
    problem = refused("{nombre} {pedido} {zona} {pedido}", ("nombre",))
    assert problem.code is TemplateProblem.UNKNOWN_PLACEHOLDER
    assert problem.params == {"names": ("pedido", "zona"), "known": ("nombre", "first_name")}


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("Hola {nombre.upper}", "{nombre.upper}"),
        ("Hola {nombre[0]}", "{nombre[0]}"),
        ("Hola {nombre!r}", "{nombre!r}"),
        ("Hola {nombre:>10}", "{nombre:>10}"),
        ("Hola {}", "{}"),
        ("Hola {0}", "{0}"),
    ],
)
def test_format_syntax_beyond_names_is_refused(text, placeholder):
    problem = refused(text, ("nombre",))
    assert (problem.code, problem.params) == (
        TemplateProblem.BAD_PLACEHOLDER,
        {"placeholder": placeholder},
    )


@pytest.mark.parametrize("text", ["Hola {nombre", "Hola nombre}", "a { b", "{a{b}}"])
def test_lone_braces_are_refused(text):
    assert refused(text, ("nombre",)).code is TemplateProblem.UNBALANCED_BRACES


def test_doubled_braces_are_literal_and_values_are_never_formatted():
    template = parse_template("{{nombre}} = {nombre} }}{{", ("nombre",))
    assert template.placeholders == ("nombre",)
    assert text_of(render(template, person(nombre="{pedido}"), text_limit=LIMIT)) == (
        "{nombre} = {pedido} }{"
    )


def test_empty_template_is_refused():
    assert refused("  \n ").code is TemplateProblem.EMPTY


def test_too_long_per_row_and_for_the_whole_template():
    template = parse_template("x" * 95 + "{nombre}", ("nombre",), text_limit=100)
    assert text_of(render(template, person(nombre="12345"), text_limit=100)) == "x" * 95 + "12345"
    long = render(template, person(nombre="123456"), text_limit=100)
    assert isinstance(long, RowError)
    assert (long.code, dict(long.params)) == (RenderProblem.TOO_LONG, {"length": 101, "limit": 100})
    problem = refused("x" * 101 + "{nombre}", ("nombre",), text_limit=100)
    assert (problem.code, problem.params) == (
        TemplateProblem.TOO_LONG,
        {"length": 101, "limit": 100},
    )


def test_rendering_is_deterministic():
    template = parse_template("Hola {nombre} {first_name}", ("nombre",))
    recipients = [person(str(i), i, nombre=f"N{i}") for i in range(50)]
    first = render_all(template, recipients, text_limit=LIMIT)
    assert first == render_all(template, recipients, text_limit=LIMIT)


# --- generated -----------------------------------------------------------------------------

NAMES = st.sampled_from(["nombre", "pedido", "zona", "first_name", "monto"])
LITERALS = st.text(
    st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)), max_size=12
)
VALUES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).filter(str.strip)


@EXAMPLES
@given(
    st.lists(st.tuples(LITERALS, NAMES), max_size=8),
    LITERALS,
    st.fixed_dictionaries({n: VALUES for n in ["nombre", "pedido", "zona", "first_name", "monto"]}),
)
def test_generated_templates_render_as_plain_replacement(pieces, tail, values):
    text = "".join(literal + "{" + name + "}" for literal, name in pieces) + tail
    columns = ("nombre", "pedido", "zona", "first_name", "monto")
    try:
        template = parse_template(text, columns)
    except TemplateRefused as problem:  # only a text of spaces alone
        assert problem.code is TemplateProblem.EMPTY and not text.strip()
        return
    stripped = {name: value.strip() for name, value in values.items()}
    expected = text.strip()
    if not any("{" in v or "}" in v for v in stripped.values()):
        for name, value in stripped.items():  # the straightforward reference
            expected = expected.replace("{" + name + "}", value)
    else:  # a value's braces could be replaced again by str.replace: join the pieces instead
        expected = "".join(p if isinstance(p, str) else stripped[p.name] for p in template.parts)
    result = render(template, person(**values), text_limit=10_000)
    assert text_of(result) == expected


@EXAMPLES
@given(
    st.text(max_size=40),
    st.dictionaries(NAMES, st.text(max_size=8)),
    st.dictionaries(st.just("59891000001"), st.text(max_size=8)),
)
def test_any_text_is_refused_by_code_or_renders_without_raising(text, values, known):
    try:
        template = parse_template(text, ("nombre", "pedido"), text_limit=30)
    except TemplateRefused as problem:
        assert problem.code in TemplateProblem
        return
    result = render(template, person(**values), text_limit=30, known_names=known)
    if isinstance(result, RowError):
        assert result.code in RenderProblem
    else:
        assert len(result.text) <= 30


@EXAMPLES
@given(
    st.lists(st.tuples(st.text(max_size=8), NAMES), min_size=1, max_size=6),
    st.fixed_dictionaries({n: VALUES for n in ["nombre", "pedido", "zona", "first_name", "monto"]}),
)
def test_generated_literal_braces_come_out_single(pieces, values):
    def escape(literal: str) -> str:
        return literal.replace("{", "{{").replace("}", "}}")

    text = "".join(escape(literal) + "{" + name + "}" for literal, name in pieces)
    template = parse_template(text, ("nombre", "pedido", "zona", "first_name", "monto"))
    expected = "".join(literal + values[name].strip() for literal, name in pieces).strip()
    assert text_of(render(template, person(**values), text_limit=10_000)) == expected
