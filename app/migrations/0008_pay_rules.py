from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PayRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='pay_rules', on_delete=OnDelete.CASCADE)),
                ('schedule', fields.ForeignKeyField('models.Schedule', source_field='schedule_id', db_constraint=True, to_field='id', related_name='pay_rules', on_delete=OnDelete.CASCADE)),
                ('effective_from', fields.DateField()),
                ('currency', fields.CharField(max_length=3)),
                ('basis', fields.CharField(max_length=9)),
                ('rate', fields.DecimalField(max_digits=12, decimal_places=4)),
                ('night_multiplier', fields.DecimalField(default=1, max_digits=6, decimal_places=3)),
                ('weekend_multiplier', fields.DecimalField(default=1, max_digits=6, decimal_places=3)),
                ('holiday_multiplier', fields.DecimalField(default=1, max_digits=6, decimal_places=3)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pay_rule', 'app': 'models', 'unique_together': (('schedule_id', 'effective_from'),), 'pk_attr': 'id', 'table_description': "How a schedule's on-call time is paid from ``effective_from`` (a date, local midnight"},
            bases=['Model'],
        ),
    ]
