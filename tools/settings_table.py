"""Write the README's configuration table from the Settings model.

`python tools/settings_table.py` rewrites the table in README.md in place;
tests/test_docs.py fails when a setting is missing from it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_core import PydanticUndefined

from shutter.infra.settings import Settings


def _default(value: object) -> str:
    if value is None or value == "":
        return "—"
    if value is PydanticUndefined:
        return "required"
    return f"`{value}`"


HEADER = "| variable | default | meaning |"


def table() -> list[str]:
    lines = [HEADER, "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `SHUTTER_{name.upper()}` | {_default(field.default)} | {description} |")
    return lines


def main() -> None:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    lines = readme.read_text().splitlines()
    start = lines.index(HEADER)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    readme.write_text("\n".join([*lines[:start], *table(), *lines[end:]]) + "\n")


if __name__ == "__main__":
    main()
