"""Run output and comparisons: report.json/summary.md/report.html writers, diff of two runs,
matrix of several targets, drift of recordings against the spec, and spec-diff.
May import: core, recordings (never net, suite or cli)."""
