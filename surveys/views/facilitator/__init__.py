"""The facilitator's pages under ``/facilitate/``: staff only, beyond the Django admin.

Anonymous visitors are sent to sign in; signed-in users without staff rights (and experts, who
never have an account) get a 404 that reveals nothing. Every state change is a POST with CSRF, and
each lifecycle move passes a confirmation page whose ``confirm`` box the server requires.
"""
