"""Frozen published versions, the Chinese search index, and the national banned-certificate list."""

import uuid

from django.db import migrations
from django.utils import timezone

from jianfu.catalog import reference
from jianfu.catalog.db_guards import (
    frozen_guard_install,
    frozen_guard_remove,
    search_index_install,
    search_index_remove,
)


def install(apps, schema_editor):
    search_index_install(schema_editor.connection)
    frozen_guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    frozen_guard_remove(schema_editor.connection)
    search_index_remove(schema_editor.connection)


def load_banned_certificates(apps, schema_editor):
    CatalogList = apps.get_model("catalog", "CatalogList")
    ListVersion = apps.get_model("catalog", "ListVersion")
    Item = apps.get_model("catalog", "Item")
    catalog_list = CatalogList.objects.create(
        code=reference.BANNED_CERTIFICATES_CODE,
        name=reference.BANNED_CERTIFICATES_NAME,
        kind="certificate_banned",
        level="community",
        region=None,
        description="民政部 国家发展改革委 公安部 司法部 人力资源社会保障部 国家卫生健康委，经国务院同意。",
    )
    version = ListVersion.objects.create(list=catalog_list, label="2020版")
    Item.objects.bulk_create(
        Item(
            version=version,
            key=uuid.uuid5(uuid.NAMESPACE_URL, f"jianfu:certificate_banned:2020:{seq}"),
            name=name,
            legal_law=reference.BANNED_CERTIFICATES_BASIS,
            position=seq,
        )
        for seq, name in reference.banned_certificates()
    )
    # Items go into a draft, which is then published: the database refuses to add items
    # to a published version.
    version.status = "published"
    version.document_number = reference.BANNED_CERTIFICATES_DOCUMENT
    version.valid_from = reference.BANNED_CERTIFICATES_DATE
    version.published_at = timezone.now()
    version.save()


def unload_banned_certificates(apps, schema_editor):
    frozen_guard_remove(schema_editor.connection)
    CatalogList = apps.get_model("catalog", "CatalogList")
    for catalog_list in CatalogList.objects.filter(code=reference.BANNED_CERTIFICATES_CODE):
        for version in catalog_list.versions.all():
            version.items.all().delete()
            version.delete()
        catalog_list.delete()
    frozen_guard_install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(install, remove),
        migrations.RunPython(load_banned_certificates, unload_banned_certificates),
    ]
