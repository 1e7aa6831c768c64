"""Bank cards: Luhn and BIN (pure, with a BIN-lookup port) and the bank-verification port."""
