import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anquan.config.settings")
django_application = get_asgi_application()

from anquan.streaming.ingest_asgi import with_fast_ingest  # noqa: E402  (needs Django set up)

application = with_fast_ingest(django_application)

# Modules and settings loaded at start-up live as long as the process: keep them out of the
# collector's full passes (which otherwise pause every request and console feed for tens of ms).
gc.collect()
gc.freeze()
