"""Results as data: one tidy row per strategy x scenario x repetition, plus a versioned run record."""
