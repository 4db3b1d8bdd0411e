from django.urls import path

from digital import views

app_name = "digital"

urlpatterns = [
    path("", views.resource_list, name="resources"),
    path("<slug:slug>/", views.resource, name="resource"),
    path("<slug:slug>/acceder/", views.open_resource, name="open"),
]
