from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from fithub.core.devices.imports.models import ImportStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fithub', '0003_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeviceImport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='device_imports', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(default=ImportStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed', enum_type=ImportStatus, max_length=16)),
                ('file_format', fields.CharField(description='zip or xml, found from the content', max_length=8)),
                ('original_filename', fields.CharField(default='', max_length=255)),
                ('size_bytes', fields.BigIntField(description='the uploaded file')),
                ('xml_bytes', fields.BigIntField(description='the export XML, uncompressed')),
                ('storage_key', fields.CharField(null=True, description='the upload in media storage until processed', max_length=255)),
                ('job_token', fields.CharField(null=True, description='the queued job allowed to claim the import', max_length=32)),
                ('export_date', fields.DatetimeField(null=True, description='when the phone wrote the export', auto_now=False, auto_now_add=False)),
                ('progress', fields.FloatField(default=0.0, description='share of the XML read, 0 to 1')),
                ('records_read', fields.BigIntField(default=0, description='data elements read from the XML')),
                ('inserted', fields.BigIntField(default=0)),
                ('updated', fields.BigIntField(default=0)),
                ('unchanged', fields.BigIntField(default=0)),
                ('aggregated', fields.BigIntField(default=0, description='samples summed into days or grouped into sleep sessions')),
                ('skipped', fields.BigIntField(default=0)),
                ('skipped_reasons', fields.JSONField(default=dict, description='reason and count of each skipped element', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.CharField(default='', max_length=500)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'device_imports', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'provider', 'id']), Index(fields=['status', 'updated_at'])], 'pk_attr': 'id', 'table_description': 'An export file a user uploaded (Apple Health export.zip or export.xml) and its import.'},
            bases=['Model'],
        ),
    ]
