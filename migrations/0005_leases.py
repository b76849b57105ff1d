from tortoise import migrations
from tortoise.migrations import operations as ops
from fithub.core.devices.models import SyncStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fithub', '0004_apple_import')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DeviceConnection',
            name='running_sync_id',
            field=fields.BigIntField(null=True, description='the sync log holding the lease'),
        ),
        ops.AddField(
            model_name='DeviceConnection',
            name='sync_lease_expires_at',
            field=fields.DatetimeField(null=True, description='until when that sync holds the connection unless renewed', auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='SyncLog',
            name='status',
            field=fields.CharEnumField(default=SyncStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nSUCCEEDED: succeeded\nPARTIAL: partial\nFAILED: failed\nDEFERRED: deferred\nSKIPPED: skipped\nSUPERSEDED: superseded', enum_type=SyncStatus, max_length=16),
        ),
        ops.AddField(
            model_name='SyncLog',
            name='lease_expires_at',
            field=fields.DatetimeField(null=True, description='renewed while it runs', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SyncLog',
            name='superseded_by',
            field=fields.BigIntField(null=True, description='the run that took this one over'),
        ),
        ops.AddField(
            model_name='SyncLog',
            name='worker',
            field=fields.CharField(null=True, description='the worker running it', max_length=80),
        ),
        ops.AddIndex(
            model_name='SyncLog',
            index=Index(fields=['status', 'lease_expires_at']),
        ),
        ops.AddField(
            model_name='Video',
            name='lease_expires_at',
            field=fields.DatetimeField(null=True, description='renewed while it runs', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Video',
            name='worker',
            field=fields.CharField(null=True, description='the worker analysing it', max_length=80),
        ),
    ]
