"""The pathway definitions API: anyone signed in reads; only pathway editors change anything."""

import pytest
import yaml
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from pathways.definitions import definition_to_dict
from pathways.models import Pathway, PathwayVersion, VersionStatus
from pathways.services import create_draft_version
from pathways.tests.factories import DEFAULT_PATHWAY_YAML, default_definition

pytestmark = pytest.mark.django_db

DEFAULT_TEXT = DEFAULT_PATHWAY_YAML.read_text(encoding="utf-8")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def editor(coordinator, client_for):
    return client_for(coordinator)


@pytest.fixture
def practitioner(lead_practitioner, client_for):
    return client_for(lead_practitioner)


@pytest.fixture
def draft(area, coordinator, default_version):
    definition = default_definition()
    _stage(definition, "early_help").timescale_working_days = 20
    return create_draft_version(area=area, definition=definition, actor=coordinator)


def _stage(definition, key):
    return next(stage for stage in definition.stages if stage.key == key)


def _yaml_with(change, key="default"):
    data = definition_to_dict(default_definition())
    data["key"] = key
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def _unchanged(data):
    return None


def _url(name, *args):
    return reverse(f"api:pathways:{name}", args=args)


# --- reading ---------------------------------------------------------------------------------


def test_an_anonymous_visitor_cannot_read_pathways(default_version):
    response = APIClient().get(_url("pathway-list"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_any_practitioner_lists_pathways_with_a_summary_of_their_versions(
    practitioner, default_version, draft
):
    response = practitioner.get(_url("pathway-list"))

    assert response.status_code == 200
    [pathway] = response.json()["results"]
    assert pathway["key"] == "default"
    assert pathway["area_name"] == "Northwold"
    assert [(v["id"], v["number"], v["status"]) for v in pathway["versions"]] == [
        (draft.pk, 2, "draft"),
        (default_version.pk, 1, "published"),
    ]


def test_a_pathway_is_read_by_id(practitioner, default_version):
    response = practitioner.get(_url("pathway-detail", default_version.pathway_id))

    assert response.status_code == 200
    assert response.json()["name"] == "Harmful sexual behaviour pathway"
    assert response.json()["versions"][0]["published_at"] is not None


def test_an_unknown_pathway_is_404(practitioner, default_version):
    response = practitioner.get(_url("pathway-detail", default_version.pathway_id + 1000))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_pathways_versions_are_listed_newest_first_with_their_sizes(
    practitioner, default_version, draft
):
    response = practitioner.get(_url("pathway-versions", default_version.pathway_id))

    assert response.status_code == 200
    assert [
        (v["number"], v["status"], v["stage_count"], v["transition_count"])
        for v in response.json()["results"]
    ] == [(2, "draft", 12, 41), (1, "published", 12, 41)]


def test_the_versions_of_an_unknown_pathway_are_404(practitioner, default_version):
    response = practitioner.get(_url("pathway-versions", default_version.pathway_id + 1000))

    assert response.status_code == 404


def test_a_version_reads_as_its_definition_in_the_canonical_shape(practitioner, default_version):
    response = practitioner.get(_url("version-detail", default_version.pk))

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["pathway_key"]) == (1, "published", "default")
    assert body["published_at"] is not None
    assert body["definition"] == yaml.safe_load(DEFAULT_TEXT)


# --- importing -------------------------------------------------------------------------------


def test_an_editor_imports_yaml_as_a_new_draft_in_the_only_area(editor, area):
    response = editor.post(
        _url("version-import"),
        {"yaml": _yaml_with(_unchanged, key="northwold_hsb"), "notes": "First draft"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["status"], body["notes"]) == (1, "draft", "First draft")
    version = PathwayVersion.objects.get(pk=body["id"])
    assert version.pathway.area == area
    assert version.pathway.key == "northwold_hsb"
    assert AuditEvent.objects.filter(action="pathway.version_created", object_id=str(version.pk))


def test_importing_an_existing_pathway_key_adds_the_next_version(editor, default_version):
    response = editor.post(_url("version-import"), {"yaml": DEFAULT_TEXT}, format="json")

    assert response.status_code == 201
    assert response.json()["number"] == 2
    assert response.json()["pathway"] == default_version.pathway_id


def test_importing_into_another_named_area_is_not_found_and_writes_nothing(editor, area):
    other = LocalAreaFactory(name="Southmere")

    response = editor.post(
        _url("version-import"), {"area": other.pk, "yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert not Pathway.objects.filter(area=other).exists()


def test_a_coordinator_imports_into_their_own_area_when_none_is_named(editor, area):
    LocalAreaFactory(name="Southmere")

    response = editor.post(_url("version-import"), {"yaml": DEFAULT_TEXT}, format="json")

    assert response.status_code == 201
    assert Pathway.objects.get(pk=response.json()["pathway"]).area == area


def test_the_set_up_administrator_names_the_area_when_there_are_several(client_for, area):
    admin = UserFactory(role=Role.SYSTEM_ADMINISTRATOR, agency=None)
    other = LocalAreaFactory(name="Southmere")

    unnamed = client_for(admin).post(_url("version-import"), {"yaml": DEFAULT_TEXT}, format="json")
    named = client_for(admin).post(
        _url("version-import"), {"area": other.pk, "yaml": DEFAULT_TEXT}, format="json"
    )

    assert unnamed.status_code == 400
    assert unnamed.json()["fields"] == {
        "area": ["Name the local area to import into; there is not just one."]
    }
    assert named.status_code == 201
    assert Pathway.objects.get(pk=named.json()["pathway"]).area == other


def test_importing_into_an_unknown_area_is_not_found(editor, area):
    response = editor.post(
        _url("version-import"), {"area": area.pk + 1000, "yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 404
    assert not PathwayVersion.objects.exists()


def test_importing_without_yaml_is_a_field_error(editor, area):
    response = editor.post(_url("version-import"), {"notes": "empty"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"yaml": ["This field is required."]}


def test_importing_yaml_of_the_wrong_shape_names_each_path(editor, area):
    def change(data):
        data["stages"][0]["tier"] = 1
        del data["transitions"][2]["to"]

    response = editor.post(_url("version-import"), {"yaml": _yaml_with(change)}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {
        "yaml": ["stages[0].tier: Expected text.", "transitions[2].to: This field is required."]
    }
    assert not PathwayVersion.objects.exists()


def test_importing_malformed_yaml_is_a_field_error(editor, area):
    response = editor.post(_url("version-import"), {"yaml": "key: [oops"}, format="json")

    assert response.status_code == 400
    [message] = response.json()["fields"]["yaml"]
    assert message.startswith("line ") and "Not valid YAML" in message


def test_importing_an_invalid_definition_lists_each_problem(editor, area):
    def change(data):
        data["stages"][2]["responsible_role"] = "social_worker"
        data["transitions"][0]["guards"] = {"risk_score_above": 5}

    response = editor.post(_url("version-import"), {"yaml": _yaml_with(change)}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "definition_invalid"
    assert [problem["message"] for problem in body["problems"]] == [
        "Stage 'early_help' names role 'social_worker', which does not exist.",
        "Transition 'route_to_universal_support' uses unknown guard 'risk_score_above' "
        "(known: continuum_level_in, significant_harm_suspected).",
    ]
    assert not PathwayVersion.objects.exists()


@pytest.mark.parametrize("role", [Role.LEAD_PRACTITIONER, Role.TEAM_MANAGER, Role.FRONT_DOOR])
def test_only_pathway_editors_may_import(client_for, make_user, role):
    response = client_for(make_user(role)).post(
        _url("version-import"), {"yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not PathwayVersion.objects.exists()


def test_a_system_administrator_may_import(client_for, make_user, area):
    client = client_for(make_user(Role.SYSTEM_ADMINISTRATOR))

    response = client.post(_url("version-import"), {"yaml": DEFAULT_TEXT}, format="json")

    assert response.status_code == 201


# --- validating ------------------------------------------------------------------------------


def test_the_default_yaml_validates(practitioner):
    response = practitioner.post(_url("validate"), {"yaml": DEFAULT_TEXT}, format="json")

    assert response.status_code == 200
    assert response.json() == {"valid": True, "problems": []}


def test_a_json_definition_with_a_problem_is_not_valid(practitioner):
    data = definition_to_dict(default_definition())
    data["stages"][2]["timescale"]["working_days"] = 0

    response = practitioner.post(_url("validate"), {"definition": data}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "valid": False,
        "problems": [
            {
                "code": "invalid_timescale",
                "path": "stages[2] 'early_help'",
                "message": "Stage 'early_help' has a timescale of 0 working days; "
                "it must be at least 1.",
            }
        ],
    }


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"yaml": "key: [oops"}, "line 1, column 11"),
        ({"yaml": "just some words"}, "$"),
        ({"yaml": ""}, "$"),
        ({"yaml": 12}, "$"),
        ({"definition": "a pathway"}, "$"),
        ({"definition": [1, 2, 3]}, "$"),
        ({"definition": None}, "$"),
        ({"definition": {"key": "x", "name": "X", "stages": "many"}}, "$.stages"),
        ({"definition": {"key": "x", "name": "X", "stages": [{"requires": [[]]}]}},
         "stages[0].key"),
        ({"definition": {"key": "x", "name": "X", "transitions": [{"roles": [{}]}]}},
         "transitions[0].key"),
    ],
)  # fmt: skip
def test_garbage_is_reported_as_shape_problems_never_as_a_server_error(practitioner, body, path):
    response = practitioner.post(_url("validate"), body, format="json")

    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["problems"][0]["code"] == "shape"
    assert response.json()["problems"][0]["path"] == path


@pytest.mark.parametrize(
    "body",
    [{}, {"yaml": DEFAULT_TEXT, "definition": {}}, {"yaml": {"key": "x"}}],
)
def test_a_request_without_exactly_one_definition_is_a_field_error(practitioner, body):
    response = practitioner.post(_url("validate"), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["yaml"]


def test_a_body_that_is_not_an_object_is_a_bad_request(practitioner):
    response = practitioner.post(_url("validate"), [1, 2], format="json")

    assert response.status_code == 400


def test_a_body_that_is_not_json_is_a_bad_request(practitioner):
    response = practitioner.post(_url("validate"), "{nope", content_type="application/json")

    assert response.status_code == 400


# --- replacing a draft's definition ----------------------------------------------------------


def test_an_editor_replaces_a_drafts_definition(editor, draft):
    definition = definition_to_dict(default_definition())
    definition["stages"][2]["timescale"]["working_days"] = 15

    response = editor.put(
        _url("version-detail", draft.pk), {"definition": definition}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["definition"] == definition
    assert draft.stages.get(key="early_help").timescale_working_days == 15


def test_a_draft_can_be_replaced_with_yaml(editor, draft):
    response = editor.put(_url("version-detail", draft.pk), {"yaml": DEFAULT_TEXT}, format="json")

    assert response.status_code == 200
    assert draft.stages.get(key="early_help").timescale_working_days == 30


def test_replacing_a_published_version_is_a_conflict(editor, default_version):
    response = editor.put(
        _url("version-detail", default_version.pk), {"yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "version_not_editable"


def test_a_lead_practitioner_cannot_replace_a_draft(practitioner, draft):
    response = practitioner.put(
        _url("version-detail", draft.pk), {"yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 403
    assert draft.stages.get(key="early_help").timescale_working_days == 20


def test_replacing_with_a_badly_shaped_definition_names_each_path(editor, draft):
    response = editor.put(
        _url("version-detail", draft.pk),
        {"definition": {"key": "default", "stages": [{"key": "only"}]}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "definition": [
            "$.name: This field is required.",
            "stages[0].name: This field is required.",
            "stages[0].tier: This field is required.",
            "stages[0].responsible_role: This field is required.",
        ]
    }


def test_replacing_with_another_pathways_key_is_refused(editor, draft):
    response = editor.put(
        _url("version-detail", draft.pk),
        {"yaml": _yaml_with(_unchanged, key="elsewhere")},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"key": ["Expected 'default'."]}


def test_replacing_with_an_invalid_definition_lists_its_problems(editor, draft):
    response = editor.put(
        _url("version-detail", draft.pk),
        {"yaml": _yaml_with(lambda d: d["transitions"][0].update(to="nowhere"))},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "definition_invalid"
    messages = [p["message"] for p in response.json()["problems"]]
    assert "Transition 'route_to_universal_support' goes to unknown stage 'nowhere'." in messages
    assert draft.stages.get(key="early_help").timescale_working_days == 20


def test_replacing_an_unknown_version_is_404(editor, draft):
    response = editor.put(
        _url("version-detail", draft.pk + 1000), {"yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 404


# --- exporting -------------------------------------------------------------------------------


def test_the_export_of_the_default_version_equals_the_file(practitioner, default_version):
    response = practitioner.get(_url("version-export", default_version.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/yaml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="default-v1.yaml"'
    assert response.content.decode("utf-8") == DEFAULT_TEXT


def test_asking_for_yaml_explicitly_is_not_refused(practitioner, default_version):
    response = practitioner.get(_url("version-export", default_version.pk), HTTP_ACCEPT="text/yaml")

    assert response.status_code == 200
    assert response.content.decode("utf-8") == DEFAULT_TEXT


def test_exporting_an_unknown_version_is_a_json_404(practitioner, default_version):
    response = practitioner.get(
        _url("version-export", default_version.pk + 1000), HTTP_ACCEPT="text/yaml"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- publishing ------------------------------------------------------------------------------


def test_an_editor_publishes_a_draft(editor, draft, coordinator):
    response = editor.post(_url("version-publish", draft.pk))

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    draft.refresh_from_db()
    assert (draft.status, draft.published_by) == (VersionStatus.PUBLISHED, coordinator)


def test_publishing_a_published_version_is_a_conflict(editor, default_version):
    response = editor.post(_url("version-publish", default_version.pk))

    assert response.status_code == 409
    assert response.json()["code"] == "version_not_editable"


def test_a_lead_practitioner_cannot_publish(practitioner, draft):
    response = practitioner.post(_url("version-publish", draft.pk))

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_publishing_an_invalid_draft_lists_its_problems(editor, draft):
    stage = draft.stages.get(key="review")
    stage.responsible_role = "panel_chair"
    stage.save()

    response = editor.post(_url("version-publish", draft.pk))

    assert response.status_code == 400
    assert response.json()["problems"] == [
        {
            "code": "unknown_role",
            "path": "stages[7] 'review'",
            "message": "Stage 'review' names role 'panel_chair', which does not exist.",
        }
    ]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


# --- comparing -------------------------------------------------------------------------------


def test_a_draft_is_compared_with_the_version_it_replaces(practitioner, draft, default_version):
    response = practitioner.get(_url("version-diff", draft.pk), {"against": default_version.pk})

    assert response.status_code == 200
    assert response.json() == {
        "changes": [
            {
                "kind": "changed",
                "subject": "stage",
                "key": "early_help",
                "field": "timescale.working_days",
                "old": 30,
                "new": 20,
                "text": "Stage 'early_help': timescale 30 → 20 working days",
            }
        ],
        "text": "Stage 'early_help': timescale 30 → 20 working days",
    }


def test_a_version_compared_with_itself_has_no_changes(practitioner, default_version):
    response = practitioner.get(
        _url("version-diff", default_version.pk), {"against": default_version.pk}
    )

    assert response.json() == {"changes": [], "text": "No changes."}


@pytest.mark.parametrize("query", [{}, {"against": "latest"}])
def test_comparing_needs_a_version_to_compare_against(practitioner, default_version, query):
    response = practitioner.get(_url("version-diff", default_version.pk), query)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["against"]


def test_comparing_against_an_unknown_version_is_not_found(practitioner, default_version):
    response = practitioner.get(_url("version-diff", default_version.pk), {"against": 99999})

    assert response.status_code == 404


# --- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 30])
def test_the_pathway_list_costs_the_same_queries_for_3_and_30_pathways(
    practitioner, area, coordinator, django_assert_num_queries, rows
):
    for n in range(rows):
        definition = default_definition()
        definition.key = f"pathway_{n}"
        create_draft_version(area=area, definition=definition, actor=coordinator)
        create_draft_version(area=area, definition=definition, actor=coordinator)

    # count, pathways with their area, their versions
    with django_assert_num_queries(3):
        response = practitioner.get(_url("pathway-list"))

    assert len(response.json()["results"]) == rows
    assert all(len(p["versions"]) == 2 for p in response.json()["results"])


@pytest.mark.parametrize("rows", [3, 30])
def test_the_version_list_costs_the_same_queries_for_3_and_30_versions(
    practitioner, area, coordinator, django_assert_num_queries, rows
):
    for _ in range(rows):
        version = create_draft_version(
            area=area, definition=default_definition(), actor=coordinator
        )

    # the pathway, count, versions with their pathway and sizes
    with django_assert_num_queries(3):
        response = practitioner.get(_url("pathway-versions", version.pathway_id))

    assert len(response.json()["results"]) == rows
    assert {v["stage_count"] for v in response.json()["results"]} == {12}
