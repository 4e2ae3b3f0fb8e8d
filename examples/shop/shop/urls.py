from django.urls import path

from shop import views

urlpatterns = [
    path("orders/<int:order_id>/", views.order_detail),
    path("orders/dashboard/", views.order_dashboard),
    path("orders/refresh-tracking/", views.refresh_tracking),
    path("products/", views.product_list),
    path("products/import/", views.import_prices),
]
