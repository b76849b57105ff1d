from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from fithub.core.devices.models import PushStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fithub', '0002_training')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.CharField(max_length=32)),
                ('external_user_id', fields.CharField(max_length=128)),
                ('action', fields.CharField(description='upsert, delete or deauthorize', max_length=16)),
                ('data_type', fields.CharField(null=True, max_length=32)),
                ('object_id', fields.CharField(null=True, max_length=255)),
                ('window_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('window_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('items', fields.JSONField(null=True, description='vendor items carried by the push itself', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('dedup_key', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=PushStatus.QUEUED, description='QUEUED: queued\nPROCESSED: processed\nIGNORED: ignored\nFAILED: failed', enum_type=PushStatus, max_length=16)),
                ('connection', fields.ForeignKeyField('fithub.DeviceConnection', source_field='connection_id', null=True, db_constraint=True, to_field='id', related_name='webhook_events', on_delete=OnDelete.CASCADE)),
                ('sync_log_id', fields.BigIntField(null=True, description='the sync the push started')),
                ('outcome', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.CharField(default='', max_length=500)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'device_webhook_events', 'app': 'fithub', 'indexes': [Index(fields=['provider', 'external_user_id']), Index(fields=['status', 'received_at'])], 'pk_attr': 'id', 'table_description': 'One change a vendor pushed to a webhook (the inbox of journey 3), kept until processed.'},
            bases=['Model'],
        ),
    ]
