import json

from django.db import migrations, models

from cms.study.models import required_seconds_for


def work_out_required_seconds(apps, schema_editor):
    """Every existing lesson's minimum study time from its live content, as saving it would."""
    LessonPage = apps.get_model("study", "LessonPage")
    for pk, minutes, body in LessonPage.objects.values_list("pk", "min_study_minutes", "body").iterator():
        raw = getattr(body, "raw_data", body)
        if isinstance(raw, str):
            raw = json.loads(raw or "[]")
        LessonPage.objects.filter(pk=pk).update(required_seconds=required_seconds_for(minutes, raw))


class Migration(migrations.Migration):
    dependencies = [
        ("study", "0004_block_output_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="lessonpage",
            name="required_seconds",
            field=models.PositiveIntegerField(default=10, editable=False, verbose_name="最少学习时长（秒）"),
        ),
        migrations.RunPython(work_out_required_seconds, migrations.RunPython.noop),
    ]
