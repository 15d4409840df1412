from jianfu.org.management.commands._import import ImportCommand
from jianfu.org.services import regions_import


class Command(ImportCommand):
    help = "Import regions from an XLSX/CSV file (all rows or none)."
    importer = staticmethod(regions_import)
    label = "regions"
