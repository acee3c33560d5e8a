from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'organization', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('role', fields.CharField(max_length=10)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('phone', fields.CharField(null=True, max_length=40)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'contact', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Group',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'contact_group', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.RESTRICT)),
                ('position', fields.IntField()),
            ],
            options={'table': 'group_member', 'app': 'models', 'unique_together': (('group', 'contact'),), 'pk_attr': 'id', 'table_description': "A contact's place in a group; ``position`` orders the members."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Schedule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='schedules', on_delete=OnDelete.CASCADE)),
                ('customer', fields.CharField(default='', max_length=200)),
                ('name', fields.CharField(max_length=200)),
                ('default_email', fields.CharField(null=True, max_length=320)),
                ('default_phone', fields.CharField(null=True, max_length=40)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('assignment_horizon_days', fields.IntField(default=28)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'schedule', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tier',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='tiers', on_delete=OnDelete.CASCADE)),
                ('schedule', fields.ForeignKeyField('models.Schedule', source_field='schedule_id', db_constraint=True, to_field='id', related_name='tiers', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('name', fields.CharField(default='', max_length=200)),
                ('data_version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tier', 'app': 'models', 'unique_together': (('schedule', 'number'),), 'pk_attr': 'id', 'table_description': 'An escalation level of a schedule; number 1 is the primary.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Layer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='layers', on_delete=OnDelete.CASCADE)),
                ('tier', fields.ForeignKeyField('models.Tier', source_field='tier_id', db_constraint=True, to_field='id', related_name='layers', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('index', fields.IntField()),
                ('start_local', fields.CharField(max_length=19)),
                ('end_local', fields.CharField(null=True, max_length=19)),
                ('timezone', fields.CharField(max_length=64)),
                ('rotation_unit', fields.CharField(max_length=5)),
                ('rotation_length', fields.IntField(default=1)),
                ('staff_on_call', fields.IntField(default=1)),
                ('staff_to_rotate', fields.IntField(null=True)),
                ('direction', fields.CharField(default='FORWARD', max_length=8)),
                ('restrictions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recurrence_type', fields.CharField(null=True, max_length=10)),
                ('recurrence_from', fields.DateField(null=True)),
                ('recurrence_to', fields.DateField(null=True)),
                ('recurrence_every_n', fields.IntField(default=1)),
                ('recurrence_rule', fields.CharField(null=True, max_length=500)),
                ('min_staff', fields.IntField(null=True)),
                ('skip_unavailable', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'layer', 'app': 'models', 'unique_together': (('tier', 'index'),), 'pk_attr': 'id', 'table_description': 'A stored rotation inside a tier (a "staff schedule").'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LayerParticipant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('layer', fields.ForeignKeyField('models.Layer', source_field='layer_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='layer_entries', on_delete=OnDelete.RESTRICT)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='layer_entries', on_delete=OnDelete.RESTRICT)),
                ('weekdays', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'layer_participant', 'app': 'models', 'pk_attr': 'id', 'table_description': "One entry of a layer's participant list: a contact or a group, optionally on weekdays."},
            bases=['Model'],
        ),
    ]
