from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_pay_rules')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Schedule',
            name='holiday_region_snapshot',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Schedule',
            name='holidays_version',
            field=fields.CharField(null=True, max_length=40),
        ),
    ]
