"""The back office: `create_app(settings)` (FastAPI), pages and the /api/v1 routers."""
