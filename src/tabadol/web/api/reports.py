"""`GET /api/v1/reports/exchange`: the usage ledger, as JSON or CSV (deliver/reports.py counts).

A member's keys see only the rows their member supplied or received: another member's exchanges are
none of its business (the agreements are bilateral). Administrators see every pair and may narrow
the report to one member with `member=`. CSV is chosen by `format=csv` or by `Accept: text/csv`
(a spreadsheet or a script that asks for CSV gets it without knowing the parameter).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from tabadol.deliver.reports import (
    exchange_report,
    invalid,
    report_csv,
    report_filename,
    report_json,
    report_query,
)
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Principal
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(prefix="/reports", tags=["reports"])

CSV_MEDIA_TYPE = "text/csv"
FORMATS = ("json", "csv")


def report_members(hub: Hub, principal: Principal, member: str | None) -> tuple[str, ...] | None:
    """Whose rows the caller may read: the key's member's; admins everyone's or `member`'s."""
    if principal.is_admin:
        return None if member is None else (hub.get_member(member).code,)
    if member is not None and member != principal.member_code:
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"read {member}'s exchange report")
    if principal.member_code is None:
        raise TabadolError(ErrorCode.FORBIDDEN, action="read an exchange report without a member")
    return (principal.member_code,)


def chosen_format(requested: str | None, request: Request) -> str:
    if requested is None:
        accept = request.headers.get("accept", "")
        return "csv" if CSV_MEDIA_TYPE in accept.lower() else "json"
    if requested.lower() not in FORMATS:
        raise invalid("format", f"'{requested}' is not one of {', '.join(FORMATS)}")
    return requested.lower()


@router.get("/exchange", summary="Items supplied and taken per member pair and period (JSON or CSV)")
def exchange(
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    since: Annotated[
        str | None, Query(description="Start (inclusive): 2026-11-01, a date-time, 2026-11 or 2026-W48")
    ] = None,
    until: Annotated[str | None, Query(description="End (exclusive); default: now")] = None,
    period: Annotated[str | None, Query(description="day, week (ISO), month (default) or year; UTC")] = None,
    group: Annotated[str | None, Query(description="Extra dimensions: language, topic (comma list)")] = None,
    member: Annotated[
        str | None, Query(description="Admins: only rows this member supplied or received")
    ] = None,
    output_format: Annotated[str | None, Query(alias="format", description="json (default) or csv")] = None,
    lang: Annotated[str, Query(description="Language of member names and topic labels")] = "en",
) -> Response:
    output = chosen_format(output_format, request)
    query = report_query(since, until, period, group, report_members(hub, principal, member), clock())
    report = exchange_report(hub.storage, query)
    members = {info.code: info for info in hub.storage.list_members()}
    if output == "csv":
        disposition = f'attachment; filename="{report_filename(query, "csv")}"'
        return Response(
            report_csv(report, members, lang).encode("utf-8"),
            media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )
    return JSONResponse(report_json(report, members, lang))
