"""The public portal: the region's news as its agencies sent it, with no login.

    /{lang}/                     the day's stories, most corroborated first, by topic and by country
    /{lang}/story/{story_id}     every member's version side by side, and the story's timeline
    /{lang}/item/{item_id}       one item verbatim: attribution, provenance, versions, fact checks
    /{lang}/topics, /topic/{code}          IPTC Media Topics and their items
    /{lang}/countries, /country/{iso}      the Caspian states first, then every country items name
    /{lang}/members, /member/{code}        the member agencies and their items

Each page is also `.json` (the same data). Embargoed items never show, not even their existence, and
killed items never show: every read goes through the public reading rule (storage/portal.py `readable`,
the hub's readable reads, stories' readable items).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.web.auth import ClockDep, HubDep
from tabadol.web.portal.catalog import messages
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages import public_data as data
from tabadol.web.portal.pages import public_item as items
from tabadol.web.portal.pages import public_views as views
from tabadol.web.portal.pages.public_places import CASPIAN, country_order, is_known_country
from tabadol.web.portal.render import JSON_SUFFIX, render, wants_json
from tabadol.web.portal.routing import PortalLanguage, PortalRouter

portal = PortalRouter()

HOME_STORIES = 30  # stories per page of the home page
LATEST_ITEMS = 10
LIST_PAGE = 30  # items per page of topic, country and member pages


def _translator(request: Request) -> Any:
    return getattr(request.app.state, "translator", None)


def _cursor(request: Request) -> str | None:
    return request.query_params.get("cursor") or None


def _parse_day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="day", reason="not a date (YYYY-MM-DD)") from None


# -- home ---------------------------------------------------------------------------------------------


@portal.page("/")
def home(request: Request, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    now = clock()
    names = views.Names(hub, language)
    today = views.local_today(now, language)
    asked = _parse_day(request.query_params.get("day"))
    window = views.day_window(min(asked, today) if asked else today, language, today)
    page = views.page_number(request.query_params.get("page"))
    ranked = views.rank_day(hub, window, now, page * HOME_STORIES)
    if not ranked.total and asked is None:  # a quiet day so far: the latest day with stories
        latest = views.latest_story_day(hub, window.start, now, language)
        if latest is not None:
            window = views.day_window(latest, language, today)
            ranked = views.rank_day(hub, window, now, page * HOME_STORIES)
    pages = max(1, -(-ranked.total // HOME_STORIES))
    if page > pages:
        page = pages
        ranked = views.rank_day(hub, window, now, page * HOME_STORIES)
    shown = ranked.stories[(page - 1) * HOME_STORIES : page * HOME_STORIES]
    cards = views.cards_for(hub, shown, names)
    previous_day = views.latest_story_day(hub, window.start, now, language)
    latest_rows = data.list_rows(hub.storage, now, LATEST_ITEMS).rows
    body = {
        "day": window.day,
        "is_today": window.is_today,
        "previous_day": previous_day,
        "next_day": None if window.is_today else min(date.fromordinal(window.day.toordinal() + 1), today),
        "story_count": ranked.total,
        "ranking": [card.id for card in cards],
        "topics": views.by_topic(cards),
        "countries": views.by_country(cards),
        "latest": views.item_lines(latest_rows, names),
        "page_number": page,
        "page_count": pages,
    }
    t = messages(language.code)
    return render(request, "public/home", body, title=t("public.home.title"))


# -- stories and items ------------------------------------------------------------------------------


@portal.page("/story/{story_id}")
def story(
    request: Request, story_id: str, language: PortalLanguage, hub: HubDep, clock: ClockDep
) -> Response:
    now = clock()
    found = hub.storage.get_story(story_id, now)
    if found is None:
        raise TabadolError(ErrorCode.STORY_NOT_FOUND, story_id=story_id)
    if found.id != story_id:  # merged into an older story: its id answers with the survivor
        suffix = JSON_SUFFIX if wants_json(request) else ""
        return RedirectResponse(f"/{language.code}/story/{found.id}{suffix}", status_code=301)
    names = views.Names(hub, language)
    corroboration = views.corroborations(hub, [found])[found.id]
    full = data.items_by_id(hub.storage, list(found.item_ids), now)
    card = views.cards_for(hub, [(found, corroboration)], names)[0]
    versions = items.story_versions(hub, found, full, corroboration, names, _translator(request))
    body = {
        "story": card,
        "versions": versions,
        "timeline": items.story_timeline(hub, found, full, corroboration, names, now),
        "republications": [
            {
                "item_id": entry.item_id,
                "member": names.member(entry.member),
                "via": entry.via,
                "source_member": names.member(entry.source_member),
            }
            for entry in corroboration.republications
        ],
        "translation_available": _translator(request) is not None,
    }
    return render(request, "public/story", body, title=card.headline.text)


@portal.page("/item/{item_id}")
def item(request: Request, item_id: str, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    now = clock()
    shown, versions = hub.readable_versions(item_id, now)
    if not items.is_public(shown):  # a killed item is gone from the public pages
        raise TabadolError(ErrorCode.ITEM_NOT_FOUND, item_id=item_id)
    names = views.Names(hub, language)
    provenance = hub.storage.item_provenance(shown.id)
    story_id, related = items.related_items(hub, shown, names, now)
    facets = data.facets_of(hub.storage, [shown.id]).get(shown.id)
    translation, translation_error = None, None
    translator = _translator(request)
    if items.wants_translation(request.query_params.get("translation"), shown.language, language):
        translation, translation_error = items.machine_translation(hub, shown, language, translator)
    parsed = shown.parsed
    body = {
        "item": {
            "id": shown.id,
            "headline": shown.headline,
            "language": shown.language,
            "dir": views.direction(shown.language),
            "body": items.body_of(shown),
            "member": names.member(shown.member_code),
            "byline": parsed.byline,
            "located": parsed.located,
            "first_created": shown.first_created,
            "version_created": shown.version_created,
            "version": shown.version,
            "link": parsed.link if (parsed.link or "").startswith(("https://", "http://")) else None,
            "copyright": parsed.copyright_notice,
            "usage_terms": parsed.usage_terms,
            "original_href": f"/api/v1/items/{shown.id}/original",
        },
        "story_id": story_id,
        "topics": [ref for code, _ in (facets.topics if facets else ()) if (ref := names.topic(code))],
        "countries": [names.country(code) for code in (facets.countries if facets else ())],
        "versions": items.version_entries(shown, versions, provenance),
        "keys_href": items.KEYS_HREF,
        "fact_checks": items.fact_checks_of(hub, shown.id, names),
        "related": related,
        "translation_available": (
            translator is not None and bool(shown.language) and views.primary(shown.language) != language.code
        ),
        "translation": translation,
        "translation_error": translation_error,
    }
    return render(request, "public/item", body, title=shown.headline)


# -- topics -----------------------------------------------------------------------------------------


@portal.page("/topics")
def topics(request: Request, language: PortalLanguage) -> Response:
    tree = []
    for topic in iptc_taxonomy().topics:
        if topic.parent is None:
            ref = views.topic_ref(topic.code, language.code)
            children = [
                views.topic_ref(code, language.code) for code in views.topic_children().get(topic.code, ())
            ]
            tree.append({"topic": ref, "children": _subtree(children, language)})
    t = messages(language.code)
    return render(request, "public/topics", {"topics": tree}, title=t("public.topics.title"))


def _subtree(refs: list[views.TopicRef | None], language: Language) -> list[dict[str, Any]]:
    out = []
    for ref in refs:
        if ref is None:
            continue
        grandchildren = [
            views.topic_ref(code, language.code) for code in views.topic_children().get(ref.code, ())
        ]
        out.append({"topic": ref, "children": _subtree(grandchildren, language)})
    return out


@portal.page("/topic/{code}")
def topic(request: Request, code: str, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    found = views.topic_code(code)
    if found is None:
        raise TabadolError(ErrorCode.NOT_FOUND, path=request.url.path)
    ref = views.topic_ref(found, language.code)
    assert ref is not None
    names = views.Names(hub, language)
    listed = data.list_rows(
        hub.storage, clock(), LIST_PAGE, _cursor(request), topic_codes=views.topic_with_descendants(found)
    )
    parent = views.topic_ref(f"medtop:{ref.parent}", language.code) if ref.parent else None
    children = [views.topic_ref(child, language.code) for child in views.topic_children().get(found, ())]
    body = {
        "topic": ref,
        "parent": parent,
        "children": [child for child in children if child is not None],
        "items": views.item_lines(listed.rows, names),
        "next_cursor": listed.next_cursor,
        "first_page": _cursor(request) is None,
    }
    return render(request, "public/topic", body, title=ref.label)


# -- countries --------------------------------------------------------------------------------------


@portal.page("/countries")
def countries(request: Request, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    names = views.Names(hub, language)
    counts = data.country_counts(hub.storage, clock())
    members = _members_by_country(names)
    codes = country_order(list(CASPIAN) + [code for code, count in counts.items() if count > 0], counts)
    entries = [
        {"country": names.country(code), "items": counts.get(code, 0), "members": members.get(code, [])}
        for code in codes
    ]
    t = messages(language.code)
    return render(request, "public/countries", {"countries": entries}, title=t("public.countries.title"))


def _members_by_country(names: views.Names) -> dict[str, list[views.MemberRef]]:
    grouped: dict[str, list[views.MemberRef]] = {}
    for member in names.members():
        grouped.setdefault(member.country, []).append(names.member(member.code))
    return grouped


@portal.page("/country/{iso}")
def country(request: Request, iso: str, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    code = iso.upper()
    if not is_known_country(code):
        raise TabadolError(ErrorCode.NOT_FOUND, path=request.url.path)
    if code != iso:
        suffix = JSON_SUFFIX if wants_json(request) else ""
        return RedirectResponse(f"/{language.code}/country/{code}{suffix}", status_code=301)
    names = views.Names(hub, language)
    listed = data.list_rows(hub.storage, clock(), LIST_PAGE, _cursor(request), country=code)
    ref = names.country(code)
    body = {
        "country": ref,
        "caspian": code in CASPIAN,
        "members": _members_by_country(names).get(code, []),
        "items": views.item_lines(listed.rows, names),
        "next_cursor": listed.next_cursor,
        "first_page": _cursor(request) is None,
    }
    return render(request, "public/country", body, title=ref.name)


# -- members ----------------------------------------------------------------------------------------


def _member_view(hub: Hub, names: views.Names, code: str) -> dict[str, Any]:
    member = hub.get_member(code)
    return {
        "member": names.member(code),
        "names": [
            {"language": tag, "name": name, "dir": views.direction(tag)} for tag, name in member.names.items()
        ],
        "country": names.country(member.country),
        "working_languages": list(member.languages),
        "since": member.created_at,
    }


@portal.page("/members")
def members(request: Request, language: PortalLanguage, hub: HubDep) -> Response:
    names = views.Names(hub, language)
    ordered = sorted(
        names.members(),
        key=lambda m: (
            m.country not in CASPIAN,
            CASPIAN.index(m.country) if m.country in CASPIAN else 0,
            m.country,
            names.member(m.code).name.casefold(),
        ),
    )
    entries = [_member_view(hub, names, member.code) for member in ordered if member.active]
    t = messages(language.code)
    return render(request, "public/members", {"members": entries}, title=t("public.members.title"))


@portal.page("/member/{code}")
def member(request: Request, code: str, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    names = views.Names(hub, language)
    view = _member_view(hub, names, code)
    listed = data.list_rows(hub.storage, clock(), LIST_PAGE, _cursor(request), member=code)
    body = {
        **view,
        "items": views.item_lines(listed.rows, names),
        "next_cursor": listed.next_cursor,
        "first_page": _cursor(request) is None,
    }
    return render(request, "public/member", body, title=view["member"].name)
