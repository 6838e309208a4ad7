"""Reads: querysets and plain data for the pages, the API, the reports and the statistics.

A selector returns data, never rendered bytes, and writes nothing (writes are services). Modules are
named after who reads:

- :mod:`.expert`: who a link or session belongs to, the current round, the ballot and its progress;
- :mod:`.feedback`: the controlled feedback an expert sees (anonymised, small groups withheld);
- :mod:`.questionnaire`: the questionnaire page's view of a ballot;
- :mod:`.expert_api`: the expert endpoints' view of the ballot and the feedback;
- :mod:`.facilitator`: the study dashboard, the panel and the message templates;
- :mod:`.preparation`: what the facilitator needs to prepare the next round;
- :mod:`.reports`: a study's rows for the consensus report, and the report jobs;
- :mod:`.ratings`: the frames the statistics core takes (ratings, participation, scales, lineage).

Selectors import models, the statistics core, :mod:`surveys.lineage` and the report builders that turn
rows into data; never services, views or the API (``tests/test_layers.py``).
"""
