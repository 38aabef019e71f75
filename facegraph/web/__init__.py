"""`facegraph serve`: a local web app to see, check and correct who is who.

`app` builds the Starlette application and its rules (CSRF, Origin, Host), `pages` the pages,
`actions` the changes (each one a library function the CLI also calls), `jobs` the work that
outlives a request, `server` runs it. Templates and assets ship inside the package.
"""
