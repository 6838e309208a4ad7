"""Django admin for every model, with list columns, filters and search that facilitators use.

The admin keeps the domain's promises. It is read-only wherever the domain is frozen (a frozen
consensus rule, the scale of a rated dimension, the wording of an answered item, the items of a
round that has opened, a panelist's or a round's status), and every save that changes state goes
through the same service as the dashboard and the API, with its validation and its audit event:

- a study's fields that its study file holds, an item, a dimension and a section: the study-file
  importer (``surveys.services.study_edits.study_change``), whose guards refuse what would alter answers;
- a round's deadline: ``round_deadline_set``; whether a study's report is public:
  ``study_report_visibility_set``; an email's wording: ``message_template_save`` (and deleting one is
  ``message_template_reset``); revoking experts: an action calling ``panelist_revoke``.

What no service changes (a round's status or items, a panelist's status or details, suggestions,
ballots, statistics, the audit trail) is shown, not edited: the dashboard's pages make those moves.
A refused save shows the form again with the service's reason; nothing of it is stored.

Modules by what they show: ``base`` (what every admin shares), ``study`` (the study and what it
asks), ``rounds`` (rounds, ballots, ratings, statistics), ``panel`` (experts, deliveries, email
wording) and ``records`` (suggestions, report jobs, audit trail, API tokens). Importing this package
registers them all (Django's admin autodiscovery imports ``surveys.admin``).
"""

from __future__ import annotations

from . import panel, records, rounds, study

__all__ = ["panel", "records", "rounds", "study"]
