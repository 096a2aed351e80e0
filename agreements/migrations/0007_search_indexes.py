"""GIN indexes for the global search (workflow/search.py), on exactly the tsvector expressions
its queries use. PostgreSQL only: SQLite searches by substring and needs none."""

from django.db import migrations

INDEXES = (
    (
        "agreement_title_fts",
        "agreements_agreement",
        "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(short_title, ''))",
    ),
    (
        "ssoi_text_fts",
        "agreements_ssoi",
        "to_tsvector('english'::regconfig, coalesce(objectives, '') || ' ' || coalesce(scope_of_work, '') || ' ' || coalesce(benefits_to_dod, '') || ' ' || coalesce(benefits_to_partners, '') || ' ' || coalesce(management_structure, '') || ' ' || coalesce(in_kind_valuation, '') || ' ' || coalesce(cost_share_rationale, '') || ' ' || coalesce(contracting_approach, '') || ' ' || coalesce(project_equipment, '') || ' ' || coalesce(disclosure_and_use, '') || ' ' || coalesce(security_classification, '') || ' ' || coalesce(ddl_notes, '') || ' ' || coalesce(third_party_transfer, '') || ' ' || coalesce(duration, '') || ' ' || coalesce(congressional_notice, '') || ' ' || coalesce(nato_mnna_confirmation, '') || ' ' || coalesce(loan_period, '') || ' ' || coalesce(return_terms, '') || ' ' || coalesce(consumption_determination, ''))",
    ),
    ("document_text_fts", "agreements_document", "to_tsvector('english'::regconfig, coalesce(text, ''))"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0006_agreement_external_reference_document_text")]

    operations = [migrations.RunPython(create, drop)]
