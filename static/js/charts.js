// Draws every <canvas data-chart="id-of-json-script">: the data comes from a json_script
// element (no inline script), and an accessible table beside each chart carries the same numbers.
(function () {
  "use strict";
  var palette = ["#005ea2", "#00a91c", "#e5a000", "#8168b3", "#d83933", "#1a4480", "#538200", "#936f38",
                 "#0076d6", "#c05600", "#2e6276", "#b51d09", "#4d8055"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var horizontal = !!spec.horizontal;
    var colours = spec.labels.map(function (_, i) { return palette[i % palette.length]; });
    var dollars = spec.format === "usd";
    var full = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
    var compact = new Intl.NumberFormat("en-US", {
      style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1,
    });
    function valueTick(value) { return dollars ? compact.format(value) : value; }
    // Value axis: a few compact, unrotated ticks so they never collide; category axis: every
    // label, with room for each bar (the container grows with the number of bars).
    var valueAxis = { beginAtZero: true, ticks: { precision: 0, maxTicksLimit: 5, maxRotation: 0, callback: valueTick } };
    var categoryAxis = { ticks: { autoSkip: false, maxRotation: 0 } };
    if (horizontal && canvas.parentElement) {
      canvas.parentElement.classList.add("portal-chart--rows-" + Math.min(12, Math.max(2, spec.labels.length)));
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: [{ label: spec.axis || spec.title, data: spec.values, backgroundColor: colours }],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          title: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = horizontal ? item.parsed.x : item.parsed.y;
                return dollars ? full.format(value) : String(value);
              },
            },
          },
        },
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
