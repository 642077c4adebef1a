"""Pure analyses: canonical flows in, DataFrames out (balance, mirror, trend, matrix,
composition and the Grubel-Lloyd index, coverage of months). No file reading, no output.

Analysis modules may import the core (flows, numbers, periods, errors) and
`pa_trade.reference`; never a reader, a client, render or the CLI.
"""
