"""The Delphi Panel app: studies, panels, rounds, ballots, statistics and reports."""
