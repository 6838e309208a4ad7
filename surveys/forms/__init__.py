"""Forms of the expert's pages (the facilitator's live in surveys/views/facilitator/forms.py)."""
