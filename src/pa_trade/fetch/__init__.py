"""HTTP clients that fetch official trade figures and write them as canonical flows.

`comtrade` asks the UN Comtrade API for annual totals; `transport` makes each call within a
deadline and a size cap; `cache` keeps its raw answers on disk; `store` writes the flows as
tidy CSV into the user data folder, where every command finds them; `files` writes those files
whole or not at all; `codes` gives the Comtrade area code to ask for a country.

Importing this package imports nothing heavy: requests and pandas load when a fetch runs.
Clients may import the core, `pa_trade.reference` and `pa_trade.readers` (to read back what
they stored); never analysis, render or the CLI.
"""
