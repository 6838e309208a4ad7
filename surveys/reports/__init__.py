"""Consensus reports: one data model (:mod:`.data`) rendered as HTML, PDF, XLSX, CSV and JSON.

- :mod:`.source`: the plain rows a report is built from (read by ``surveys.selectors.reports``);
- :mod:`.data`: :class:`~.data.ReportData` and its pure builder, with :mod:`.lineage`,
  :mod:`.sections` (statistics, convergence, shifts, divergence), :mod:`.panel` (composition,
  attrition, raw ratings; small groups pooled) and :mod:`.methods` (the CREDES appendix);
- renderers: :mod:`.charts` (matplotlib), :mod:`.html` and :mod:`.pdf` (WeasyPrint), :mod:`.xlsx`
  (openpyxl), :mod:`.tabular` (CSV), :mod:`.json_export`; :mod:`.formats` picks one by name;
- :mod:`.safety`: spreadsheet formula escaping.

Renderers import their heavy libraries lazily, so importing this package stays cheap.
"""
