"""Every error the hub reports, with a stable code, a number and a human message.

The API answers `{"error": {"code": ..., "number": ..., "message": ..., "detail": ...}}` and the CLI
prints `E<number> <code>: <message>`: both come from this one table, so a code seen in a log can
be searched for here. Codes never change meaning once released; add new ones at the end of a group.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


class ErrorCode(enum.Enum):
    # (number, HTTP status, message template)
    # 1xx: payload and format
    EMPTY_BODY = (101, 400, "The request body is empty.")
    PAYLOAD_TOO_LARGE = (102, 413, "The payload is {size} bytes; the limit is {limit} bytes.")
    UNSUPPORTED_FORMAT = (103, 415, "Cannot recognise the payload format{hint}.")
    MALFORMED_XML = (104, 422, "The XML is not well-formed: {reason}")
    MALFORMED_JSON = (105, 422, "The JSON is not valid: {reason}")
    XML_FORBIDDEN_CONSTRUCT = (
        106,
        422,
        "The XML uses a forbidden construct ({construct}): DTDs, entity declarations and external "
        "references are refused.",
    )
    UNDECODABLE_TEXT = (107, 422, "The bytes are not valid {encoding}: {reason}")
    MISSING_FIELD = (108, 422, "Item {position} lacks the required field '{field}'.")
    INVALID_FIELD = (109, 422, "Item {position} has an invalid '{field}': {reason}")
    DUPLICATE_GUID_IN_PAYLOAD = (110, 422, "The identifier '{guid}' appears more than once in one payload.")
    TOO_MANY_ITEMS = (111, 413, "The payload holds {count} items; the limit is {limit}.")
    NO_ITEMS = (112, 422, "The payload holds no news item.")
    WRONG_DOCUMENT_TYPE = (113, 422, "This {format} document is a {kind}, not a news item.")
    # 2xx: access
    UNAUTHENTICATED = (201, 401, "An API key is required (header 'Authorization: Bearer <key>').")
    INVALID_KEY = (202, 401, "The API key is unknown or revoked.")
    FORBIDDEN = (203, 403, "This key may not {action}.")
    ITEM_OWNED_BY_OTHER_MEMBER = (
        204,
        403,
        "Item '{guid}' belongs to member '{owner}'; only its owner can version or kill it.",
    )
    LOGIN_FAILED = (205, 401, "The username or password is wrong.")
    LOGIN_THROTTLED = (206, 429, "Too many failed logins; try again in {minutes} minutes.")
    CSRF_FAILED = (
        207,
        403,
        "The form has expired or did not come from this site; reload the page and send it again.",
    )
    INVALID_ACCOUNT = (208, 422, "The account is not valid: {reason}")
    ACCOUNT_EXISTS = (209, 409, "The username '{username}' is taken.")
    ACCOUNT_NOT_FOUND = (210, 404, "No live account '{username}'.")
    # 3xx: resources
    ITEM_NOT_FOUND = (301, 404, "No item '{item_id}'.")
    VERSION_NOT_FOUND = (302, 404, "Item '{item_id}' has no version {version}.")
    MEMBER_NOT_FOUND = (303, 404, "No member '{code}'.")
    MEMBER_EXISTS = (304, 409, "Member '{code}' already exists.")
    INVALID_MEMBER = (305, 422, "Invalid member: {reason}")
    FEED_NOT_FOUND = (306, 404, "No feed source {feed_id}.")
    INVALID_QUERY = (307, 400, "Invalid query parameter '{param}': {reason}")
    INVALID_CURSOR = (308, 400, "The cursor is not valid; start again without it.")
    NOT_FOUND = (309, 404, "Nothing at {path}.")
    METHOD_NOT_ALLOWED = (310, 405, "Method {method} is not allowed on {path}.")
    INVALID_REQUEST_BODY = (311, 422, "The request body is not valid: {reason}")
    KEY_NOT_FOUND = (312, 404, "No live API key '{key_id}': it is unknown or already revoked.")
    STORY_NOT_FOUND = (313, 404, "No story '{story_id}'.")
    SUBSCRIPTION_NOT_FOUND = (314, 404, "No subscription '{subscription_id}'.")
    FEED_TOKEN_INVALID = (315, 404, "This feed address is unknown or has been revoked.")
    WEBHOOK_NOT_FOUND = (316, 404, "Subscription '{subscription_id}' has no webhook.")
    WEBHOOK_URL_INVALID = (317, 400, "The webhook URL {url} is refused: {reason}")
    # 4xx: transports
    UNSAFE_URL = (401, 422, "The URL {url} is refused: {reason}")
    FETCH_FAILED = (402, 502, "Fetching {url} failed: {reason}")
    WEBHOOK_SIGNATURE_INVALID = (403, 401, "The webhook signature is not valid ({reason}): {detail}")
    # 5xx: storage and operations
    STORAGE_UNAVAILABLE = (501, 503, "The store is unavailable: {reason}")
    MIGRATION_FAILED = (502, 500, "Schema migration {version} failed: {reason}")
    BACKUP_INVALID = (503, 422, "The backup cannot be restored: {reason}")
    CONFIG_INVALID = (504, 500, "Invalid configuration {setting}: {reason}")
    STORE_NOT_EMPTY = (505, 409, "The store already holds data; restore needs an empty store (or --force).")
    # 6xx: enrichment, models and translation
    PIPELINE_INVALID = (601, 500, "The enrichment pipeline is invalid: {reason}")
    UNKNOWN_COMPONENT = (602, 400, "No enrichment component '{name}'; known: {known}.")
    UNKNOWN_TOPIC_SCHEME = (603, 404, "No topic scheme '{name}'; known: {known}.")
    TRAINING_DATA_INVALID = (604, 422, "The training data cannot be used: {reason}")
    MODEL_INVALID = (605, 500, "The model at {path} cannot be used: {reason}")
    TRANSLATION_UNAVAILABLE = (606, 503, "No translation backend is configured{hint}.")
    TRANSLATION_FAILED = (607, 502, "Translation failed: {reason}")
    INVALID_ANALYZE_INPUT = (608, 422, "Input line {line} is not valid: {reason}")
    # 7xx: verification (provenance, tamper checks, fact checks)
    SIGNING_KEY_NOT_FOUND = (701, 404, "No live signing key '{key_id}'.")
    SIGNING_KEY_EXISTS = (702, 409, "The signing key {key_id} already exists.")
    INVALID_SIGNATURE_HEADER = (703, 400, "The Tabadol-Signature header is not usable: {reason}")
    SIGNER_KEY_UNKNOWN = (
        704,
        422,
        "Member '{member}' signed with {key}, but the hub knows no such key for it: publish the "
        "public key (tabadol agency key, or POST /api/v1/members/{member}/signing-keys) first.",
    )
    INVALID_SIGNED_DOCUMENT = (705, 422, "The signed document is not usable: {reason}")
    PROVENANCE_NOT_FOUND = (
        706,
        404,
        "Version {version} of item '{item_id}' has no recorded provenance (it was stored before the hub "
        "recorded provenance).",
    )
    FACT_CHECK_NOT_FOUND = (710, 404, "No fact check '{review_id}'.")
    FACT_CHECK_OWNED_BY_OTHER_MEMBER = (
        711,
        409,
        "The fact check at {url} was published by member '{owner}'; only its publisher can update it.",
    )
    INTERNAL = (599, 500, "An internal error occurred; the request was not applied.")

    @property
    def number(self) -> int:
        return self.value[0]

    @property
    def http_status(self) -> int:
        return self.value[1]

    @property
    def template(self) -> str:
        return self.value[2]

    @property
    def slug(self) -> str:
        return self.name.lower()


class TabadolError(Exception):
    """An error with a stable code. Raise it with the template's fields as keyword arguments."""

    def __init__(self, code: ErrorCode, /, **fields: Any) -> None:
        self.code = code
        self.fields: Mapping[str, Any] = fields
        try:
            message = code.template.format(**fields)
        except (KeyError, IndexError):
            message = code.template
        self.message = message
        super().__init__(f"E{code.number} {code.slug}: {message}")

    @property
    def http_status(self) -> int:
        return self.code.http_status

    def to_json(self) -> dict[str, Any]:
        detail = {k: v for k, v in self.fields.items() if isinstance(v, str | int | float | bool | None)}
        return {
            "error": {
                "code": self.code.slug,
                "number": f"E{self.code.number}",
                "message": self.message,
                "detail": detail,
            }
        }


class ParseError(TabadolError):
    """A payload that a format parser refuses. Nothing of the payload is stored."""
