"""The expert's endpoints under ``/me/``, reached with the invitation token as a bearer credential.

Each one reads or writes only the calling expert's own ballot in the study's current round (the
open round, else the latest closed one), so there is no id to swap for another expert's. Answers
never carry a name or an email. Every request counts against the ``expert`` rate limit, including
requests whose token is refused.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys.api.answers import answers_from, submit_refused
from surveys.api.authentication import ExpertTokenAuthentication
from surveys.api.errors import Invalid
from surveys.api.permissions import IsExpert
from surveys.api.serializers.expert import (
    BallotChangeSerializer,
    BallotSerializer,
    ConsentSerializer,
    ExpertStudySerializer,
    FeedbackSerializer,
    ProfileSerializer,
)
from surveys.api.throttling import ExpertRateThrottle
from surveys.api.views.base import valid
from surveys.models import Panelist, Round
from surveys.selectors import expert as selectors_expert
from surveys.selectors import expert_api as reads
from surveys.services import experts
from surveys.services.ballots import BallotRefused, ballot_reopen, ballot_submit
from surveys.services.rounds import round_close_if_due

TAGS = ["expert"]


class ExpertView(APIView):
    authentication_classes = [ExpertTokenAuthentication]
    permission_classes = [IsExpert]
    throttle_classes = [ExpertRateThrottle]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Count a refused token against the limit too, so that guessing tokens is slowed down."""
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            self.check_throttles(request)  # raises Throttled (429) once the address is over the limit
            raise

    @property
    def panelist(self) -> Panelist:
        assert isinstance(self.request.auth, Panelist)
        return self.request.auth

    def current_round(self) -> Round:
        """The study's current round, closed first if its deadline has passed (``round_close_if_due``)."""
        round_ = selectors_expert.current_round(self.panelist)
        if round_ is None:
            raise exceptions.NotFound("No round of this study has opened yet.")
        round_close_if_due(round=round_)
        return round_

    def ballot(self, round_: Round | None = None) -> Response:
        view = reads.ballot_view(self.panelist, round_ or self.current_round())
        return Response(BallotSerializer(view).data)


class StudyView(ExpertView):
    @extend_schema(
        tags=TAGS, summary="The expert's study: its scales, sections and current round", responses=ExpertStudySerializer
    )
    def get(self, request: Request) -> Response:
        panelist = self.panelist
        round_ = selectors_expert.current_round(panelist)
        if round_ is not None:
            round_close_if_due(round=round_)
        context = {"panelist": panelist, "round": round_}
        return Response(ExpertStudySerializer(panelist.study, context=context).data)


class ConsentView(ExpertView):
    @extend_schema(
        tags=TAGS, summary="Give consent (needed before answering)", request=None, responses=ConsentSerializer
    )
    def post(self, request: Request) -> Response:
        panelist = experts.panelist_consent(panelist=self.panelist)
        return Response({"has_consented": True, "consent_at": panelist.consent_at})


class ProfileView(ExpertView):
    @extend_schema(tags=TAGS, summary="The expert's own profile", responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(self.panelist).data)

    @extend_schema(
        tags=TAGS, summary="Replace the expert's profile", request=ProfileSerializer, responses=ProfileSerializer
    )
    def put(self, request: Request) -> Response:
        data = valid(ProfileSerializer, request, context={"panelist": self.panelist})
        sections = set(self.panelist.study.sections.values_list("key", flat=True))
        unknown = {
            f"expertise.{key}": ["Not a section of this study."] for key in data["expertise"] if key not in sections
        }
        if unknown:
            raise Invalid("Some sections are unknown; nothing was saved.", unknown)
        panelist = experts.panelist_profile_update(panelist=self.panelist, **data)
        return Response(ProfileSerializer(panelist).data)


class BallotView(ExpertView):
    @extend_schema(tags=TAGS, summary="The expert's ballot in the current round", responses=BallotSerializer)
    def get(self, request: Request) -> Response:
        return self.ballot()

    @extend_schema(
        tags=TAGS,
        summary="Save answers (only those sent change; all or nothing)",
        request=BallotChangeSerializer,
        responses=BallotSerializer,
    )
    def patch(self, request: Request) -> Response:
        data = valid(BallotChangeSerializer, request)
        round_ = self.current_round()
        answers = answers_from(data, reads.ballot_view(self.panelist, round_))
        try:
            experts.answers_save(
                panelist=self.panelist,
                round=round_,
                entries=answers.entries,
                rationales=answers.rationales,
                open_answers=answers.open_answers,
            )
        except BallotRefused as exc:
            raise answers.refused(exc.errors) from None
        return self.ballot(round_)


class SubmitView(ExpertView):
    @extend_schema(
        tags=TAGS,
        summary="Submit the ballot (revisable until the round closes)",
        request=None,
        responses=BallotSerializer,
    )
    def post(self, request: Request) -> Response:
        round_ = self.current_round()
        try:
            ballot_submit(panelist=self.panelist, round=round_)
        except BallotRefused as exc:
            raise submit_refused(exc.errors, reads.ballot_view(self.panelist, round_)) from None
        return self.ballot(round_)


class ReopenView(ExpertView):
    @extend_schema(
        tags=TAGS, summary="Reopen a submitted ballot to revise it", request=None, responses=BallotSerializer
    )
    def post(self, request: Request) -> Response:
        round_ = self.current_round()
        ballot_reopen(panelist=self.panelist, round=round_)
        return self.ballot(round_)


class FeedbackView(ExpertView):
    @extend_schema(
        tags=TAGS,
        summary="Anonymised feedback: the panel's statistics and others' reasons, no names",
        responses=FeedbackSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(FeedbackSerializer(reads.feedback_view(self.panelist, self.current_round())).data)
