from django.urls import path

from network import views

app_name = "network"
urlpatterns = [
    path("", views.site_list, name="site_list"),
    path("<slug:slug>/", views.site_detail, name="site"),
]
