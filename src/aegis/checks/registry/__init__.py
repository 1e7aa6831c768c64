"""The government-registry port and its sandbox."""
