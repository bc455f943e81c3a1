"""Message text: both languages, plurals, numbers, moments in the inventory's time zone, and the
rule that the two languages name the same fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from p06audit.text import Renderer, TextError, Texts, english, say


def texts() -> Texts:
    found = Texts()
    found.add(
        "t.days_ago",
        "{count:n} ngày trước",
        {"plural": "count", "one": "{count:n} day ago", "other": "{count:n} days ago"},
    )
    found.add("t.when", "lúc {moment:datetime}", "at {moment:datetime}")
    found.add("t.nested", "Lý do: {reason}; cổng {ports}", "Reason: {reason}; ports {ports}")
    return found


@pytest.mark.parametrize(
    ("count", "english_text"),
    [(1, "1 day ago"), (-1, "-1 day ago"), (0, "0 days ago"), (2, "2 days ago"), (35, "35 days ago")],
)
def test_english_plurals_follow_babel_rules(count: int, english_text: str) -> None:
    assert Renderer("en", texts=texts())(say("t.days_ago", count=count)) == english_text


def test_numbers_are_grouped_the_way_each_language_writes_them() -> None:
    found = texts()
    assert Renderer("vi", texts=found)(say("t.days_ago", count=100000)) == "100.000 ngày trước"
    assert Renderer("en", texts=found)(say("t.days_ago", count=100000)) == "100,000 days ago"


def test_moments_are_shown_in_the_inventory_time_zone() -> None:
    moment = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 06:30 on 5 December in Hanoi
    found = texts()
    assert Renderer("vi", "Asia/Ho_Chi_Minh", found)(say("t.when", moment=moment)) == "lúc 06:30 05/12/2026"
    assert Renderer("en", "UTC", found)(say("t.when", moment=moment)) == "at 4 Dec 2026 23:30"
    assert Renderer("en", "UTC", found)(say("t.when", moment=moment.isoformat())) == "at 4 Dec 2026 23:30"


def test_nested_messages_and_lists_render_in_the_same_language() -> None:
    found = texts()
    message = say("t.nested", reason=say("t.days_ago", count=2), ports=[22, 443])
    assert Renderer("vi", texts=found)(message) == "Lý do: 2 ngày trước; cổng 22, 443"
    assert Renderer("en", texts=found)(message) == "Reason: 2 days ago; ports 22, 443"


def test_both_languages_must_name_the_same_fields() -> None:
    with pytest.raises(TextError, match=r"Vietnamese text names \['port'\], the English text \['ports'\]"):
        Texts().add("t.bad", "cổng {port}", "ports {ports}")


def test_a_missing_parameter_or_key_is_an_error_not_a_silent_blank() -> None:
    with pytest.raises(TextError, match="needs the parameter 'count'"):
        Renderer("en", texts=texts())(say("t.days_ago"))
    with pytest.raises(TextError, match=r"no text for message 't\.unknown'"):
        Renderer("en", texts=texts())(say("t.unknown"))


def test_engine_messages_exist_in_both_languages() -> None:
    assert english(say("core.collector_timeout", seconds=5)) == "no result within 5 s"
    assert Renderer("vi")(say("core.collector_timeout", seconds=5)) == "không có kết quả trong 5 giây"
