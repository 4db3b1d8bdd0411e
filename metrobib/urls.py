from django.conf import settings
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap as PageSitemap
from wagtail.documents import urls as wagtaildocs_urls

from api.api import api
from catalogue import views_open_data
from editorial import views as editorial_views
from metrobib import views
from metrobib.sitemaps import SiteSitemap, StaticViewSitemap

handler404 = "metrobib.views.page_not_found"
handler500 = "metrobib.views.server_error"

sitemaps = {"pages": PageSitemap, "sites": SiteSitemap, "static": StaticViewSitemap}

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    path("bibliotheques/", include("network.urls")),
    path("catalogue/", include("catalogue.urls")),
    path("agenda/", include("agenda.urls")),
    path("ressources-numeriques/", include("digital.urls")),
    path("cas/", include("digital.cas_urls")),
    path("oidc/", include("digital.oidc_urls")),
    path("compte/", include("accounts.urls")),
    path("oai", views_open_data.oai_pmh, name="oai"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    path("", editorial_views.home, name="home"),
    path("", include(wagtail_urls)),
]
