"""Everything that turns a result into text or files, at the edge: `tables` (the table for
people, csv, tsv, json, markdown, numbers and units, the footer of notes and sources, output
safety), `analyses` and `products` (the layouts of each analysis), `charts` (terminal bars,
PNG/SVG plots). Later: xlsx and Spanish labels.

Render takes results of `pa_trade.analysis` and may import the core (flows, numbers, periods,
paths), `pa_trade.reference` and `pa_trade.analysis`; never a reader, a client or the CLI.
This package imports nothing at start-up: its modules load when a command renders.
"""
