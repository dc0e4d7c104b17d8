// The field timeline's step chart (uPlot, vendored). Reads the points from the page's
// data-chart attribute; a click on the chart opens the revision under the cursor.
"use strict";

function drawTimeline(element) {
  const points = JSON.parse(element.dataset.chart);
  const run = element.dataset.run;
  const label = (index) => points.labels[index];
  const categoryAxis = (_u, ticks) => ticks.map((t) => points.categories[t] ?? "");
  const options = {
    width: Math.max(320, element.clientWidth),
    height: 320,
    scales: { x: { time: false }, y: points.numeric ? {} : { range: [-0.5, points.categories.length - 0.5] } },
    axes: [
      { label: "revision" },
      points.numeric
        ? { size: 80, values: (_u, ticks) => ticks.map((t) => String(Number(t.toPrecision(3)))) }
        : { size: 120, splits: () => points.categories.map((_c, i) => i), values: categoryAxis },
    ],
    series: [
      { label: "revision" },
      {
        label: element.dataset.path || "value",
        stroke: "#2563eb",
        width: 2,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: true, size: 7, fill: "#2563eb" },
        value: (_u, _v, _s, index) => (index == null ? "" : label(index)),
      },
    ],
    hooks: {
      draw: [(u) => { element.dataset.points = String(u.data[0].length); }],
    },
  };
  const chart = new uPlot(options, [points.revisions, points.y], element);
  chart.over.addEventListener("click", () => {
    const index = chart.cursor.idx;
    if (index != null) {
      window.location.href = `/runs/${encodeURIComponent(run)}/revisions/${points.revisions[index]}`;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("chart");
  if (element) {
    drawTimeline(element);
  }
});
