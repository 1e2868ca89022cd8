from django.db import migrations

DEFAULT_CATEGORIES = ["组织建设", "党费收缴使用", "三会一课", "民主评议", "发展党员公示", "其他"]


def create_categories(apps, schema_editor):
    OpennessCategory = apps.get_model("openness", "OpennessCategory")
    for position, name in enumerate(DEFAULT_CATEGORIES, start=1):
        OpennessCategory.objects.get_or_create(name=name, defaults={"sort_order": position * 10})


class Migration(migrations.Migration):
    dependencies = [("openness", "0001_initial")]

    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
