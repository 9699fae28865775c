"""The comparison engine: scenarios on a simulated clock, recovery as a user would, scoring."""
