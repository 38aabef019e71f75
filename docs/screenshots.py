"""Refresh the screenshots the README and the docs show, from the ones the browser tests keep
in test-artefacts/ (run the tests first: `pytest tests/test_docs.py`); they show only photos that
may be shown anywhere (shipped inside matplotlib and scikit-image).

    python docs/screenshots.py

Each is shrunk to 900 px wide and saved as a JPEG, small enough to commit.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHOTS = {
    "readme-network.png": "network-page.jpg",
    "readme-review-app.png": "review-app.jpg",
}


def main() -> None:
    for source, target in SHOTS.items():
        with Image.open(REPO / "test-artefacts" / source) as image:
            image = image.convert("RGB")
            image.thumbnail((900, 900))
            image.save(REPO / "docs" / "images" / target, quality=80, optimize=True)
        print(f"docs/images/{target}")


if __name__ == "__main__":
    main()
