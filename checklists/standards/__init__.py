"""The standards' rules, one module per standard, with their limits as data.

limits.toml holds every number with its status ([V] verified, [P] partly,
[U] unverified) and source; limits.py chooses the row that binds by region
and date. Each module's docstring states its rules and where they come from.
"""
