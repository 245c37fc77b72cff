from listings import api, import_views, ipc_search, owner_views, patent_picker, views

# Each module keeps its own routes; names are used across templates and tests.
urlpatterns = (views.urlpatterns + owner_views.urlpatterns + import_views.urlpatterns + patent_picker.urlpatterns
               + ipc_search.urlpatterns)
api_urlpatterns = api.urlpatterns
