"""Chinese first: pages are in zh-hans unless the person chose English.

A person's choice is the language cookie, set by the language switch and at login from their
preference. The browser's Accept-Language is not a choice (a headless or English-configured browser
would otherwise flip a Chinese plant's screens), so pages ignore it. API clients state what they
want, so the API honours Accept-Language.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
