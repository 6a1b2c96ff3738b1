// Hot spots on a plain Leaflet map: one circle of the configured radius per hot spot.
(function () {
  "use strict";
  var el = document.getElementById("hotspot-map");
  var node = document.getElementById("hotspot-data");
  if (!el || !node || !window.L) { return; }
  // Leaflet's zoom buttons carry English tooltips; say them in the page's language.
  if (window.L && L.Control && L.Control.Zoom) {
    var chinese = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
    L.Control.Zoom.prototype.options.zoomInTitle = chinese ? "放大" : "Zoom in";
    L.Control.Zoom.prototype.options.zoomOutTitle = chinese ? "缩小" : "Zoom out";
  }
  var spots = JSON.parse(node.textContent);
  var radius = parseFloat(el.dataset.radius) || 200;
  var map = L.map(el, { preferCanvas: true });
  var group = L.featureGroup().addTo(map);
  spots.forEach(function (s) {
    var circle = L.circle([s.lat, s.lng], { radius: radius, color: "#c0392b", fillOpacity: 0.25 });
    var text = document.createElement("div");
    text.textContent = s.category + " · " + s.count + " · " + s.numbers.join(", ");
    circle.bindPopup(text);
    circle.addTo(group);
  });
  if (spots.length) { map.fitBounds(group.getBounds(), { padding: [20, 20] }); } else { map.setView([28.87, 105.44], 11); }
})();
