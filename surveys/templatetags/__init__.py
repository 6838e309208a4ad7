"""Template tags of the expert pages."""
