// OIA Registry dashboard: enhancements only. Every page is complete without this file; it adds
// zoom and pan buttons to the world map and a tooltip naming the country under the pointer or focus.
(function () {
  "use strict";

  function setupMap(frame) {
    var svg = frame.querySelector("svg.world-map");
    if (!svg) { return; }
    var home = svg.getAttribute("viewBox").split(/\s+/).map(Number);
    var view = home.slice();

    function apply() { svg.setAttribute("viewBox", view.map(function (v) { return v.toFixed(1); }).join(" ")); }
    function zoom(factor, cx, cy) {
      var w = view[2] * factor, h = view[3] * factor;
      if (w > home[2]) { view = home.slice(); apply(); return; }
      if (w < home[2] / 16) { return; }
      cx = cx === undefined ? view[0] + view[2] / 2 : cx;
      cy = cy === undefined ? view[1] + view[3] / 2 : cy;
      view = [cx - (cx - view[0]) * factor, cy - (cy - view[1]) * factor, w, h];
      apply();
    }
    function button(text, label, onClick) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", onClick);
      return b;
    }

    var tools = document.createElement("div");
    tools.className = "map-tools";
    tools.appendChild(button("+", "Zoom in on the map", function () { zoom(0.5); }));
    tools.appendChild(button("−", "Zoom out", function () { zoom(2); }));
    tools.appendChild(button("Reset", "Show the whole world", function () { view = home.slice(); apply(); }));
    frame.appendChild(tools);

    // Drag to pan when zoomed in.
    var drag = null;
    svg.addEventListener("pointerdown", function (e) {
      if (view[2] >= home[2]) { return; }
      drag = { x: e.clientX, y: e.clientY, start: view.slice(), moved: false };
    });
    window.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      var scale = view[2] / svg.getBoundingClientRect().width;
      var dx = (e.clientX - drag.x) * scale, dy = (e.clientY - drag.y) * scale;
      if (Math.abs(dx) + Math.abs(dy) > 2 * scale) { drag.moved = true; svg.classList.add("grabbing"); }
      view = [drag.start[0] - dx, drag.start[1] - dy, view[2], view[3]];
      apply();
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) {
        // A drag is not a click on the country where it ended.
        svg.addEventListener("click", function block(ev) { ev.preventDefault(); svg.removeEventListener("click", block, true); }, true);
      }
      drag = null;
      svg.classList.remove("grabbing");
    });

    // Tooltip: the link's accessible name, beside the pointer or the focused country. It replaces
    // the native <title> tooltips (kept for pages without this script), which would show as well.
    svg.querySelectorAll("a.country > title").forEach(function (t) { t.remove(); });
    var tip = document.createElement("div");
    tip.className = "map-tip";
    tip.hidden = true;
    tip.setAttribute("aria-hidden", "true");
    frame.appendChild(tip);
    function show(link, x, y) {
      var box = frame.getBoundingClientRect();
      tip.textContent = link.getAttribute("aria-label");
      tip.hidden = false;
      tip.style.left = Math.min(x - box.left + 12, box.width - tip.offsetWidth - 4) + "px";
      tip.style.top = Math.max(y - box.top - 32, 4) + "px";
    }
    function linkOf(node) { return node && node.closest ? node.closest("a.country") : null; }
    svg.addEventListener("pointermove", function (e) {
      var link = linkOf(e.target);
      if (link) { show(link, e.clientX, e.clientY); } else { tip.hidden = true; }
    });
    svg.addEventListener("pointerleave", function () { tip.hidden = true; });
    svg.addEventListener("focusin", function (e) {
      var link = linkOf(e.target);
      if (!link) { return; }
      var r = link.getBoundingClientRect();
      show(link, r.left + r.width / 2, r.top);
    });
    svg.addEventListener("focusout", function () { tip.hidden = true; });
  }

  document.querySelectorAll("[data-zoomable]").forEach(setupMap);
})();
