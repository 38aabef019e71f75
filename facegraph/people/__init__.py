"""People: faces grouped into identities that stay stable, and the corrections users make.

`clustering` works on arrays only; `runs` assigns faces to people, `edits` holds the logged
corrections (and forget), `read` lists and shows people, `store` is every SQL statement of
people, `evaluate` scores people against known identities, `mosaic` draws them.
"""
