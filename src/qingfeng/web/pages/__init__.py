"""Page routers of the back office, one module per area."""
