from jianfu.org.management.commands._import import ImportCommand
from jianfu.org.services import units_import


class Command(ImportCommand):
    help = "Import units from an XLSX/CSV file (all rows or none)."
    importer = staticmethod(units_import)
    label = "units"
