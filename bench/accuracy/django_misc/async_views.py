"""Django async views: account widgets served by the ASGI workers."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import JsonResponse

from billing.models import Invoice
from notifications.models import Notification


async def unread_count(request):
    count = await Notification.objects.filter(user_id=request.user.id, read=False).acount()
    return JsonResponse({"unread": count})


async def latest_notifications(request):
    items = []
    async for note in Notification.objects.filter(user_id=request.user.id).order_by("-created_at")[:20]:
        items.append({"id": note.id, "text": note.text, "read": note.read})
    return JsonResponse({"items": items})


async def open_invoices(request):
    invoices = Invoice.objects.filter(customer_id=request.user.id, paid=False)
    total = invoices.count()  # expect: RB201
    return JsonResponse({"open": total})


async def invoice_pdf_url(request, invoice_id: int):
    invoice = await Invoice.objects.aget(pk=invoice_id, customer_id=request.user.id)
    url = await sync_to_async(invoice.signed_pdf_url)(expires_in=300)
    return JsonResponse({"url": url})


async def mark_all_read(request):
    updated = await Notification.objects.filter(user_id=request.user.id, read=False).aupdate(read=True)
    return JsonResponse({"updated": updated})


async def last_invoice(request):
    invoice = Invoice.objects.filter(customer_id=request.user.id).order_by("-issued_at").first()  # expect: RB201
    if invoice is None:
        return JsonResponse({"invoice": None})
    return JsonResponse({"invoice": invoice.number})
