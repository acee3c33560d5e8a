from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_people')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.IntField(db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('token_id', fields.IntField()),
                ('token_name', fields.CharField(max_length=200)),
                ('role', fields.CharField(max_length=10)),
                ('contact_id', fields.IntField(null=True)),
                ('operation', fields.CharField(max_length=100)),
                ('object_ids', fields.TextField(default=' ', unique=False)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One successful write. Values, not foreign keys: an entry outlives what it names.'},
            bases=['Model'],
        ),
    ]
