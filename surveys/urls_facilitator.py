"""The facilitator's pages, mounted at ``/facilitate/`` with the namespace ``facilitator`` (staff only)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from surveys.views.facilitator import dashboard, lifecycle, panel, preparation
from surveys.views.facilitator import messages as mail

ROUND = "<slug:slug>/rounds/<int:number>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", dashboard.index, name="index"),
    path("<slug:slug>/", dashboard.study, name="study"),
    path("<slug:slug>/rounds/new/", lifecycle.round_create, name="round_create"),
    path("<slug:slug>/rounds/next/", lifecycle.round_next, name="round_next"),
    path(ROUND + "open/", lifecycle.round_open, name="round_open"),
    path(ROUND + "close/", lifecycle.round_close, name="round_close"),
    path(ROUND + "aggregate/", lifecycle.round_aggregate, name="round_aggregate"),
    path(ROUND + "deadline/", lifecycle.round_deadline, name="round_deadline"),
    path(ROUND + "mail/<str:kind>/", lifecycle.round_mail, name="round_mail"),
    path(ROUND + "prepare/", preparation.round_prepare, name="round_prepare"),
    path(ROUND + "items/<int:item_id>/reword/", preparation.item_reword, name="item_reword"),
    path(ROUND + "items/<int:item_id>/drop/", preparation.item_drop, name="item_drop"),
    path(ROUND + "items/<int:item_id>/add/", preparation.item_add, name="item_add"),
    path(ROUND + "suggestions/<int:suggestion_id>/accept/", preparation.suggestion_accept, name="suggestion_accept"),
    path(ROUND + "suggestions/<int:suggestion_id>/reject/", preparation.suggestion_reject, name="suggestion_reject"),
    path("<slug:slug>/panel/", panel.panel_page, name="panel"),
    path("<slug:slug>/panel/add/", panel.panelist_add, name="panelist_add"),
    path("<slug:slug>/panel/import/", panel.panel_import_upload, name="panel_import"),
    path("<slug:slug>/panel/import/confirm/", panel.panel_import_confirm, name="panel_import_confirm"),
    path("<slug:slug>/panel/<int:panelist_id>/edit/", panel.panelist_edit, name="panelist_edit"),
    path("<slug:slug>/panel/<int:panelist_id>/<str:action>/", panel.panelist_action, name="panelist_action"),
    path("<slug:slug>/messages/", mail.message_list, name="messages"),
    path("<slug:slug>/messages/<str:kind>/", mail.message_edit, name="message_edit"),
]
