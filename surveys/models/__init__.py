"""The domain model (DESIGN.md "Domain model"), one module per aggregate."""

from __future__ import annotations

from .api_tokens import ApiToken
from .ballots import Ballot, Rating, RatingRevision
from .messages import MessageTemplate
from .panel import Panelist
from .records import AuditEvent, DeliveryLog, ReportJob, Suggestion
from .rounds import Round, RoundItem
from .statistics import ItemStatistic, ItemThemes, RoundStatistic
from .study import Dimension, Item, Section, Study

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Ballot",
    "DeliveryLog",
    "Dimension",
    "Item",
    "ItemStatistic",
    "ItemThemes",
    "MessageTemplate",
    "Panelist",
    "Rating",
    "RatingRevision",
    "ReportJob",
    "Round",
    "RoundItem",
    "RoundStatistic",
    "Section",
    "Study",
    "Suggestion",
]
