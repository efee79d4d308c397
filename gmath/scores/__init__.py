"""gmath.scores (see DESIGN.md). Populated by its issue."""

__all__: list[str] = []
