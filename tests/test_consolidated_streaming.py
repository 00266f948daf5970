"""Issue 7: the consolidated workbook's ``_data`` sheet is encoded unit by unit
(``consolidated._encode_streaming`` over ``Consolidation.json_parts``), never as one dict of
every unit; the text must be exactly what json gives for the whole dict."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from xltools.consolidated import _encode_streaming, _json_default
from xltools.merge import merge

ROOT = Path(__file__).resolve().parent.parent


def _encoder(**kw) -> json.JSONEncoder:
    return json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default, **kw)


CASES = [
    {},
    {"b": [], "a": iter([])},
    {"z": iter([{"名": "张明、李华", "n": 1.5, "d": Decimal("3209.10")}, {}, [1, [2, None]]]),
     "a": {"y": True, "x": date(2024, 12, 31)}, "m": "引号\"与\\反斜杠\n换行", "\u00e9": 0},
    {"per_unit": iter({"code": f"D{i:02d}", "v": i / 3} for i in range(200)), "ledger": iter(["x"] * 3)},
]


@pytest.mark.parametrize("payload", CASES)
@pytest.mark.parametrize("separators", [None, (",", ":")])
def test_streamed_text_equals_json_of_the_whole_dict(payload, separators):
    whole = {k: list(v) if hasattr(v, "__next__") else v for k, v in payload.items()}
    lazy = {k: iter(v) if hasattr(payload[k], "__next__") else v for k, v in whole.items()}
    enc = _encoder(separators=separators)
    assert "".join(_encode_streaming(enc, lazy)) == enc.encode(whole)


def test_the_data_sheet_payload_equals_the_figures_json(kit, roster):
    with merge(kit, roster, [ROOT / "samples" / "returns"], jobs=1) as cons:
        parts = cons.json_parts()
        assert hasattr(parts["per_unit"], "__next__") and hasattr(parts["ledger"], "__next__")
        enc = _encoder()
        assert "".join(_encode_streaming(enc, parts)) == enc.encode(cons.to_json())
        assert len(cons.to_json()["per_unit"]) == len(cons.roster) and cons.to_json()["ledger"]


def test_a_key_that_is_not_text_is_refused_not_written_as_invalid_json():
    with pytest.raises(TypeError):
        "".join(_encode_streaming(_encoder(), {1: "x"}))
