"""The HTTP API of the job service (FastAPI, under /v1)."""
