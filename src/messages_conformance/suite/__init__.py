"""What the pytest suites run on: the plugin (options, markers, fixtures), the per-case harness,
the casebook that turns cases into report records, the Schemathesis glue and hooks, and the
live progress display. May import: core, net, recordings, reports."""
