"""Golden tests: scores computed by hand from DOMAIN.md's definitions."""

from decimal import Decimal

from px360.surveys.scoring import (
    NegativeDefinition,
    aggregate,
    answer_score,
    is_top_box,
    nps_category,
    score_response,
)


def a(code, type_, value, dimension="", is_key=False):
    return {"code": code, "type": type_, "value": value, "dimension": dimension, "is_key": is_key}


def test_one_to_five_maps_to_0_25_50_75_100():
    assert [answer_score("rating_1_5", v) for v in range(1, 6)] == [Decimal(x) for x in (0, 25, 50, 75, 100)]


def test_top_box_is_5_on_a_rating_9_or_10_on_nps_and_yes():
    assert [is_top_box("rating_1_5", v) for v in (4, 5)] == [False, True]
    assert [is_top_box("nps_0_10", v) for v in (8, 9, 10)] == [False, True, True]
    assert [is_top_box("yes_no", v) for v in (0, 1)] == [False, True]
    assert is_top_box("free_text", None) is None


def test_nps_categories():
    assert [nps_category(v) for v in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]


def test_one_response_by_hand():
    # Ratings 5, 4, 3 -> 100, 75, 50 -> mean 75. Top box: 5 (yes), 4, 3 (no), NPS 9 (yes), "yes" (yes) -> 3 of 5 = 60 %.
    scores = score_response(
        [
            a("q1", "rating_1_5", 5),
            a("q2", "rating_1_5", 4),
            a("q3", "rating_1_5", 3),
            a("nps", "nps_0_10", 9),
            a("yn", "yes_no", 1),
        ]
    )
    assert scores.mean_score == Decimal("75.00")
    assert scores.top_box_percent == Decimal("60.00")
    assert (scores.nps_value, scores.nps_category, scores.is_negative) == (9, "promoter", False)


def test_negative_by_default_when_any_rating_is_1_or_2_or_nps_0_to_6():
    assert score_response([a("k", "rating_1_5", 2, is_key=True)]).is_negative
    assert not score_response([a("k", "rating_1_5", 3, is_key=True)]).is_negative
    assert score_response([a("other", "rating_1_5", 1)]).is_negative  # any rated question, key or not
    assert score_response([a("nps", "nps_0_10", 6)]).is_negative
    assert not score_response([a("nps", "nps_0_10", 7)]).is_negative


def test_negative_rules_are_configurable():
    key_only = NegativeDefinition(items="key", rating_max=3)
    assert score_response([a("k", "rating_1_5", 3, is_key=True)], definition=key_only).is_negative
    assert not score_response([a("other", "rating_1_5", 1)], definition=key_only).is_negative
    no_detractor = NegativeDefinition(detractor=False)
    assert not score_response([a("nps", "nps_0_10", 6)], definition=no_detractor).is_negative


def test_nps_is_percent_promoters_minus_percent_detractors():
    # 9, 10 promoters; 7 passive; 2 detractor -> 50 % - 25 % = 25.
    result = aggregate([[a("nps", "nps_0_10", v)] for v in (9, 10, 7, 2)])
    assert (result.promoters, result.passives, result.detractors) == (2, 1, 1)
    assert result.nps == Decimal("25.00")
    assert aggregate([[a("nps", "nps_0_10", v)] for v in (10, 8, 3)]).nps == Decimal("0.00")
    assert aggregate([[a("nps", "nps_0_10", v)] for v in (0, 5)]).nps == Decimal("-100.00")


def test_mean_per_question_overall_and_composite_top_box():
    # nurse_1: 5, 5, 4 -> top box 2/3 = 66.67 %, mean (100+100+75)/3 = 91.67
    # nurse_2: 5, 3, 1 -> top box 1/3 = 33.33 %, mean (100+50+0)/3 = 50
    # composite "nurse" = mean of 66.666.. and 33.333.. = 50.00
    # overall mean = (100+100+75+100+50+0)/6 = 70.83
    responses = [
        [a("nurse_1", "rating_1_5", 5, "nurse"), a("nurse_2", "rating_1_5", 5, "nurse")],
        [a("nurse_1", "rating_1_5", 5, "nurse"), a("nurse_2", "rating_1_5", 3, "nurse")],
        [a("nurse_1", "rating_1_5", 4, "nurse"), a("nurse_2", "rating_1_5", 1, "nurse")],
    ]
    result = aggregate(responses)
    assert result.questions["nurse_1"].top_box_percent == Decimal("66.67")
    assert result.questions["nurse_1"].mean_score == Decimal("91.67")
    assert result.questions["nurse_2"].top_box_percent == Decimal("33.33")
    assert result.questions["nurse_2"].mean_score == Decimal("50.00")
    assert result.composites == {"nurse": Decimal("50.00")}
    assert result.mean_score == Decimal("70.83")
