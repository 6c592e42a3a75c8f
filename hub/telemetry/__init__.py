"""What the hub tells its operators: structured logs (`logs`), Prometheus metrics (`metrics`) and
OpenTelemetry traces (`traces`). A layer of its own below the data layer, so that the reads and the
audit trail can report what they do; it imports nothing else of the hub."""
