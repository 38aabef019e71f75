"""Ingest: photo folders to faces, encodings and crops in the library.

`scan` walks folders and fingerprints files, `decode` reads photos, `analyse` is the per-photo
worker, `run` drives the workers and the single writer, `store` is every SQL statement of
images and faces, `crops` and `stats` read what was stored.
"""
