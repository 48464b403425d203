"""The README documents every setting the service reads."""

from __future__ import annotations

from pathlib import Path

from shutter.infra.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text()
    missing = [
        f"SHUTTER_{n.upper()}"
        for n in Settings.model_fields
        if f"`SHUTTER_{n.upper()}`" not in text
    ]
    assert not missing, f"run `python tools/settings_table.py`; missing: {missing}"
