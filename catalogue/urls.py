"""Public URLs of the union catalogue (search, work pages, exports)."""

from django.urls import path

from catalogue import views, views_open_data

app_name = "catalogue"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("avancee/", views.advanced, name="advanced"),
    path("suggestions/", views.complete, name="complete"),
    path("oeuvre/<int:pk>/", views.work, name="work"),
    path("oeuvre/<int:pk>/disponibilite/", views.work_availability, name="work_availability"),
    # Open data: the exports of one edition (catalogue/views_open_data.py).
    path(
        "notice/<int:pk>/export.<str:fmt>",
        views_open_data.record_export,
        name="record_export",
    ),
]
