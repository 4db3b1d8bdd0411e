/* The Leaflet map of sites: an enhancement of the list, which stays the accessible way in.
   On the list, the map loads the API's GeoJSON for the same filters (data-geojson-url);
   on a site page, the site's point is in a JSON block beside the map. No inline script:
   the Content-Security-Policy forbids it. */
(function () {
  "use strict";
  var map = null;
  var layer = null;
  var pending = null;

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function loadData(container) {
    if (container.dataset.geojsonUrl) {
      if (pending) { pending.abort(); }
      pending = new AbortController();
      return fetch(container.dataset.geojsonUrl, {
        headers: { Accept: "application/geo+json" },
        signal: pending.signal
      }).then(function (response) {
        if (!response.ok) { throw new Error("GeoJSON " + response.status); }
        return response.json();
      });
    }
    var block = document.getElementById("carte-donnees");
    return Promise.resolve(block ? JSON.parse(block.textContent) : { features: [] });
  }

  function draw(container, data) {
    if (map && map.getContainer() !== container) { map.remove(); map = null; }
    if (!map) {
      map = L.map(container, { scrollWheelZoom: false, keyboard: true });
      L.tileLayer(container.dataset.tiles, {
        maxZoom: 19,
        attribution: container.dataset.attribution
      }).addTo(map);
    }
    if (layer) { layer.remove(); }
    layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { title: feature.properties.name, alt: feature.properties.name });
      },
      onEachFeature: function (feature, marker) {
        var p = feature.properties;
        marker.bindPopup(
          '<p><a href="' + encodeURI(p.url) + '">' + escapeHtml(p.name) + "</a></p>" +
          "<p>" + escapeHtml(p.address) + ", " + escapeHtml(p.postcode) + " " + escapeHtml(p.commune) + "</p>" +
          "<p>" + escapeHtml(p.status) + "</p>"
        );
      }
    }).addTo(map);
    if (data.features.length === 1) {
      var c = data.features[0].geometry.coordinates;
      map.setView([c[1], c[0]], parseInt(container.dataset.zoom || "15", 10));
    } else if (data.features.length > 1) {
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    } else {
      map.setView([45.76, 4.85], 11);
    }
  }

  function render() {
    var container = document.getElementById("carte");
    if (!container || typeof L === "undefined") {
      if (map) { map.remove(); map = null; layer = null; }
      return;
    }
    loadData(container).then(function (data) {
      // The results may have been swapped again while the data was on its way.
      if (document.getElementById("carte") === container) { draw(container, data); }
    }).catch(function (error) {
      if (error.name !== "AbortError") { container.classList.add("map-unavailable"); }
    });
  }

  // The results are swapped whole: a live region inside them would be replaced, not
  // updated, and screen readers would stay silent. This one outlives the swaps.
  function announceResults() {
    var title = document.getElementById("resultats-titre");
    var live = document.getElementById("resultats-annonce");
    if (title && live) { live.textContent = title.textContent.replace(/\s+/g, " ").trim(); }
  }

  document.addEventListener("DOMContentLoaded", render);
  document.body.addEventListener("htmx:afterSettle", render);
  document.body.addEventListener("htmx:afterSettle", announceResults);
})();
