from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_rotation_rules')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlertState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=100)),
                ('state', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'notice_alert_state', 'app': 'models', 'pk_attr': 'id', 'table_description': "What an alert last reported (a tier's gaps, a destination's ERROR), by key."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticePreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact', fields.OneToOneField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='notice_preference', on_delete=OnDelete.CASCADE)),
                ('lead_minutes', fields.IntField(default=60)),
                ('kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('quiet_start', fields.CharField(null=True, max_length=5)),
                ('quiet_end', fields.CharField(null=True, max_length=5)),
            ],
            options={'table': 'notice_preference', 'app': 'models', 'pk_attr': 'id', 'table_description': "A contact's choices: which notices, how long before a shift, and quiet hours"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationChannel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.IntField()),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='notification_channels', on_delete=OnDelete.CASCADE)),
                ('schedule', fields.ForeignKeyField('models.Schedule', source_field='schedule_id', null=True, db_constraint=True, to_field='id', related_name='notification_channels', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=8)),
                ('address', fields.CharField(max_length=2000)),
                ('signing_secret', fields.CharField(null=True, max_length=200)),
                ('verification_hash', fields.CharField(null=True, max_length=64)),
                ('verification_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verification_attempts', fields.IntField(default=0)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paused', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_channel', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where a contact (or, for coverage and destination alerts, a schedule) is told things.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.IntField(db_index=True)),
                ('channel', fields.ForeignKeyField('models.NotificationChannel', source_field='channel_id', null=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('contact_id', fields.IntField(null=True)),
                ('schedule_id', fields.IntField(null=True)),
                ('kind', fields.CharField(max_length=20)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('uid', fields.CharField(max_length=64)),
                ('transport', fields.CharField(max_length=8)),
                ('address', fields.CharField(max_length=2000)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='PENDING', max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'models', 'indexes': [Index(fields=['status', 'due_at'])], 'pk_attr': 'id', 'table_description': 'One message to one address.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShiftSnapshot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact_id', fields.IntField()),
                ('tier_id', fields.IntField(db_index=True)),
                ('runs', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'notice_shift_snapshot', 'app': 'models', 'unique_together': (('contact_id', 'tier_id'),), 'pk_attr': 'id', 'table_description': "A person's shifts on one tier as the planner last saw them, up to the tier's"},
            bases=['Model'],
        ),
    ]
