from jianfu.burden.import_urls import urlpatterns as import_urlpatterns
from jianfu.burden.page_urls import urlpatterns as page_urlpatterns

# The inventories, the burden index and its snapshots; the survey import.
urlpatterns = [*page_urlpatterns, *import_urlpatterns]
