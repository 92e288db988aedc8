"""The category list for the site navigation, available on every page that extends base.html."""

from django import template

from lookout.catalog.models import Category

register = template.Library()


@register.simple_tag
def nav_categories() -> list[Category]:
    return list(Category.objects.only("slug", "name"))
