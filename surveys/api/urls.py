"""The API under /api/v1/ (namespace ``api``): the facilitator's study tree and the expert's ``/me/``.

Any other path under /api/v1/ answers 404 in the API's error format.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path
from rest_framework.routers import SimpleRouter

from surveys.api.errors import not_found
from surveys.api.schema import ID_PATTERN, SLUG_PATTERN
from surveys.api.views import expert
from surveys.api.views.panel import PanelistViewSet
from surveys.api.views.records import AuditEventViewSet, MessageTemplateViewSet, ReportJobViewSet, SuggestionViewSet
from surveys.api.views.rounds import RoundItemViewSet, RoundViewSet, StatisticViewSet
from surveys.api.views.structure import DimensionViewSet, ItemViewSet, SectionViewSet
from surveys.api.views.studies import StudyViewSet

STUDY = rf"studies/(?P<study_slug>{SLUG_PATTERN})"
ROUND = rf"{STUDY}/rounds/(?P<round_number>{ID_PATTERN})"

router = SimpleRouter()
router.register("studies", StudyViewSet, basename="study")
router.register(rf"{STUDY}/items", ItemViewSet, basename="item")
router.register(rf"{STUDY}/dimensions", DimensionViewSet, basename="dimension")
router.register(rf"{STUDY}/sections", SectionViewSet, basename="section")
router.register(rf"{STUDY}/rounds", RoundViewSet, basename="round")
router.register(rf"{ROUND}/items", RoundItemViewSet, basename="round-item")
router.register(rf"{ROUND}/statistics", StatisticViewSet, basename="statistic")
router.register(rf"{STUDY}/panel", PanelistViewSet, basename="panelist")
router.register(rf"{STUDY}/suggestions", SuggestionViewSet, basename="suggestion")
router.register(rf"{STUDY}/reports", ReportJobViewSet, basename="report")
router.register(rf"{STUDY}/messages", MessageTemplateViewSet, basename="message")
router.register(rf"{STUDY}/audit", AuditEventViewSet, basename="audit")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("me/study/", expert.StudyView.as_view(), name="me-study"),
    path("me/consent/", expert.ConsentView.as_view(), name="me-consent"),
    path("me/profile/", expert.ProfileView.as_view(), name="me-profile"),
    path("me/ballot/", expert.BallotView.as_view(), name="me-ballot"),
    path("me/ballot/submit/", expert.SubmitView.as_view(), name="me-ballot-submit"),
    path("me/ballot/reopen/", expert.ReopenView.as_view(), name="me-ballot-reopen"),
    path("me/feedback/", expert.FeedbackView.as_view(), name="me-feedback"),
    re_path(r"^.*$", not_found, name="not-found"),
]
