"""Storefront pages: thin views over selectors; nothing here sets a cookie (C7.4, C2.6).

Home, category, product and search pages are served from the page cache for anonymous
visitors (lookout.catalog.cache: per consent state, without nonce or cart token).

No view uses sessions, messages or `{% csrf_token %}`, because each of those would set a
cookie; the pages are GET only, and the cart is carried in the URL (see lookout.cart).
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from lookout.catalog import photos, selectors
from lookout.catalog.cache import cached_page
from lookout.catalog.images import product_svg
from lookout.catalog.models import Category, Product
from lookout.catalog.search import MAX_PAGE, MAX_QUERY_LENGTH, search_products


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_safe
@cached_page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/home.html", selectors.home_sections())


@require_safe
@cached_page(params=[*selectors.BrowseFilters.base_fields, "page"])
def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    options = selectors.category_options(category=category)  # the panel's "Colour: Black"
    form = selectors.BrowseFilters(request.GET, options=options)
    status = 200
    if form.is_valid():
        products = selectors.category_products(category=category, filters=form.cleaned_data)
    else:
        # A hand-edited query string: say what was wrong and show the unfiltered list.
        status = 400
        products = selectors.category_products(category=category, filters={})
    page = Paginator(products, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "category": category,
        "categories": Category.objects.all(),
        "form": form,
        "page": page,
        "products": page.object_list,
    }
    template = "catalog/_results.html" if _htmx(request) else "catalog/category.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@cached_page(params=["variant"])
def product(request: HttpRequest, slug: str) -> HttpResponse:
    """A product's page; with variants, the one chosen by `?variant=SKU` (a link per variant,
    so choosing works without JavaScript, and each variant's page is cached on its own)."""
    item = get_object_or_404(
        Product.objects.select_related("category", "parent").prefetch_related("photos"),
        slug=slug,
    )
    if item.is_variant:  # a variant's own slug: its page is the parent's, with it chosen
        return HttpResponsePermanentRedirect(item.get_absolute_url())
    status, notice = 200, ""
    try:
        page = selectors.product_page(product=item, variant=request.GET.get("variant"))
    except selectors.NoSuchVariant:  # an old or edited link: say so, show the others (no cache)
        status, notice = 404, f"The {item.name} has no variant with that SKU (any more)."
        page = selectors.product_page(product=item, variant=None)
    photos_, variants = Prefetch("photos"), selectors.variants_for_cards()  # one query a list
    context = {
        "product": item,
        "notice": notice,
        "offer": page.offer,
        "variants": page.variants,
        "option_names": page.option_names,
        "photos": photos.gallery(item.photos.all(), offer=page.offer),  # the variant's first
        "works_with": item.works_with.select_related("category").prefetch_related(
            photos_, variants
        ),
        "accessories": item.accessories.select_related("category").prefetch_related(
            photos_, variants
        ),
        "related": selectors.listed()
        .filter(category=item.category)
        .exclude(pk=item.pk)
        .select_related("category")
        .prefetch_related(photos_, variants)[:4],
    }
    return render(request, "catalog/product.html", context, status=status)


@require_safe
@cached_page(params=["q", "page"])
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page_text = request.GET.get("page", "1")
    error = ""
    if len(query) > MAX_QUERY_LENGTH:
        error = f"Please search with at most {MAX_QUERY_LENGTH} characters."
    elif not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
        error = f"The page must be a whole number from 1 to {MAX_PAGE}."
    if error:
        return render(request, "catalog/search.html", {"query": "", "error": error}, status=400)
    result = search_products(query=query, page=int(page_text)) if query.strip() else None
    if result is not None:  # the cards' photos and variants, one query each
        prefetch_related_objects(result.products, "photos", selectors.variants_for_cards())
    return render(request, "catalog/search.html", {"query": query, "result": result})


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    skus = request.GET.getlist("sku")
    error = ""
    if len(set(skus)) > selectors.MAX_COMPARE:
        # Ticking one box too many is no bad request: answer the first ones and say so.
        error = (
            f"You can compare up to {selectors.MAX_COMPARE} products at a time, so we show the "
            f"first {selectors.MAX_COMPARE} you ticked."
        )
    products = selectors.products_by_sku(skus=skus)
    comparison = selectors.compare(products=products)
    context = {
        "comparison": comparison,
        "error": error,
        "max": selectors.MAX_COMPARE,
        "photos": photos.first_photos(products),  # one query for the table's thumbnails
    }
    return render(request, "catalog/compare.html", context)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask /favicon.ico for pages that name no icon (a JSON answer, an image)."""
    response = HttpResponsePermanentRedirect(static("lookout/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


@require_safe
def image(request: HttpRequest, sku: str) -> HttpResponse:
    item = Product.objects.filter(sku=sku).select_related("category").first()
    if item is None:
        raise Http404("No such product")
    svg = product_svg(category_slug=item.category.slug, hue=item.hue, label=item.name)
    response = HttpResponse(svg, content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=86400)
    return response


@require_safe
def photo_file(request: HttpRequest, name: str) -> FileResponse:
    """A stored photo rendition. Its name is the hash of its bytes, so it never changes: any
    cache may keep it for a year without asking again (`photos.CACHE_CONTROL`)."""
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404("No such photo") from error
    response = FileResponse(handle, content_type=photos.CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response["Cache-Control"] = photos.CACHE_CONTROL
    return response
