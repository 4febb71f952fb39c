"""Load the demo alliance into a hub: members, their wires and an admin key.

Idempotent: members that exist are left alone, wires whose guid is already stored are not sent
again, and an admin key that still works is reused. Running it twice adds nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from tabadol.demo.accounts import ACCOUNTS_FILE, DemoLogin, ensure_demo_accounts
from tabadol.demo.members import ADMIN_KEY_MEMBER, DEMO_MEMBERS
from tabadol.demo.wires import Wire, flores_wires, seed_wires
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.storage.base import IngestRequest
from tabadol.types import Decision, Role, utc_now

ADMIN_KEY_FILE = "demo-admin-key.txt"
ADMIN_KEY_LABEL = "demo admin"
BATCH_SIZE = 256
# A wire reaches the hub a moment after its sender stamps it.
_TRANSIT = timedelta(seconds=2)


@dataclass
class DemoReport:
    members_added: list[str] = field(default_factory=list)
    decisions: Counter[Decision] = field(default_factory=Counter)
    wires_skipped: int = 0
    admin_token: str = ""
    admin_key_id: str = ""
    admin_key_reused: bool = False
    admin_key_file: Path | None = None
    # Newsroom accounts (one editor per member, one admin); passwords printed only when set by this run.
    newsroom_logins: list[DemoLogin] = field(default_factory=list)
    accounts_file: Path | None = None


def load_demo(hub: Hub, now: datetime | None = None, key_dir: Path | None = None) -> DemoReport:
    """Load everything; the admin token is written to `<key_dir or data_dir>/demo-admin-key.txt`, the
    newsroom accounts' passwords to `demo-accounts.txt` beside it."""
    now = now or utc_now()
    report = DemoReport()
    report.members_added = add_demo_members(hub)
    every_wire = seed_wires() + flores_wires(now)
    wires = unsent(hub, every_wire)
    report.wires_skipped = len(every_wire) - len(wires)
    report.decisions = send_wires(hub, wires, now)
    key_file = (key_dir or hub.settings.data_dir) / ADMIN_KEY_FILE
    report.admin_key_file = key_file
    ensure_admin_key(hub, key_file, report)
    report.accounts_file = (key_dir or hub.settings.data_dir) / ACCOUNTS_FILE
    report.newsroom_logins = ensure_demo_accounts(hub, report.accounts_file)
    return report


def add_demo_members(hub: Hub) -> list[str]:
    added = []
    for member in DEMO_MEMBERS:
        if hub.storage.get_member(member.code) is None:
            hub.add_member(member.code, member.names, member.country, member.languages)
            added.append(member.code)
    return added


def unsent(hub: Hub, wires: Sequence[Wire]) -> list[Wire]:
    """The wires whose guid the hub does not hold yet. One streamed pass over the store is an order of
    magnitude faster than a look-up per wire, and only the guids are kept."""
    if hub.storage.count_items() == 0:
        return list(wires)
    held = {item.guid for item in hub.storage.iter_items(include_embargoed=True)}
    return [wire for wire in wires if wire.guid not in held]


def send_wires(hub: Hub, wires: Sequence[Wire], now: datetime) -> Counter[Decision]:
    """Store the wires oldest first (so the hub's change order follows the story times), in batches."""
    decisions: Counter[Decision] = Counter()
    ordered = sorted(wires, key=lambda w: (w.sent_at or now, w.guid))
    for batch in _chunks(ordered, BATCH_SIZE):
        requests = [_request(hub, wire, now) for wire in batch]
        for result in hub.storage.ingest_many(requests):
            if isinstance(result, TabadolError):
                raise result
            decisions.update(outcome.decision for outcome in result.outcomes)
    return decisions


def ensure_admin_key(hub: Hub, key_file: Path, report: DemoReport) -> None:
    token = _working_admin_token(hub, key_file)
    if token is None:
        key, token = hub.issue_key(ADMIN_KEY_MEMBER.code, Role.ADMIN, label=ADMIN_KEY_LABEL)
        write_secret_file(key_file, token + "\n")
        report.admin_key_id = key.key_id
    else:
        report.admin_key_reused = True
        report.admin_key_id = hub.authenticate(token).key_id or ""
    report.admin_token = token


def write_secret_file(path: Path, text: str) -> None:
    """Owner-only (0600) from the moment it exists: the token is a credential."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have had wider permissions
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _working_admin_token(hub: Hub, key_file: Path) -> str | None:
    if not key_file.is_file():
        return None
    token = key_file.read_text(encoding="utf-8").strip()
    try:
        principal = hub.authenticate(token)
    except TabadolError as error:
        if error.code is ErrorCode.INVALID_KEY:
            return None  # revoked, or the file belongs to another database: issue a fresh key
        raise
    return token if principal.is_admin else None


def _request(hub: Hub, wire: Wire, now: datetime) -> IngestRequest:
    request = hub.prepare_payload(
        wire.member_code,
        wire.data,
        wire.content_type,
        via="demo",
        guid=wire.guid,
        limit_items=False,
        received_at=(wire.sent_at + _TRANSIT) if wire.sent_at else now,
    )
    # Plain text carries no language tag; the sender declares it, as an HTTP push would with
    # Content-Language. Tags the wire itself carries are left as they are.
    items = tuple(item if item.language else replace(item, language=wire.language) for item in request.items)
    return replace(request, items=items)


def _chunks(items: Iterable[Wire], size: int) -> Iterator[list[Wire]]:
    batch: list[Wire] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
