"""HTTP batch endpoint: gateways POST readings with a per-connector key (``streaming/ingest_api.py``);
the stream's inbox drainer (``streaming/runtime.py``) hands them to the pipeline."""
