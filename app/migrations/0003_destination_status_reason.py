from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_import_links')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Destination',
            name='changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Destination',
            name='status_reason',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
