"""pa-trade: trade balances of the Pacific Alliance from the statistics offices' own files."""

__version__ = "0.1.0"
