import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.catalog import selectors, services
from jianfu.catalog.duplicates import suggest_duplicates
from jianfu.catalog.exports import FORMATS, export_bytes, export_filename
from jianfu.catalog.forms import (
    ImportUploadForm,
    ItemForm,
    ListCreateForm,
    MergeForm,
    MoveForm,
    PublishForm,
    ReasonForm,
    SplitForm,
    VersionStartForm,
)
from jianfu.catalog.imports import LIST_COLUMNS
from jianfu.catalog.jobs import list_import_confirm, list_import_remap, list_import_start
from jianfu.catalog.models import (
    CatalogList,
    ChangeType,
    Item,
    ListKind,
    ListLevel,
    PowerType,
)
from jianfu.core.db_router import reads_from_replica
from jianfu.core.errors import DomainError
from jianfu.core.http import content_disposition
from jianfu.core.models import BackgroundJob
from jianfu.core.paging import keyset_page
from jianfu.core.views import form_error
from jianfu.org.models import RegionLevel
from jianfu.org.selectors import regions_visible_to


def staff_or_public(view):
    """A staff page needs a login; the same view under /public/ reads as the public (no user).

    The view gets the reader: the signed-in user, or None on a public page even when someone
    is signed in, so a public page never shows a draft.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, public: bool = False, **kwargs) -> HttpResponse:
        if public:
            reader = None
        elif request.user.is_authenticated:
            reader = request.user
        else:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, reader=reader, public=public, **kwargs)

    return wrapped


def _list_or_404(reader, list_id: int):
    found = selectors.list_visible_to(user=reader, ref=list_id)
    if found is None:
        raise Http404
    return found


def _version_from(request: HttpRequest, reader, catalog_list, ref: str | None):
    as_of = request.GET.get("as_of")
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            messages.error(request, _("日期格式应为 YYYY-MM-DD。"))
        else:
            return selectors.version_as_of(catalog_list=catalog_list, day=day), day
    if ref:
        version = selectors.version_visible_to(user=reader, catalog_list=catalog_list, ref=ref)
        if version is None:
            raise Http404
        return version, None
    return selectors.working_version(user=reader, catalog_list=catalog_list), None


# Browsing ---------------------------------------------------------------------------------------


@reads_from_replica(only_public=True)
@staff_or_public
def list_index(request: HttpRequest, *, reader, public: bool) -> HttpResponse:
    lists = selectors.lists_visible_to(
        user=reader,
        kind=request.GET.get("kind") or None,
        level=request.GET.get("level") or None,
        region=request.GET.get("region") or None,
        query=request.GET.get("q", "").strip(),
    )
    # At province scale the lists of every district and department run into the thousands.
    page = keyset_page(
        request,
        selectors.with_current_version(lists),
        ordering=("region_id", "kind", "sort_key", "id"),
        size=100,
    )
    rows = [{"list": lst, "show_draft": selectors.can_see_drafts(reader, lst)} for lst in page]
    districts = (
        regions_visible_to(user=reader, level=RegionLevel.DISTRICT)
        if reader
        else selectors.districts_with_lists()
    )
    context = {
        "rows": rows,
        "page": page,
        "kinds": ListKind.choices,
        "levels": ListLevel.choices,
        "districts": districts,
        "filters": request.GET,
        "public": public,
        "can_create": reader is not None and reader.has_perm("catalog.edit_lists"),
    }
    return render(request, "catalog/list_index.html", context)


@reads_from_replica(only_public=True)
@staff_or_public
def list_detail(request: HttpRequest, list_id: int, *, reader, public: bool) -> HttpResponse:
    catalog_list = _list_or_404(reader, list_id)
    version, as_of = _version_from(request, reader, catalog_list, request.GET.get("version"))
    versions = list(selectors.versions_visible_to(user=reader, catalog_list=catalog_list))
    items = list(selectors.version_items(version)) if version else []
    previous = version.based_on if version and version.based_on in versions else None
    statistics = selectors.adjustment_statistics(
        catalog_lists=CatalogList.objects.filter(pk=catalog_list.pk)
    )
    can_see_drafts = selectors.can_see_drafts(reader, catalog_list)
    context = {
        "list": catalog_list,
        "version": version,
        "versions": versions,
        "as_of": as_of,
        "tree": selectors.item_tree(items),
        "previous": previous,
        "public": public,
        "can_edit": reader is not None and reader.has_perm("catalog.edit_list", catalog_list),
        "draft": selectors.draft_version(catalog_list) if can_see_drafts else None,
        "start_form": VersionStartForm(initial={"label": _next_label(versions)}),
        "formats": sorted(FORMATS),
        "statistics": _statistics_rows(statistics),
        "chart": _statistics_chart(statistics),
    }
    return render(request, "catalog/list_detail.html", context)


def _next_label(versions) -> str:
    years = [int(v.label[:4]) for v in versions if v.label[:4].isdigit()]
    return _("%(year)d版") % {"year": (max(years) + 1) if years else dt.date.today().year}


CHANGE_ORDER = [c.value for c in ChangeType]


def _statistics_rows(statistics) -> list[dict]:
    return [
        {
            "year": year,
            "counts": [counts.get(kind, 0) for kind in CHANGE_ORDER],
            "total": sum(counts.values()),
            "departments": statistics.by_department.get(year, {}).most_common(),
        }
        for year, counts in sorted(statistics.by_year.items(), reverse=True)
    ]


def _statistics_chart(statistics) -> dict:
    years = sorted(statistics.by_year)
    return {
        "categories": [str(y) for y in years],
        "series": [
            {
                "name": str(ChangeType(kind).label),
                "data": [statistics.by_year[y].get(kind, 0) for y in years],
            }
            for kind in CHANGE_ORDER
        ],
    }


@reads_from_replica(only_public=True)
@staff_or_public
def list_diff(request: HttpRequest, list_id: int, *, reader, public: bool) -> HttpResponse:
    catalog_list = _list_or_404(reader, list_id)
    versions = list(selectors.versions_visible_to(user=reader, catalog_list=catalog_list))
    if len(versions) < 2:
        messages.info(request, _("该清单只有一个版本，无可比较。"))
        return redirect(request.path.rsplit("diff/", 1)[0])
    before = selectors.version_visible_to(
        user=reader, catalog_list=catalog_list, ref=request.GET.get("from") or versions[1].pk
    )
    after = selectors.version_visible_to(
        user=reader, catalog_list=catalog_list, ref=request.GET.get("to") or versions[0].pk
    )
    if before is None or after is None:
        raise Http404
    diff = selectors.version_diff(before=before, after=after)
    after_names = {k: v["name"] for k, v in selectors.version_snapshot(after).items()}
    context = {
        "list": catalog_list,
        "versions": versions,
        "before": before,
        "after": after,
        "counts": diff.counts(),
        "added": [(k, v, diff.explained.get(k)) for k, v in diff.added.items()],
        "removed": [(k, v, diff.explained.get(k)) for k, v in diff.removed.items()],
        "modified": [
            (k, after_names[k], [(_field_label(f), b, a) for f, (b, a) in changed.items()])
            for k, changed in diff.modified.items()
        ],
        "public": public,
    }
    return render(request, "catalog/list_diff.html", context)


def _field_label(name: str) -> str:
    if name == "parent_key":
        return _("上级事项")
    return str(Item._meta.get_field(name).verbose_name)


@reads_from_replica(only_public=True)
@staff_or_public
def list_export(
    request: HttpRequest, list_id: int, version_id: int, fmt: str, *, reader, public: bool
) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    catalog_list = _list_or_404(reader, list_id)
    version = selectors.version_visible_to(user=reader, catalog_list=catalog_list, ref=version_id)
    if version is None:
        raise Http404
    response = HttpResponse(export_bytes(version, fmt), content_type=FORMATS[fmt])
    filename = export_filename(version, fmt)
    response["Content-Disposition"] = content_disposition(filename)
    return response


@login_required
def item_detail(request: HttpRequest, list_id: int, key: str) -> HttpResponse:
    catalog_list = _list_or_404(request.user, list_id)
    version, _day = _version_from(request, request.user, catalog_list, request.GET.get("version"))
    if version is None:
        raise Http404
    item = version.items.filter(key=key).first()
    history = selectors.item_history(user=request.user, catalog_list=catalog_list, key=key)
    if item is None and not history:
        raise Http404
    editable = (
        item is not None
        and version.is_draft
        and request.user.has_perm("catalog.edit_list", catalog_list)
    )
    context = {
        "list": catalog_list,
        "version": version,
        "item": item,
        "parent": version.items.filter(key=item.parent_key).first() if item else None,
        "children": selectors.item_tree(list(version.items.filter(parent_key=item.key)))
        if item
        else [],
        "history": history,
        "editable": editable,
    }
    if editable:
        targets = selectors.move_targets(user=request.user, catalog_list=catalog_list)
        context |= {
            "edit_form": ItemForm(initial=item.editable_values()),
            "child_form": ItemForm(prefix="child"),
            "cancel_form": ReasonForm(prefix="cancel"),
            "split_form": SplitForm(prefix="split"),
            "move_form": MoveForm(prefix="move", targets=targets) if targets else None,
        }
    return render(request, "catalog/item_detail.html", context)


# Editing a draft --------------------------------------------------------------------------------


def _editable_draft(request: HttpRequest, list_id: int):
    catalog_list = _list_or_404(request.user, list_id)
    if not request.user.has_perm("catalog.edit_list", catalog_list):
        raise PermissionDenied
    draft = selectors.draft_version(catalog_list)
    if draft is None:
        raise Http404
    return catalog_list, draft


@login_required
@require_POST
def version_new(request: HttpRequest, list_id: int) -> HttpResponse:
    catalog_list = _list_or_404(request.user, list_id)
    if not request.user.has_perm("catalog.edit_list", catalog_list):
        raise PermissionDenied
    form = VersionStartForm(request.POST)
    if form.is_valid():
        try:
            services.version_start(
                actor=request.user, catalog_list=catalog_list, label=form.cleaned_data["label"]
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("已新建草稿版本，可在草稿中调整事项。"))
            return redirect("catalog_draft", list_id=catalog_list.pk)
    return redirect("catalog_list", list_id=catalog_list.pk)


@login_required
@require_http_methods(["GET", "POST"])
def draft_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    catalog_list, draft = _editable_draft(request, list_id)
    action = request.POST.get("action")
    add_form = ItemForm(request.POST if action == "add" else None, prefix="add")
    publish_form = PublishForm(
        request.POST if action == "publish" else None, initial={"valid_from": dt.date.today()}
    )
    merge_form = MergeForm(request.POST if action == "merge" else None, prefix="merge")
    if request.method == "POST":
        try:
            if action == "add" and add_form.is_valid():
                services.item_add(
                    actor=request.user,
                    version=draft,
                    values=add_form.values(),
                    reason=add_form.cleaned_data["reason"],
                )
                messages.success(request, _("已新增事项。"))
                return redirect("catalog_draft", list_id=list_id)
            if action == "publish" and publish_form.is_valid():
                services.version_publish(
                    actor=request.user, version=draft, **publish_form.cleaned_data
                )
                messages.success(request, _("%(label)s 已发布。") % {"label": draft.label})
                return redirect("catalog_list", list_id=list_id)
            if action == "merge" and merge_form.is_valid():
                keys = request.POST.getlist("pick")
                found = selectors.items_in(draft, [*keys, merge_form.cleaned_data["target"]])
                target = found.get(merge_form.cleaned_data["target"])
                if target is None:
                    raise Http404
                services.item_merge(
                    actor=request.user,
                    target=target,
                    sources=[found[k] for k in keys if k in found],
                    reason=merge_form.cleaned_data["reason"],
                )
                messages.success(request, _("已合并。"))
                return redirect("catalog_draft", list_id=list_id)
            if action == "discard":
                services.version_discard(actor=request.user, version=draft)
                messages.success(request, _("草稿已删除。"))
                return redirect("catalog_list", list_id=list_id)
        except DomainError as error:
            form = {"add": add_form, "publish": publish_form, "merge": merge_form}.get(action)
            if form is not None:
                form_error(form, error)
            else:
                messages.error(request, str(error.message))
    items = list(selectors.version_items(draft))
    changes = draft.changes.select_related("actor", "related_list").order_by("-id")
    context = {
        "list": catalog_list,
        "draft": draft,
        "tree": selectors.item_tree(items),
        "changes": keyset_page(request, changes, ordering=("-id",), size=30),
        "add_form": add_form,
        "publish_form": publish_form,
        "merge_form": merge_form,
        "merge_keys": request.GET.get("merge", ""),
    }
    return render(request, "catalog/draft.html", context)


@login_required
@require_POST
def item_change(request: HttpRequest, list_id: int, key: str) -> HttpResponse:
    catalog_list, draft = _editable_draft(request, list_id)
    item = get_object_or_404(Item, version=draft, key=key)
    action = request.POST.get("action")
    forms = {
        "edit": ItemForm(request.POST),
        "child": ItemForm(request.POST, prefix="child"),
        "cancel": ReasonForm(request.POST, prefix="cancel"),
        "split": SplitForm(request.POST, prefix="split"),
    }
    if action == "move":
        targets = selectors.move_targets(user=request.user, catalog_list=catalog_list)
        forms["move"] = MoveForm(request.POST, prefix="move", targets=targets)
    form = forms.get(action)
    if form is None or not form.is_valid():
        messages.error(request, _("请检查填写内容：%(errors)s") % {"errors": _errors(form)})
        return redirect("catalog_item", list_id=list_id, key=key)
    reason = form.cleaned_data["reason"]
    try:
        if action == "edit":
            services.item_edit(actor=request.user, item=item, values=form.values(), reason=reason)
        elif action == "child":
            child = services.item_add(
                actor=request.user, version=draft, values=form.values(), reason=reason, parent=item
            )
            return redirect("catalog_item", list_id=list_id, key=child.key)
        elif action == "cancel":
            count = services.item_cancel(actor=request.user, item=item, reason=reason)
            messages.success(request, _("已取消 %(n)d 项。") % {"n": count})
            return redirect("catalog_draft", list_id=list_id)
        elif action == "split":
            parts = [{"name": name} for name in form.part_names()]
            services.item_split(actor=request.user, item=item, parts=parts, reason=reason)
            messages.success(request, _("已拆分。"))
            return redirect("catalog_draft", list_id=list_id)
        elif action == "move":
            to_list = selectors.list_visible_to(user=request.user, ref=form.cleaned_data["to_list"])
            if to_list is None:
                raise Http404
            services.item_move(actor=request.user, item=item, to_list=to_list, reason=reason)
            messages.success(request, _("已移至 %(name)s。") % {"name": to_list.name})
            return redirect("catalog_draft", list_id=list_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已保存。"))
    return redirect("catalog_item", list_id=list_id, key=key)


def _errors(form) -> str:
    if form is None:
        return _("未知操作")
    return "；".join(f"{e}" for errors in form.errors.values() for e in errors)


@login_required
@require_http_methods(["GET", "POST"])
def draft_import(request: HttpRequest, list_id: int) -> HttpResponse:
    catalog_list, draft = _editable_draft(request, list_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = list_import_start(
                actor=request.user,
                catalog_list=catalog_list,
                data=upload.read(),
                filename=upload.name,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect("job_detail", job_id=job.pk)
    context = {"list": catalog_list, "draft": draft, "form": form, "columns": LIST_COLUMNS}
    return render(request, "catalog/import.html", context)


def _own_preview(request: HttpRequest, job_id) -> BackgroundJob:
    return get_object_or_404(BackgroundJob, pk=job_id, owner=request.user, kind="list_import")


@login_required
@require_POST
def import_confirm(request: HttpRequest, job_id) -> HttpResponse:
    try:
        job = list_import_confirm(actor=request.user, preview=_own_preview(request, job_id))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("job_detail", job_id=job_id)
    return redirect("job_detail", job_id=job.pk)


@login_required
@require_POST
def import_remap(request: HttpRequest, job_id) -> HttpResponse:
    preview = _own_preview(request, job_id)
    headers = preview.result.get("file_headers") or list(preview.result.get("headers", {}))
    mapping = {
        header: request.POST.get(f"map-{index}", "")
        for index, header in enumerate(headers)
        if request.POST.get(f"map-{index}", "") in LIST_COLUMNS
    }
    try:
        job = list_import_remap(actor=request.user, preview=preview, mapping=mapping)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("job_detail", job_id=job_id)
    return redirect("job_detail", job_id=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def list_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("catalog.edit_lists"):
        raise PermissionDenied
    regions = [
        r
        for r in regions_visible_to(user=request.user).exclude(level=RegionLevel.COMMUNITY)
        if request.user.has_perm("catalog.edit_list", r)
    ][:500]
    form = ListCreateForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = next(r for r in regions if r.code == data["region"])
        try:
            created = services.list_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                level=data["level"],
                region=region,
                code=data["code"],
                code_pattern=data["code_pattern"],
                first_label=data["first_label"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("清单已建立，请在草稿中添加或导入事项。"))
            return redirect("catalog_draft", list_id=created.pk)
    return render(request, "catalog/list_new.html", {"form": form})


# Search and duplicates --------------------------------------------------------------------------


@login_required
def item_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = None
    if query or request.GET.get("department"):
        results = selectors.items_search(
            user=request.user,
            query=query,
            list_id=int(request.GET["list"]) if request.GET.get("list", "").isdigit() else None,
            kind=request.GET.get("kind") or None,
            power_type=request.GET.get("power_type") or None,
            department=request.GET.get("department", "").strip() or None,
        )
        # The ranked order when there is a query, the lists' own order otherwise.
        ordering = (
            ("rank", "name_length", "id") if query else ("version__list_id", "position", "id")
        )
        results = keyset_page(request, results, ordering=ordering, size=50, count=True)
    context = {
        "query": query,
        "results": results,
        "filters": request.GET,
        "kinds": ListKind.choices,
        "power_types": PowerType.choices,
        "lists": selectors.lists_visible_to(user=request.user),
    }
    return render(request, "catalog/search.html", context)


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("catalog.edit_lists"):
        raise PermissionDenied
    districts = list(regions_visible_to(user=request.user, level=RegionLevel.DISTRICT))
    if not districts and request.user.unit and request.user.unit.region:
        districts = [request.user.unit.region]
    chosen = request.GET.get("district") or (districts[0].district_code if districts else "")
    items = selectors.duplicate_candidates(user=request.user, district_code=chosen or "")
    suggestions = suggest_duplicates(items)
    context = {
        "districts": districts,
        "chosen": chosen,
        "suggestions": suggestions,
        "item_count": len(items),
    }
    return render(request, "catalog/duplicates.html", context)
