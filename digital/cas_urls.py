"""The CAS 3.0 server's addresses, under ``/cas/`` (digital.cas)."""

from django.urls import path

from digital import views

app_name = "cas"

urlpatterns = [
    path("login", views.cas_login, name="login"),
    path("logout", views.cas_logout, name="logout"),
    path("validate", views.cas_validate, name="validate"),
    path(
        "serviceValidate",
        views.cas_service_validate,
        {"with_attributes": False},
        name="service_validate",
    ),
    path(
        "proxyValidate",
        views.cas_service_validate,
        {"with_attributes": False},
        name="proxy_validate",
    ),
    path(
        "p3/serviceValidate",
        views.cas_service_validate,
        {"with_attributes": True},
        name="p3_service_validate",
    ),
    path(
        "p3/proxyValidate",
        views.cas_service_validate,
        {"with_attributes": True},
        name="p3_proxy_validate",
    ),
]
