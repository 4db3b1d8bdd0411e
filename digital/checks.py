"""System checks of the digital library's settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def oidc_signing_key(app_configs, **kwargs):
    if settings.OIDC_RSA_PRIVATE_KEY:
        return []
    return [
        Error(
            "The OpenID Connect provider has no signing key: vendors using OpenID Connect "
            "cannot sign patrons in.",
            hint="Set OIDC_RSA_PRIVATE_KEY (PEM) or OIDC_RSA_PRIVATE_KEY_FILE.",
            id="digital.E001",
        )
    ]
