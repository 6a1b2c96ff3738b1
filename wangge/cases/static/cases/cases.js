// Case pages: pick the place of a report by tapping the grid map, and show a case's point.
(function () {
  "use strict";
  function setupReport(form) {
    var el = document.getElementById("map");
    var out = document.getElementById("place-result");
    var text = window.WANGGE_TEXT || {};
    var map = el && el.wanggeMap;
    var marker = null;
    function pick(latlng) {
      form.lng.value = latlng.lng.toFixed(6);
      form.lat.value = latlng.lat.toFixed(6);
      if (map) {
        if (marker) { map.removeLayer(marker); }
        marker = L.circleMarker(latlng, { radius: 8, color: "#c0392b", fillOpacity: 0.6 }).addTo(map);
      }
      out.textContent = text.picked + "：" + form.lng.value + ", " + form.lat.value;
      var url = form.dataset.locateUrl + "?lng=" + form.lng.value + "&lat=" + form.lat.value + "&crs=wgs84";
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          out.textContent = text.picked + "：" + form.lng.value + ", " + form.lat.value + " · " +
            (body.found ? text.found + " " + body.grid_name : text.none);
          out.dataset.grid = body.found ? body.grid_code : "";
        });
    }
    if (map) {
      el.wanggeOnClick = pick;
      map.on("click", function (e) { if (!e.originalEvent || !e.originalEvent.wanggeHandled) { pick(e.latlng); } });
    }
  }

  function drawPoint(el) {
    var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
    var map = L.map(el, { zoomSnap: 0.25 }).setView([lat, lng], 16);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    L.circle([lat, lng], { radius: 30, color: "#c0392b", fillOpacity: 0.15 }).addTo(map);
    L.circleMarker([lat, lng], { radius: 7, color: "#c0392b", fillOpacity: 0.8 }).addTo(map);
    el.dataset.loaded = "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("report-form");
    if (form) { setupReport(form); }
    var point = document.getElementById("case-map");
    if (point) { drawPoint(point); }
  });
})();
