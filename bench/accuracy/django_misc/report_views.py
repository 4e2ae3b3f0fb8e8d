"""Django class-based views: sales reports for staff."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Sum
from django.utils import timezone
from django.views.generic import DetailView, ListView, TemplateView

from sales.models import Region, SalesRep, Sale


class SaleListView(LoginRequiredMixin, ListView):
    model = Sale
    paginate_by = 50
    template_name = "reports/sales.html"

    def get_queryset(self):
        return Sale.objects.select_related("rep", "region").order_by("-closed_at")


class RepListView(LoginRequiredMixin, ListView):  # expect: RB501
    model = SalesRep
    template_name = "reports/reps.html"
    context_object_name = "reps"

    def get_queryset(self):
        return SalesRep.objects.filter(active=True).order_by("last_name")


class RegionDetailView(LoginRequiredMixin, DetailView):
    model = Region
    slug_field = "code"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        totals = Sale.objects.filter(region=self.object, closed_at__gte=month_start).aggregate(
            revenue=Sum("amount"), deals=Count("id")
        )
        context.update(totals)
        context["top_reps"] = (
            SalesRep.objects.filter(sales__region=self.object)
            .annotate(revenue=Sum("sales__amount"))
            .order_by("-revenue")[:10]
        )
        return context


class QuarterSummaryView(LoginRequiredMixin, TemplateView):
    template_name = "reports/quarter.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_region = (
            Sale.objects.filter(closed_at__quarter=self.kwargs["quarter"], closed_at__year=self.kwargs["year"])
            .values("region__code")
            .annotate(revenue=Sum("amount"))
            .order_by("region__code")
        )
        context["rows"] = list(by_region)
        return context
