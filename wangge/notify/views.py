"""The inbox page. Marking read works with htmx (the item and the nav badge update in place) and
without it (plain form posts that come back to the inbox)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services

PAGE_SIZE = 30
MAX_ID = 2**63 - 1


def _checked(pk: int) -> int:
    if pk > MAX_ID:
        raise Http404
    return pk


@require_GET
@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.notification_list(user=request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "query": "unread=1" if unread_only else "",
            "notify_unread": selectors.unread_count(user=request.user),
        },
    )


@require_POST
@login_required
def mark_read(request, pk):
    notification = services.notification_mark_read(user=request.user, notification_id=_checked(pk))
    if request.headers.get("HX-Request"):
        return render(
            request,
            "notify/_read_one.html",
            {"n": notification, "unread": selectors.unread_count(user=request.user)},
        )
    return redirect("notify:inbox")


@require_POST
@login_required
def mark_all_read(request):
    services.notification_mark_all_read(user=request.user)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # every item on the page changed: simplest to reload it
        return response
    return redirect("notify:inbox")


@require_GET
@login_required
def open_notification(request, pk):
    """Follow a notification's link, marking it read on the way."""
    notification = services.notification_mark_read(user=request.user, notification_id=_checked(pk))
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(link)
    return redirect("notify:inbox")
