"""The error catalogue: stable, unique and documented."""

from pathlib import Path

from tabadol.errors import ErrorCode, TabadolError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def test_numbers_are_unique() -> None:
    numbers = [code.number for code in ErrorCode]
    assert len(numbers) == len(set(numbers))


def test_every_code_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        code.slug for code in ErrorCode if f"`{code.slug}`" not in text or f"E{code.number}" not in text
    ]
    assert missing == []


def test_statuses_are_http_errors() -> None:
    assert all(400 <= code.http_status < 600 for code in ErrorCode)


def test_message_is_filled_from_fields_and_json_is_stable() -> None:
    error = TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=52_428_800, limit=10_485_760)
    assert error.message == "The payload is 52428800 bytes; the limit is 10485760 bytes."
    body = error.to_json()["error"]
    assert body["code"] == "payload_too_large"
    assert body["number"] == "E102"
    assert body["detail"] == {"size": 52_428_800, "limit": 10_485_760}
    assert str(error).startswith("E102 payload_too_large:")


def test_missing_template_field_still_gives_a_message() -> None:
    error = TabadolError(ErrorCode.MISSING_FIELD, field="uri")
    assert "uri" in error.message or error.message == ErrorCode.MISSING_FIELD.template
