"""The site's URLs plus one page that shows an equipment's attachments panel (for the browser test)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import path

from anquan.config.urls import urlpatterns as site_urls
from anquan.plant.models import Equipment

PAGE = """{% extends "web/base.html" %}
{% block content %}<h1 class="h4">{{ equipment }}</h1>
{% include "attachments/_panel.html" with owner=equipment %}{% endblock %}"""


def equipment_page(request: HttpRequest, pk: int) -> HttpResponse:
    equipment = get_object_or_404(Equipment, pk=pk)
    return HttpResponse(engines["django"].from_string(PAGE).render({"equipment": equipment}, request))


urlpatterns = [path("test-attachments/equipment/<int:pk>/", equipment_page), *site_urls]
