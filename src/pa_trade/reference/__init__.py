"""The code tables and their loaders, data kept in `data/` with their sources: `countries`
(every way a country is written -> ISO3; aggregates; blocs), `products` (HS sections,
chapters, headings, product groups), `agreements` (trade agreements and their dates).

Reference modules import only the core (errors, paths, periods, textio): nothing from
readers, analysis, render, fetch or the CLI.
"""
