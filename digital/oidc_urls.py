"""The OpenID Connect provider's addresses, under ``/oidc/`` (digital.oidc). The toolkit
reverses its own names, hence its namespace; its application-management and device
screens are not exposed (clients are made from resources in the back-office)."""

from django.urls import path
from oauth2_provider import views as toolkit
from oauth2_provider.urls import oidc_urlpatterns

from digital.oidc import VendorAuthorizationView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", VendorAuthorizationView.as_view(), name="authorize"),
    path("token/", toolkit.TokenView.as_view(), name="token"),
    path("revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    *[p for p in oidc_urlpatterns if p.name != "rp-initiated-logout"],
]
