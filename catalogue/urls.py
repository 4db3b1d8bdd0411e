"""Public URLs of the union catalogue (search, work pages, exports)."""

from django.urls import path  # noqa: F401

app_name = "catalogue"

urlpatterns: list = []
