from config_client.models import Application, ExportDocument, ImportPlan


def test_unknown_fields_from_a_newer_service_are_ignored():
    app = Application.model_validate(
        {
            "id": "A",
            "name": "n",
            "version": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "labels": {"new": True},
        }
    )
    assert app.configuration_ids is None and not hasattr(app, "labels")


def test_an_export_document_round_trips_and_a_plan_reads():
    document = ExportDocument.model_validate(
        {"application": {"name": "a"}, "configurations": [{"name": "c", "config": {"k": 1}}]}
    )
    assert document.model_dump(mode="json")["format"] == "config-service/v1"
    plan = ImportPlan.model_validate(
        {
            "application": {"id": None, "action": "create"},
            "configurations": [{"name": "c", "action": "create", "id": None}],
        }
    )
    assert plan.configurations[0].action == "create"
