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
        plugins: { legend: { display: false }, title: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
