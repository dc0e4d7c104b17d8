// The field timeline's step chart (uPlot, vendored). Reads the points from the page's
// data-chart attribute; a click on the chart opens the revision under the cursor. The
// controls switch the x axis between revisions and time, and the y axis between linear and
// logarithmic (offered for positive numbers; chosen first when they span two decades).
"use strict";

const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];
const LABELLED = 40; // states are written beside their points up to this many points

function short(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function xAxis(byTime) {
  if (byTime) {
    return { label: "time (UTC)" };
  }
  return { label: "revision", incrs: INTEGER_STEPS, values: (_u, ticks) => ticks.map((t) => String(t)) };
}

function yAxis(points, log) {
  if (points.numeric) {
    // a log axis marks and labels its decades only (1e-6, 1e-5, …)
    const decades = (_u, splits) => splits.map((s) => (Number.isInteger(Math.round(Math.log10(s) * 1e6) / 1e6) ? s : null));
    const marks = log ? { filter: decades, grid: { filter: decades }, ticks: { filter: decades } } : {};
    return { size: 70, values: (_u, ticks) => ticks.map(number), ...marks };
  }
  const longest = Math.max(...points.categories.map((c) => Math.min(c.length, 24)));
  return {
    size: Math.max(60, 16 + 7 * longest),
    splits: () => points.categories.map((_c, i) => i),
    values: (_u, ticks) => ticks.map((t) => short(points.categories[t] ?? "", 24)),
  };
}

function yScale(points, log) {
  if (!points.numeric) {
    return { range: [-0.5, points.categories.length - 0.5] };
  }
  return log ? { distr: 3, log: 10 } : {};
}

function drawStates(u, points) {
  // each state's label above the middle of the segment it holds (categories only: numbers
  // have their axis)
  if (points.numeric || points.labels.length > LABELLED) {
    return;
  }
  const ctx = u.ctx;
  const at = (i) => u.valToPos(u.data[0][i], "x", true);
  ctx.save();
  ctx.font = `${Math.round(12 * devicePixelRatio)}px system-ui, sans-serif`;
  ctx.fillStyle = "#1f2937";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  const last = points.labels.length - 1;
  points.labels.forEach((label, i) => {
    if (i > 0 && label === points.labels[i - 1]) {
      return;
    }
    let end = i;
    while (end < last && (end === i || points.labels[end] === label)) {
      end += 1;
    }
    const x = end === i ? at(i) - 30 * devicePixelRatio : (at(i) + at(end)) / 2;
    const y = u.valToPos(u.data[1][i], "y", true) - 4 * devicePixelRatio;
    ctx.fillText(short(label, 32), x, y);
  });
  ctx.restore();
}

function number(t) {
  // a tick as people write it: 0.0003, 1e-6
  if (t == null) {
    return "";
  }
  const small = t !== 0 && (Math.abs(t) < 1e-3 || Math.abs(t) >= 1e6);
  return small ? Number(t.toPrecision(3)).toExponential().replace("e+", "e") : String(Number(t.toPrecision(3)));
}

function drawTimeline(element, byTime, log) {
  const points = JSON.parse(element.dataset.chart);
  const run = element.dataset.run;
  const xs = byTime ? points.times.map((t) => Date.parse(t) / 1000) : points.revisions;
  const options = {
    width: Math.max(320, element.clientWidth),
    height: 320,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
    scales: { x: { time: byTime }, y: yScale(points, log) },
    axes: [xAxis(byTime), yAxis(points, log)],
    series: [
      { label: byTime ? "time" : "revision", value: (_u, _v, _s, index) => (index == null ? "" : `revision ${points.revisions[index]}`) },
      {
        label: element.dataset.path || "value",
        stroke: "#2563eb",
        width: 2,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: true, size: 7, fill: "#2563eb" },
        value: (_u, _v, _s, index) => (index == null ? "" : points.labels[index]),
      },
    ],
    hooks: {
      draw: [
        (u) => {
          drawStates(u, points);
          element.dataset.points = String(u.data[0].length);
          element.dataset.axis = `${byTime ? "time" : "revision"} ${log ? "log" : "linear"}`;
        },
      ],
    },
  };
  const chart = new uPlot(options, [xs, points.y], element);
  chart.over.addEventListener("click", () => {
    const index = chart.cursor.idx;
    if (index != null) {
      window.location.href = `/runs/${encodeURIComponent(run)}/revisions/${points.revisions[index]}`;
    }
  });
  return chart;
}

document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("chart");
  if (!element) {
    return;
  }
  const points = JSON.parse(element.dataset.chart);
  const controls = document.getElementById("chart-controls");
  const xSelect = controls.querySelector("select[name=x]");
  const ySelect = controls.querySelector("select[name=y]");
  ySelect.value = points.log ? "log" : "linear";
  ySelect.parentElement.hidden = !points.log_offered;
  controls.hidden = false;
  let chart = null;
  const redraw = () => {
    if (chart) {
      chart.destroy();
    }
    chart = drawTimeline(element, xSelect.value === "time", ySelect.value === "log" && points.log_offered);
  };
  xSelect.addEventListener("change", redraw);
  ySelect.addEventListener("change", redraw);
  redraw();
});
