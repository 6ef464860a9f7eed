"""Upgrading moves the negative thresholds from the hospitals' contact policies to the survey templates.

A hospital's own templates take its policy's 1–5 threshold; a group-wide template takes the one
every policy agreed on (else the default, 2); a question of the "overall" composite becomes the
template's overall rating. The policy's columns are gone afterwards.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("surveys", "0002_policy_maximum_visit_age")]
AFTER = [("surveys", "0003_negative_definition_per_template")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_world(transactional_db):
    """The schema before the upgrade; put back to the latest afterwards."""
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def make_template(apps, code, hospital=None, overall=False):
    template = apps.get_model("surveys", "SurveyTemplate").objects.create(
        code=code, name=code, name_ar=code, name_en=code, hospital=hospital
    )
    question = apps.get_model("surveys", "SurveyQuestion")
    question.objects.create(
        template=template, order=1, code="wait", text="x", text_ar="x", text_en="x", question_type="rating_1_5"
    )
    if overall:
        question.objects.create(
            template=template,
            order=2,
            code="overall_rating",
            text="x",
            text_ar="x",
            text_en="x",
            question_type="nps_0_10",
            dimension="overall",
        )
    return template


@pytest.mark.parametrize(("policies", "group_wide"), [((3, 3), 3), ((3, 1), 2), ((), 2)])
def test_the_thresholds_move_to_the_templates(old_world, policies, group_wide):
    hospital_model = old_world.get_model("organizations", "Hospital")
    hospitals = [
        hospital_model.objects.create(code=f"H{n}", name=f"H{n}", name_ar=f"H{n}", name_en=f"H{n}") for n in range(2)
    ]
    for hospital, rating_max in zip(hospitals, policies, strict=False):
        old_world.get_model("surveys", "SurveyPolicy").objects.create(
            hospital=hospital, negative_rating_max=rating_max, negative_nps_max=8
        )
    make_template(old_world, "group", overall=True)
    make_template(old_world, "own", hospital=hospitals[0])

    apps = migrate(AFTER)

    template = apps.get_model("surveys", "SurveyTemplate")
    group, own = template.objects.get(code="group"), template.objects.get(code="own")
    assert group.negative_rating_max == group_wide
    assert own.negative_rating_max == (policies[0] if policies else 2)
    assert (group.overall_questions, own.overall_questions) == (["overall_rating"], [])
    assert (group.negative_items, group.negative_overall, group.negative_detractor) == ("any", True, True)
    assert not hasattr(apps.get_model("surveys", "SurveyPolicy")(), "negative_rating_max")
