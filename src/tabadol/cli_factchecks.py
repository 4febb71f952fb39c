"""`tabadol factcheck ...`: the members' fact checks (schema.org ClaimReview) from the command line. The
operator acts as an administrator, so `--member` says which member publishes; every write is audited
like the API's (verify/factchecks.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tabadol.hub import OPERATOR
from tabadol.verify.claims import claim_reviews_to_jsonld
from tabadol.verify.factchecks import AuthoredReview, FactCheck, FactChecks, fact_check_json, match_json

factcheck_app = typer.Typer(
    help="Fact checks (schema.org ClaimReview): import, author, list, match, export.", no_args_is_help=True
)


def _row(fact_check: FactCheck) -> list[str]:
    review = fact_check.review
    return [
        fact_check.id,
        fact_check.member_code,
        review.language or "",
        review.verdict,
        " ".join(review.claim_reviewed.split())[:80],
        review.url,
    ]


@factcheck_app.command("import")
def factcheck_import(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="A JSON-LD document with one or many ClaimReviews."),
    ],
    member: Annotated[str, typer.Option(help="The member whose desk published the reviews.")],
) -> None:
    """Import ClaimReview JSON-LD; a review already stored at the same URL is updated."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        outcome = FactChecks(hub).import_jsonld(file.read_bytes(), OPERATOR, member)
    out.print(
        f"{len(outcome.created)} created, {len(outcome.updated)} updated, "
        f"{outcome.matched_items} stored item(s) matched",
        markup=False,
    )
    for fact_check in (*outcome.created, *outcome.updated):
        out.print(f"  {fact_check.id}  {fact_check.review.url}", markup=False)


@factcheck_app.command("author")
def factcheck_author(
    ctx: typer.Context,
    member: Annotated[str, typer.Option(help="The member whose desk publishes the review.")],
    claim: Annotated[str, typer.Option(help="The claim, in a sentence.")],
    rating: Annotated[str, typer.Option(help="The verdict in the desk's words, e.g. False.")],
    url: Annotated[str, typer.Option(help="The review's page: its identity in the hub.")],
    language: Annotated[
        str | None, typer.Option(help="BCP-47 tag of the claim (default: identified).")
    ] = None,
    claimant: Annotated[str | None, typer.Option(help="Who made the claim.")] = None,
    claim_date: Annotated[datetime | None, typer.Option(help="When the claim was made.")] = None,
    appearance: Annotated[
        list[str] | None, typer.Option(help="Where the claim appeared; repeatable.")
    ] = None,
    reviewer_name: Annotated[str | None, typer.Option(help="Default: the member's name.")] = None,
    reviewer_url: Annotated[str | None, typer.Option(help="The fact-checking desk's page.")] = None,
) -> None:
    """Write one review in the hub from plain fields."""
    from tabadol.cli import emit_json, open_hub, reported_errors

    fields = AuthoredReview(
        claim=claim,
        rating=rating,
        url=url,
        language=language,
        claimant=claimant,
        claim_date=claim_date,
        appearances=tuple(appearance or ()),
        reviewer_name=reviewer_name,
        reviewer_url=reviewer_url,
    )
    with open_hub(ctx) as hub, reported_errors():
        fact_check = FactChecks(hub).author(fields, OPERATOR, member)
    emit_json(fact_check_json(fact_check))


@factcheck_app.command("list")
def factcheck_list(
    ctx: typer.Context,
    member: Annotated[str | None, typer.Option(help="Only this member's reviews.")] = None,
    language: Annotated[str | None, typer.Option(help="Only claims in this language.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The stored reviews, newest first."""
    from tabadol.cli import emit_json, open_hub, print_table, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        found, _ = FactChecks(hub).page(limit, None, member, language)
    if as_json:
        emit_json([fact_check_json(fact_check) for fact_check in found])
        return
    print_table(["id", "member", "language", "rating", "claim", "url"], [_row(f) for f in found])


@factcheck_app.command("match")
def factcheck_match(
    ctx: typer.Context,
    text: Annotated[str, typer.Option(help="Any text: a post, a quote, a dispatch.")],
    language: Annotated[str | None, typer.Option(help="BCP-47 tag (default: identified).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The reviewed claims the text states, with rating, reviewer, link and score."""
    from tabadol.cli import emit_json, open_hub, out, print_table, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        matches = FactChecks(hub).matcher.match_text(text, language)
    if as_json:
        emit_json({"matches": [match_json(m) for m in matches]})
        return
    if not matches:
        out.print("No reviewed claim matches.", markup=False)
        return
    rows = [
        [
            f"{m.score:.3f}",
            m.fact_check.review.verdict,
            m.fact_check.review.author.name if m.fact_check.review.author else m.fact_check.member_code,
            " ".join(m.fact_check.review.claim_reviewed.split())[:80],
            m.fact_check.review.url,
        ]
        for m in matches
    ]
    print_table(["score", "rating", "reviewer", "claim", "url"], rows)


@factcheck_app.command("export")
def factcheck_export(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: stdout).")
    ] = None,
    member: Annotated[str | None, typer.Option(help="Only this member's reviews.")] = None,
) -> None:
    """Every review as one ClaimReview JSON-LD document (what `import` reads back)."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        reviews = [fact_check.review for fact_check in FactChecks(hub).all(member)]
    text = json.dumps(claim_reviews_to_jsonld(reviews), ensure_ascii=False, indent=2) + "\n"
    if out_file is None:
        typer.echo(text, nl=False)
        return
    out_file.write_text(text, encoding="utf-8")
    out.print(f"{len(reviews)} review(s) written to {out_file}", markup=False)


@factcheck_app.command("delete")
def factcheck_delete(
    ctx: typer.Context, review_id: Annotated[str, typer.Argument(help="The review's id.")]
) -> None:
    """Remove a review and its matches with items."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        FactChecks(hub).delete(review_id, OPERATOR)
    out.print(f"Removed {review_id}", markup=False)
