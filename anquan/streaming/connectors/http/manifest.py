"""What this connector is: the protocol it speaks, the library it uses and whether it is pushed or polled."""

PROTOCOL = "http"
LIBRARY = "django-ninja"
MODE = "push"  # gateways POST to /api/v1/ingest; the stream drains the inbox (no coordinator)
