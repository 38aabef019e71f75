"""python -m facegraph"""

from .cli import main

main()
