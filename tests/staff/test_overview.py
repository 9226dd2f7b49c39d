"""The overview: counts per day, top topics, fallback rate and messages, as inline SVG."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.web.staff import charts
from bot.web.staff.overview import normalise_message
from tests.staff.conftest import Console, at

BERLIN = ZoneInfo("Europe/Berlin")


def test_overview_figures(console: Console, people) -> None:
    client = console.login()
    figures = client.get("/staff/api/overview?days=30").json()
    assert len(figures["days"]) == 30
    assert figures["days"][-1] == datetime.now(BERLIN).date().isoformat()
    assert figures["conversations"] == 4  # erin never wrote
    assert figures["requests"] == 1
    per_day = dict(zip(figures["days"], figures["conversations_per_day"], strict=True))
    for moment in (at(1), at(3), at(10)):
        assert per_day[moment.astimezone(BERLIN).date().isoformat()] >= 1
    assert sum(figures["conversations_per_day"]) == 4
    # alice 12 + bob 2 + carol 2 + dave 2 user messages; bob's and carol's fallbacks.
    assert figures["user_messages"] == 18 and figures["fallback_turns"] == 2
    assert abs(figures["fallback_rate"] - 2 / 18) < 1e-4
    assert figures["conversations_with_fallback"] == 2 and figures["handoffs"] == 1
    topics = dict(figures["top_topics"])
    assert topics["ask_tumour"] == 2 and topics["ask_costs"] == 1
    assert "greet" not in topics and "nlu_fallback" not in topics and "inform" not in topics
    messages = dict(figures["top_fallback_messages"])
    assert messages == {"what's the weather in berlin": 1, "how many sessions 100% needed": 1}
    week = client.get("/staff/api/overview?days=7").json()
    assert week["conversations"] == 3 and len(week["days"]) == 7  # carol was 10 days ago


def test_overview_page_renders_svg_charts(console: Console, people) -> None:
    client = console.login()
    html = client.get("/staff/?days=7").text
    assert html.count("<svg") == 3
    assert "what&#39;s the weather in berlin" in html or "what's the weather in berlin" in html
    assert 'aria-current="page">7 days' in html
    assert client.get("/staff/?days=13").status_code == 200  # unknown period: the default


def test_column_chart_scales_and_escapes() -> None:
    svg = str(charts.column_chart([("<b>", 3), ("b", 6), ("c", 0)], "A & B"))
    heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([\d.]+)"', svg)]
    assert heights[1] == 2 * heights[0] and heights[2] == 0
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "A &amp; B" in svg


def test_bar_list_longest_bar_is_the_largest_value() -> None:
    svg = str(charts.bar_list([("ask_costs", 10), ("ask_dosing", 5)], "Top"))
    widths = [float(w) for w in re.findall(r'class="bar"[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1]
    assert "No data" in str(charts.bar_list([], "Top"))


def test_normalise_message_groups_variants() -> None:
    assert normalise_message("  What's the   WEATHER? ") == normalise_message("what's the weather")
