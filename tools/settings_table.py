"""Print the README's configuration table from the Settings model (paste it into README.md)."""

from __future__ import annotations

from pydantic_core import PydanticUndefined

from shutter.infra.settings import Settings


def _default(value: object) -> str:
    if value is None or value == "":
        return "—"
    if value is PydanticUndefined:
        return "required"
    return f"`{value}`"


def main() -> None:
    print("| variable | default | meaning |")
    print("| --- | --- | --- |")
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        print(f"| `SHUTTER_{name.upper()}` | {_default(field.default)} | {description} |")


if __name__ == "__main__":
    main()
