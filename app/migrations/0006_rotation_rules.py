from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_audit_log')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contact',
            name='holiday_region',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Layer',
            name='advance',
            field=fields.CharField(default='EVERY_TURN', db_default='EVERY_TURN', max_length=12),
        ),
        ops.AddField(
            model_name='Layer',
            name='on_holidays',
            field=fields.CharField(default='RUN', db_default='RUN', max_length=4),
        ),
        ops.AddField(
            model_name='Layer',
            name='participant_holidays',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Layer',
            name='pauses',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Layer',
            name='roster_segments',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AlterModelOptions(
            name='LayerParticipant',
            options={'table': 'layer_participant', 'app': 'models', 'pk_attr': 'id', 'table_description': "One entry of a layer's participant list: a contact or a group, optionally on weekdays"},
        ),
        ops.AddField(
            model_name='LayerParticipant',
            name='working_hours_end',
            field=fields.CharField(null=True, max_length=5),
        ),
        ops.AddField(
            model_name='LayerParticipant',
            name='working_hours_start',
            field=fields.CharField(null=True, max_length=5),
        ),
        ops.AddField(
            model_name='Schedule',
            name='holiday_excluded_dates',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Schedule',
            name='holiday_extra_dates',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Schedule',
            name='holiday_region',
            field=fields.CharField(null=True, max_length=40),
        ),
    ]
