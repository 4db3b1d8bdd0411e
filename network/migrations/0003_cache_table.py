from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The database cache (the default when REDIS_URL is unset) needs its table before
    # anything caches; a migration makes every fresh database, tests included, have it.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("network", "0002_features")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
