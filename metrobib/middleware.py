from csp.middleware import CSPMiddleware
from django.conf import settings

ADMIN_PREFIXES = ("/admin/",)


class PortalCSPMiddleware(CSPMiddleware):
    """The strict public policy everywhere, the back-office's own policy under /admin/.

    Wagtail's admin relies on inline scripts and styles; patrons never reach it, so the
    relaxed policy stays confined to authenticated staff pages.
    """

    def process_response(self, request, response):
        if request.path.startswith(ADMIN_PREFIXES) and not hasattr(response, "_csp_config"):
            response._csp_config = settings.ADMIN_CONTENT_SECURITY_POLICY
        return super().process_response(request, response)
