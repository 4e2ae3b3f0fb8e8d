"""Django function views rendering the recipe site's templates."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from recipes.models import Cuisine, Recipe


@require_GET
def recipe_index(request):
    recipes = Recipe.objects.filter(published=True).select_related("author").order_by("-published_at")
    page = Paginator(recipes, 24).get_page(request.GET.get("page"))
    return render(request, "recipes/index.html", {"page": page})


@require_GET
def cuisine_page(request, slug):
    cuisine = get_object_or_404(Cuisine, slug=slug)
    recipes = Recipe.objects.filter(cuisine=cuisine, published=True).select_related("author")
    return render(request, "recipes/cuisine.html", {"cuisine": cuisine, "recipes": recipes})  # expect: RB501


@require_GET
def cuisine_menu(request):
    cuisines = Cuisine.objects.annotate(recipe_count=Count("recipes")).order_by("-recipe_count")[:30]
    return render(request, "recipes/menu.html", {"cuisines": cuisines})


@require_GET
def recipe_detail(request, slug):
    recipe = get_object_or_404(Recipe.objects.select_related("author", "cuisine"), slug=slug, published=True)
    similar = Recipe.objects.filter(cuisine=recipe.cuisine, published=True).exclude(pk=recipe.pk)[:6]
    return render(request, "recipes/detail.html", {"recipe": recipe, "similar": similar})


@require_GET
def author_recipes(request, username):
    recipes = Recipe.objects.filter(author__username=username, published=True).order_by("title")
    titles = [recipe.title for recipe in recipes]  # expect: RB501
    return render(request, "recipes/author.html", {"username": username, "titles": titles})
