import django.db.models.deletion
from django.db import migrations, models


def fill_agreement(apps, schema_editor):
    """Every existing contribution belongs to its participant's agreement."""
    Contribution = apps.get_model("agreements", "Contribution")
    for contribution in Contribution.objects.select_related("participant").iterator():
        contribution.agreement_id = contribution.participant.agreement_id
        contribution.save(update_fields=["agreement"])
    HistoricalContribution = apps.get_model("agreements", "HistoricalContribution")
    Participant = apps.get_model("agreements", "Participant")
    agreement_of = dict(Participant.objects.values_list("pk", "agreement_id"))
    for record in HistoricalContribution.objects.filter(agreement__isnull=True).iterator():
        record.agreement_id = agreement_of.get(record.participant_id)
        if record.agreement_id is not None:
            record.save(update_fields=["agreement"])


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0004_ddl_decision_record"),
    ]

    operations = [
        migrations.AddField(
            model_name="contribution",
            name="agreement",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="contributions",
                to="agreements.agreement",
            ),
        ),
        migrations.AddField(
            model_name="historicalcontribution",
            name="agreement",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agreements.agreement",
            ),
        ),
        migrations.RunPython(fill_agreement, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contribution",
            name="agreement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="contributions",
                to="agreements.agreement",
            ),
        ),
        migrations.AlterField(
            model_name="contribution",
            name="participant",
            field=models.ForeignKey(
                blank=True,
                help_text="The foreign participant; empty for the United States' own contribution.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="contributions",
                to="agreements.participant",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontribution",
            name="participant",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The foreign participant; empty for the United States' own contribution.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agreements.participant",
            ),
        ),
        migrations.AlterModelOptions(
            name="contribution",
            options={"ordering": ["agreement", "participant", "fiscal_year", "pk"]},
        ),
    ]
