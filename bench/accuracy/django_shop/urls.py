"""Django URL configuration of the shop."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from django.views.static import serve
from rest_framework.routers import DefaultRouter

from . import api, views

router = DefaultRouter()
router.register("orders", api.OrderViewSet, basename="order")
router.register("products", api.ProductViewSet, basename="product")

urlpatterns = [
    path("", views.order_list, name="orders"),
    path("account/", views.account_dashboard, name="dashboard"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    path("orders.csv", views.export_orders, name="orders-export"),
    path("c/<slug:slug>/", views.category_page, name="category"),
    path("p/<str:sku>/", views.product_page, name="product"),
    path("api/", include(router.urls)),
    path("api/invoices/export/", api.InvoiceExportView.as_view()),
    path("api/customers/", api.CustomerListView.as_view()),
    path("api/stats/", api.OrderStatsView.as_view()),
]

# Uploaded media is served by nginx in production; static() is a no-op unless DEBUG is on.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.DEBUG:
    urlpatterns += [
        re_path(r"^assets/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
    ]
