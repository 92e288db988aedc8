"""Public policy pages (C1.4, C8.1, C8.2) and the administrators' publishing page (C8.3, C8.4).

The public pages need no account and no personal data (C2.6).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lookout.access.roles import OTP_SESSION_KEY, Role
from lookout.inbox.models import Message
from lookout.policies import selectors, services
from lookout.policies.diff import compare
from lookout.policies.forms import PublishForm
from lookout.policies.models import Document, PolicyVersion
from lookout.policies.rendering import to_html


def _document(document: str) -> str:
    if not selectors.is_document(document):
        raise Http404("No such policy.")
    return document


def _version(document: str, number: int) -> PolicyVersion:
    found = selectors.version(document=_document(document), number=number)
    if found is None:
        raise Http404("No such version.")
    return found


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {
        "documents": Document.choices,
        "announcements": selectors.announcements(),
        **context,
    }
    return render(request, template, context, status=status)


@require_GET
def index_view(request: HttpRequest) -> HttpResponse:
    current = selectors.current_versions()
    rows = [(value, label, current.get(value)) for value, label in Document.choices]
    return _page(request, "policies/index.html", {"rows": rows})


@require_GET
def current_view(request: HttpRequest, document: str) -> HttpResponse:
    v = selectors.in_force(document=_document(document))
    if v is None:
        raise Http404("This policy has no version in force yet.")
    return _version_page(request, v)


@require_GET
def version_view(request: HttpRequest, document: str, number: int) -> HttpResponse:
    return _version_page(request, _version(document, number))


def _version_page(request: HttpRequest, v: PolicyVersion) -> HttpResponse:
    in_force = selectors.in_force(document=v.document)
    context = {
        "version": v,
        "html": to_html(v.text),
        "state": (
            "current"
            if in_force is not None and in_force.pk == v.pk
            else "upcoming"
            if in_force is None or v.number > in_force.number
            else "past"
        ),
        "in_force": in_force,
        "previous": selectors.previous_of(v),
        "upcoming": selectors.upcoming(document=v.document),
    }
    return _page(request, "policies/version.html", context)


@require_GET
def archive_view(request: HttpRequest, document: str) -> HttpResponse:
    document = _document(document)
    return _page(
        request,
        "policies/archive.html",
        {
            "document": document,
            "title": Document(document).label,
            "versions": selectors.versions_of(document=document),
            "in_force": selectors.in_force(document=document),
        },
    )


def _bad(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": "That comparison does not exist", "message": message},
        status=400,
    )


@require_GET
def changes_view(request: HttpRequest, document: str, number: int) -> HttpResponse:
    """Version `number` against the one before it; `?against=N` compares with any earlier one."""
    new = _version(document, number)
    against = request.GET.get("against")
    if against is None:
        old = selectors.previous_of(new)
    elif not against.isdigit() or int(against) >= new.number:
        return _bad(request, "Compare with an earlier version number, for example ?against=1.")
    else:
        old = selectors.version(document=new.document, number=int(against))
    if old is None:
        if against is None:
            return redirect("policies:version", document=new.document, number=new.number)
        raise Http404("No such version.")
    layout = request.GET.get("layout", "side")
    if layout not in ("side", "inline"):
        return _bad(request, "Choose the layout side or inline.")
    full = request.GET.get("full") == "1"
    context = {
        "old": old,
        "new": new,
        "comparison": compare(old.text, new.text, full=full),
        "new_in_force": new.in_force(),
        "layout": layout,
        "full": full,
        "earlier": selectors.versions_of(document=new.document).filter(number__lt=new.number),
    }
    return _page(request, "policies/changes.html", context)


def _may_manage(request: HttpRequest) -> bool:
    user = request.user
    return (
        user.is_authenticated
        and getattr(user, "role", "") == Role.ADMINISTRATOR
        and bool(request.session.get(OTP_SESSION_KEY))
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_view(request: HttpRequest) -> HttpResponse:
    if not _may_manage(request):
        return render(
            request,
            "core/error.html",
            {
                "title": "For administrators only",
                "message": "Publishing policies needs the administrator role and your second "
                "factor.",
            },
            status=403,
        )
    form = PublishForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                v = services.publish_version(
                    document=data["document"],
                    text=data["body"],
                    summary=data.get("summary") or "",
                    material=bool(data.get("material")),
                    effective_on=data.get("effective_on"),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except services.PolicyRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(
                    request,
                    f"{v} is posted; it takes effect on {v.effective_at:%Y-%m-%d %H:%M} UTC."
                    + (" Notices to every customer are on their way." if v.material else ""),
                )
                return redirect("policies:manage")
    rows = []
    for value, label in Document.choices:
        versions = list(selectors.versions_of(document=value)[:10])
        for v in versions:
            v.notices_sent = (  # type: ignore[attr-defined]
                Message.objects.filter(dedupe_key__startswith=f"policy:{v.id}:").count()
                if v.material
                else None
            )
        rows.append((label, versions))
    return _page(
        request,
        "policies/manage.html",
        {
            "form": form,
            "rows": rows,
            "notice_days": selectors.notice_days(),
            "earliest_material": services.earliest_material_date(),
        },
        status=status,
    )
