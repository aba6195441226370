import json

from appeals_runtime.trace_files import read_spans


def span(span_id: str, **attributes) -> str:
    return json.dumps({"trace_id": "a" * 32, "span_id": span_id, "parent_id": None, "name": "GET /x",
                       "service": "intake", "start": 1, "end": 2, "status": "OK", "attributes": attributes},
                      ensure_ascii=False)


def test_spans_whose_attributes_hold_other_line_separators_are_read_whole(tmp_path):
    crafted = span("1" * 16, **{"url.path": "/v1/appeals/OA\x85x\u2028y\rz"})
    (tmp_path / "intake-1.jsonl").write_text(crafted + "\n" + span("2" * 16) + "\n", "utf-8")
    spans = read_spans(tmp_path)
    assert [s.span_id for s in spans] == ["1" * 16, "2" * 16]
    assert spans[0].attributes["url.path"] == "/v1/appeals/OA\x85x\u2028y\rz"


def test_a_line_cut_short_by_a_killed_process_is_left_out(tmp_path):
    (tmp_path / "intake-1.jsonl").write_text(span("1" * 16) + "\n" + span("2" * 16)[:40], "utf-8")
    assert [s.span_id for s in read_spans(tmp_path)] == ["1" * 16]
