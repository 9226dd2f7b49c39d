"""The pure parsers behind the treatment-request form."""

from __future__ import annotations

import pytest

from actions import form_fields


@pytest.mark.parametrize(
    "text,expected",
    [
        ("John.Smith@Example.COM", "john.smith@example.com"),
        ("my email is ana.k@mail.example.org, thanks", "ana.k@mail.example.org"),
        ("anna@example", None),
        ("anna at example dot com", None),
        ("@example.com", None),
        ("", None),
    ],
)
def test_parse_email(text: str, expected: str) -> None:
    assert form_fields.parse_email(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("+49 151 23456789", "+49 1512 3456789"),
        ("0049 30 1234567", "+49 30 1234567"),
        ("my number is +48 601 234 567", "+48 601 234 567"),
        ("+7 916 123-45-67", "+7 916 123-45-67"),
        ("0151 23456789", None),  # no country code: cannot be checked
        ("+49 123", None),
        ("12345", None),
        ("call me", None),
    ],
)
def test_parse_phone(text: str, expected: str) -> None:
    assert form_fields.parse_phone(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("anna kowalska", "Anna Kowalska"),
        ("My name is Ahmed Al-Farsi", "Ahmed Al-Farsi"),
        ("José María Pérez", "José María Pérez"),
        ("O'Neil", "O'Neil"),
        ("what are the side effects of mibg therapy for children", None),
        ("john123", None),
        ("a", None),
        ("", None),
    ],
)
def test_parse_name(text: str, expected: str) -> None:
    assert form_fields.parse_name(text) == expected


def test_name_correction_only_with_an_explicit_cue() -> None:
    assert form_fields.name_correction("sorry, my name is maria lopez") == "Maria Lopez"
    assert form_fields.name_correction("maria lopez") is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Poland", "Poland"),
        ("i live in ukraine", "Ukraine"),
        ("from the UK", "United Kingdom"),
        ("Türkiye", "Turkey"),
        ("Cote d'Ivoire", "Côte d’Ivoire"),
        ("the moon", None),
        ("EU", None),
    ],
)
def test_parse_country(text: str, expected: str) -> None:
    assert form_fields.parse_country(text) == expected


@pytest.mark.parametrize("value", [5, 4.5, {"a": 1}, [1, 2, 3], None, True])
def test_values_that_are_not_text_are_no_answer(value) -> None:
    assert form_fields.parse_email(value) is None
    assert form_fields.parse_phone(value) is None
    assert form_fields.parse_name(value) is None
    assert form_fields.name_correction(value) is None
    assert form_fields.parse_country(value) is None
    assert form_fields.looks_like_phone_attempt(value) is False
