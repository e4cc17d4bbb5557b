"""The benchmark floor: the cheapest Django JSON response, measured in the same run.

Mounted only when TOUCHSTONE_BENCH=1 (see config/urls.py); every benchmark figure is a
ratio against it, so machine speed cancels out.
"""

from django.http import JsonResponse

FLOOR_PAYLOAD = {"status": "ok", "service": "touchstone"}


def floor(request):
    return JsonResponse(FLOOR_PAYLOAD)
