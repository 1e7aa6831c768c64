"""Real-time transaction risk: intake, velocity features, rules, ML scores, decisions."""
