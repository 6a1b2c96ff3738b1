// Region maps: draw the grids of a region from the API, on a tile layer when one is configured
// and on the plain background otherwise (intranets often have no tile server).
(function () {
  "use strict";
  // Leaflet's zoom buttons carry English tooltips; say them in the page's language.
  if (window.L && L.Control && L.Control.Zoom) {
    var chinese = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
    L.Control.Zoom.prototype.options.zoomInTitle = chinese ? "放大" : "Zoom in";
    L.Control.Zoom.prototype.options.zoomOutTitle = chinese ? "缩小" : "Zoom out";
  }
  function drawMap(el) {
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var status = document.getElementById("map-status");
    var regionUrl = el.dataset.regionUrl;
    fetch(el.dataset.gridsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          style: function (f) {
            return { color: f.properties.current ? "#c0392b" : "#1f6feb", weight: f.properties.current ? 3 : 1.2,
                     fillOpacity: f.properties.current ? 0.25 : 0.08 };
          },
          onEachFeature: function (f, l) {
            var link = regionUrl.replace("000", f.properties.code);
            l.bindPopup('<a href="' + link + '">' + f.properties.name + "</a><br><code>" + f.properties.code + "</code>");
            l.bindTooltip(f.properties.name, { sticky: true });
            l.on("click", function (e) {
              if (el.wanggeOnClick) {
                if (e.originalEvent) { e.originalEvent.wanggeHandled = true; }
                el.wanggeOnClick(e.latlng);
              }
            });
          }
        }).addTo(map);
        el.dataset.loaded = String(collection.features.length);
        if (collection.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [10, 10] });
          if (status) { status.textContent = status.dataset.done.replace("{n}", collection.features.length); }
        } else {
          map.setView([28.87, 105.44], 11);
          if (status) { status.textContent = status.dataset.empty; }
        }
        el.wanggeLayer = layer;
      })
      .catch(function () { if (status) { status.textContent = "⚠"; } });
    el.wanggeMap = map;
    return map;
  }

  function setupLocate(form, map) {
    var out = document.getElementById("locate-result");
    var marker = null;
    function ask(lng, lat, crs) {
      var url = form.dataset.url + "?lng=" + encodeURIComponent(lng) + "&lat=" + encodeURIComponent(lat) + "&crs=" + crs;
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (pair) {
          var ok = pair[0], body = pair[1], text = window.WANGGE_TEXT;
          if (!ok) { out.textContent = text.error + "：" + (body.message || ""); return; }
          out.textContent = body.found ? text.found + "：" + body.grid_name + " (" + body.grid_code + ")" : text.none;
          if (map) {
            if (marker) { map.removeLayer(marker); }
            marker = L.circleMarker([body.wgs84[1], body.wgs84[0]], { radius: 7, color: "#c0392b" }).addTo(map);
          }
        });
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      ask(form.lng.value, form.lat.value, form.crs.value);
    });
    if (map) {
      // A tap on a grid reaches the grid's layer, a tap elsewhere the map: both ask.
      var onTap = function (latlng) {
        form.lng.value = latlng.lng.toFixed(6); form.lat.value = latlng.lat.toFixed(6); form.crs.value = "wgs84";
        ask(form.lng.value, form.lat.value, "wgs84");
      };
      map.getContainer().wanggeOnClick = onTap;
      map.on("click", function (e) { if (!e.originalEvent || !e.originalEvent.wanggeHandled) { onTap(e.latlng); } });
    }
  }


  // A form that takes a point (a case report, a deliberation proposal): a tap on the map fills its
  // hidden lng/lat fields and names the grid the point falls in.
  function setupPointPicker(form, map) {
    var out = document.getElementById("place-result");
    var text = window.WANGGE_TEXT || {};
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
      map.getContainer().wanggeOnClick = pick;
      map.on("click", function (e) { if (!e.originalEvent || !e.originalEvent.wanggeHandled) { pick(e.latlng); } });
    }
  }


  // A small map of one point (a case's or a matter's place).
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
    var el = document.getElementById("map");
    var map = el ? drawMap(el) : null;
    var form = document.getElementById("locate-form");
    if (form) { setupLocate(form, map); }
    var pointForm = document.querySelector("form[data-pick-point]");
    if (pointForm) { setupPointPicker(pointForm, map); }
    document.querySelectorAll("[data-point-map]").forEach(drawPoint);
  });
})();
