from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='import_links', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(max_length=16)),
                ('kind', fields.CharField(max_length=16)),
                ('source_id', fields.CharField(max_length=400)),
                ('local_id', fields.IntField()),
                ('fingerprint', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'import_link', 'app': 'models', 'unique_together': (('organization', 'source', 'kind', 'source_id'),), 'pk_attr': 'id', 'table_description': 'Which local object an imported source object became, and how the import left it.'},
            bases=['Model'],
        ),
    ]
