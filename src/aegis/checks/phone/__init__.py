"""Phone checks: validity (pure), one-time codes (pure), and the SMS port."""
