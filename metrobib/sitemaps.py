from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from network.models import Site


class SiteSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Site.objects.order_by("pk")

    def lastmod(self, site):
        return site.updated_at


class StaticViewSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return ["network:site_list"]

    def location(self, item):
        return reverse(item)
