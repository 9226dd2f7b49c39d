"""The request form's slots are listed once, in domain.yml; everything else derives them."""

from __future__ import annotations

import dataclasses

from actions.submit_request import RESET_SLOTS, SUMMARY_FIELDS
from bot.db.models import TreatmentRequest
from bot.db.requests import EXPORT_FIELDS, RequestDetails
from bot.domain import FormSlots, treatment_request_form
from bot.privacy.erasure import PERSONAL_FIELDS
from tests.form_helpers import DOMAIN

FORM = treatment_request_form()
#: Where and when consent was given: stored with the answers, not asked by the form.
RECORD_ONLY = {"sender_id", "channel", "consent_at", "notice_version"}


def test_the_order_and_the_yes_no_steps_are_the_domains() -> None:
    assert list(FORM.order) == DOMAIN["forms"]["treatment_request_form"]["required_slots"]
    assert FORM.yes_no == ("privacy_consent", "request_confirmed")
    assert FORM.answers == FORM.order[1:-1]


def test_the_domain_rasa_sends_gives_the_same_slots() -> None:
    from rasa.shared.core.domain import Domain

    from bot.domain import DOMAIN_FILE

    assert FormSlots.of(Domain.load(str(DOMAIN_FILE)).as_dict()) == FORM


def test_record_export_summary_reset_and_erasure_follow_the_form() -> None:
    answers = list(FORM.answers)
    record = ["reference", "created_at", "status"]
    assert record + answers + ["channel", "sender_id", "consent_at", "notice_version"] == (
        EXPORT_FIELDS
    )
    assert {f.name for f in dataclasses.fields(RequestDetails)} == set(answers) | RECORD_ONLY
    assert set(answers) <= set(TreatmentRequest.__table__.columns.keys())
    assert answers == SUMMARY_FIELDS
    assert list(PERSONAL_FIELDS) == answers
    assert set(FORM.order) <= set(RESET_SLOTS)
