"""The newsroom's settings: subscriptions with their webhooks and feeds, API and signing keys, and the
usage ledger with its charts.

Every change calls what the API calls (web/api/subscriptions.py, deliver/webhooks.py,
deliver/subscription_ops.py, verify/keys.py, Hub.issue_key / revoke_key) with the logged-in person's
rights, so the rules (who may change what, what a valid filter or webhook URL is) live in one place and
the audit log records the change. A member's pages show only that member's subscriptions and keys;
administrators may look at another member's with `?member=`.

Secrets (a new webhook signing secret, a feed URL token, an API key) are shown once, on the page that
answers the POST which made them, with `Cache-Control: no-store`; they are never in a GET page or its
`.json` twin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from tabadol.deliver import webhooks as hooks
from tabadol.deliver.reports import (
    NO_TOPIC,
    ExchangeReport,
    LanguageRow,
    Period,
    ReportQuery,
    TopicRow,
    exchange_report,
    invalid,
    language_csv,
    report_csv,
    report_filename,
    report_query,
    takes_by_language,
    takes_by_topic,
    topic_csv,
    topics_of_takes,
)
from tabadol.deliver.subscription_ops import feed_urls, issue_feed_token, revoke_feed_token
from tabadol.deliver.subscriptions import filter_json
from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Principal, Role, Subscription, WebUser
from tabadol.verify.keys import register_public_key, revoke_signing_key
from tabadol.web.api import subscriptions as subscription_api
from tabadol.web.api.common import API_PREFIX, base_url
from tabadol.web.api.reports import report_members
from tabadol.web.auth import ClockDep, HubDep, require_writer_for
from tabadol.web.errors import validation_error
from tabadol.web.portal.catalog import Messages
from tabadol.web.portal.languages import LANGUAGES, Language
from tabadol.web.portal.pages import ledger_chart
from tabadol.web.portal.pages.facets import language_label, topic_label
from tabadol.web.portal.pages.settings_common import (
    NO_STORE,
    Problem,
    actor,
    choices,
    labelled,
    list_field,
    member_names,
    notice,
    problem_of,
    see_other,
    split_words,
    text_field,
)
from tabadol.web.portal.render import render, t_for
from tabadol.web.portal.routing import PortalLanguage, PortalRouter
from tabadol.web.portal.session import AdminUser, EditorUser, NewsroomUser, checked_form

portal = PortalRouter()

SUBSCRIPTIONS = "/newsroom/settings/subscriptions"
KEYS = "/newsroom/settings/keys"
LEDGER = "/newsroom/ledger"
DEAD_LETTERS_SHOWN = 20
DEAD_LETTERS_COUNTED = 1000
LEDGER_MONTHS = 12  # the default window of the ledger: this month and the eleven before it
LEDGER_BY_LANGUAGE = "language"  # ledger.csv?by=language: the takes by language instead of the pairs
LEDGER_BY_TOPIC = "topic"  # ledger.csv?by=topic: the takes by top-level IPTC topic
LEDGER_GROUPINGS = (LEDGER_BY_LANGUAGE, LEDGER_BY_TOPIC)
SUBSCRIPTION_NOTICES = (
    "created",
    "saved",
    "removed",
    "webhook_saved",
    "webhook_removed",
    "paused",
    "resumed",
    "replayed",
    "nothing_to_replay",
    "feed_revoked",
)
KEY_NOTICES = ("key_revoked", "signing_added", "signing_revoked")


# -- scope ------------------------------------------------------------------------------------------
def member_in_view(hub: Hub, user: WebUser, requested: str | None) -> str:
    """Whose settings the page shows: the person's member; an administrator may name another."""
    if requested and requested != user.member_code:
        if user.role is not Role.ADMIN:
            raise TabadolError(ErrorCode.FORBIDDEN, action=f"see {requested}'s settings")
        return hub.get_member(requested).code
    return user.member_code


def _member_query(hub: Hub, user: WebUser, member: str) -> str:
    return "" if member == user.member_code else f"?member={member}"


# -- the subscription form --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FilterForm:
    """A subscription as the form holds it: what was typed, before the API's rules check it."""

    name: str = ""
    members: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    entities: str = ""
    stories: str = ""
    max_urgency: str = ""
    query: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> FilterForm:
        return cls(
            name=text_field(form, "name"),
            members=list_field(form, "members"),
            languages=list_field(form, "languages"),
            topics=list_field(form, "topics"),
            entities=text_field(form, "entities"),
            stories=text_field(form, "stories"),
            max_urgency=text_field(form, "max_urgency"),
            query=text_field(form, "query"),
        )

    @classmethod
    def of(cls, subscription: Subscription) -> FilterForm:
        value = subscription.filter
        return cls(
            name=subscription.name,
            members=tuple(sorted(value.members)),
            languages=tuple(sorted(value.languages)),
            topics=tuple(sorted(value.topics)),
            entities=", ".join(sorted(value.entities)),
            stories=", ".join(sorted(value.stories)),
            max_urgency="" if value.max_urgency is None else str(value.max_urgency),
            query=value.query or "",
        )

    def filter_body(self) -> dict[str, Any]:
        """The API's `filter` object, for deliver/subscriptions.filter_from_json to judge."""
        urgency: int | str | None = None
        if self.max_urgency:
            urgency = int(self.max_urgency) if self.max_urgency.isdigit() else self.max_urgency
        return {
            "members": list(self.members),
            "languages": list(self.languages),
            "topics": list(self.topics),
            "entities": split_words(self.entities),
            "stories": split_words(self.stories),
            "max_urgency": urgency,
            "query": self.query or None,
        }

    def body(self, member: str | None = None) -> subscription_api.SubscriptionBody:
        try:
            return subscription_api.SubscriptionBody(name=self.name, filter=self.filter_body(), member=member)
        except ValidationError as exc:  # an empty name, as the API's body model says
            raise validation_error(exc.errors()) from None


def filter_options(hub: Hub, language: str, chosen: FilterForm) -> dict[str, Any]:
    """The checkbox groups: every member, the interface languages, the IPTC topics (with the values
    already chosen, so nothing made through the API is lost on saving)."""
    names = member_names(hub, language)
    topics = iptc_taxonomy().topics
    topic_labels = {topic.code: topic.label_in(language) for topic in topics}
    top_level = {topic.code for topic in topics if topic.parent is None}
    language_labels = {code: info.name for code, info in LANGUAGES.items()}
    return {
        "labels": {"members": names, "languages": language_labels, "topics": topic_labels},
        "members": labelled(choices(names, chosen.members), names),
        "languages": labelled(choices(LANGUAGES, chosen.languages), language_labels),
        "topics": [
            (code, label, code in top_level)
            for code, label in labelled(choices(topic_labels, chosen.topics), topic_labels)
        ],
        "urgencies": [str(level) for level in range(1, 10)],
    }


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: str
    name: str
    filter: dict[str, Any]
    updated_at: datetime
    webhook_url: str | None
    webhook_paused: bool


def _rows(hub: Hub, member: str) -> list[SubscriptionRow]:
    rows = []
    for subscription in hub.storage.list_subscriptions(member):
        found = hub.storage.get_webhook(subscription.id)
        hook = found[0] if found is not None else None
        rows.append(
            SubscriptionRow(
                subscription.id,
                subscription.name,
                filter_json(subscription.filter),
                subscription.updated_at,
                hook.url if hook else None,
                hook is not None and hook.paused_at is not None,
            )
        )
    return rows


def _subscriptions_page(
    request: Request,
    hub: Hub,
    user: WebUser,
    member: str,
    form: FilterForm,
    problem: Problem | None = None,
) -> Response:
    t = t_for(request)
    lang = request.state.lang
    data = {
        "user": user,
        "member": member,
        "member_name": member_names(hub, lang).get(member, member),
        "member_query": _member_query(hub, user, member),
        "can_write": user.role is Role.ADMIN or (user.role is Role.EDITOR and user.member_code == member),
        "subscriptions": _rows(hub, member),
        "form": form,
        "options": filter_options(hub, lang, form),
        "problem": problem,
        "notice": notice(request.query_params.get("done"), SUBSCRIPTION_NOTICES),
    }
    status = 200 if problem is None else problem.status
    return render(
        request, "settings/subscriptions", data, title=t("settings.subscriptions.title"), status_code=status
    )


@portal.page(SUBSCRIPTIONS)
def subscriptions(
    request: Request, language: PortalLanguage, user: NewsroomUser, hub: HubDep, member: str | None = None
) -> Response:
    shown = member_in_view(hub, user, member)
    return _subscriptions_page(request, hub, user, shown, FilterForm())


@portal.form(SUBSCRIPTIONS)
async def create_subscription(
    request: Request, language: PortalLanguage, user: EditorUser, hub: HubDep, member: str | None = None
) -> Response:
    form = await checked_form(request)
    shown = member_in_view(hub, user, member)
    typed = FilterForm.from_form(form)
    try:
        made = subscription_api.add_subscription(typed.body(shown), hub, actor(request, user))
    except TabadolError as error:
        return _subscriptions_page(request, hub, user, shown, typed, problem_of(error))
    return see_other(request, f"{SUBSCRIPTIONS}/{made['id']}", "created")


# -- one subscription -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WebhookView:
    url: str
    paused: bool
    paused_at: datetime | None
    delivered: int
    position: int
    failures: int  # failed attempts on the next event
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_attempt_at: datetime | None
    rotating: bool
    dead_letters: int  # not yet replayed


@dataclass(frozen=True, slots=True)
class FeedToken:
    id: str
    created_at: datetime
    revoked_at: datetime | None


def _webhook_view(hub: Hub, subscription_id: str) -> tuple[WebhookView | None, list[Any]]:
    found = hub.storage.get_webhook(subscription_id)
    if found is None:
        return None, []
    hook = found[0]
    letters = hooks.dead_letters(hub, subscription_id, DEAD_LETTERS_COUNTED)
    waiting = [letter for letter in letters if letter.replayed_at is None]
    view = WebhookView(
        url=hook.url,
        paused=hook.paused_at is not None,
        paused_at=hook.paused_at,
        delivered=hook.delivered,
        position=hook.position,
        failures=hook.attempts,
        last_status=hook.last_status,
        last_error=hook.last_error,
        last_attempt_at=hook.last_attempt_at,
        last_success_at=hook.last_success_at,
        next_attempt_at=hook.next_attempt_at if hook.attempts else None,
        rotating=hook.rotating,
        dead_letters=len(waiting),
    )
    return view, letters[:DEAD_LETTERS_SHOWN]


def _subscription_links(request: Request, subscription_id: str) -> dict[str, str]:
    root = base_url(request) + API_PREFIX + f"/subscriptions/{subscription_id}"
    return {"pull": f"{root}/feed", "stream": f"{root}/stream", "preview": f"{root}/preview"}


def _subscription_page(
    request: Request,
    hub: Hub,
    user: WebUser,
    subscription: Subscription,
    form: FilterForm | None = None,
    problem: Problem | None = None,
    webhook_url: str | None = None,
) -> Response:
    t = t_for(request)
    lang = request.state.lang
    shown = form or FilterForm.of(subscription)
    webhook, letters = _webhook_view(hub, subscription.id)
    tokens = [FeedToken(*row) for row in hub.storage.list_feed_tokens(subscription.id)]
    data = {
        "user": user,
        "subscription": {
            "id": subscription.id,
            "member": subscription.member_code,
            "name": subscription.name,
        },
        "filter": filter_json(subscription.filter),
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
        "can_write": user.role is not Role.READER
        and actor(request, user).can_write_for(subscription.member_code),
        "form": shown,
        "options": filter_options(hub, lang, shown),
        "webhook": webhook,
        "webhook_url": webhook.url if webhook_url is None and webhook else (webhook_url or ""),
        "dead_letters": letters,
        "feed_tokens": tokens,
        "links": _subscription_links(request, subscription.id),
        "problem": problem,
        "notice": notice(request.query_params.get("done"), SUBSCRIPTION_NOTICES),
    }
    status = 200 if problem is None else problem.status
    title = t("settings.subscription.title", name=subscription.name)
    return render(request, "settings/subscription", data, title=title, status_code=status)


def _visible(request: Request, hub: Hub, user: WebUser, subscription_id: str) -> Subscription:
    return subscription_api.visible_subscription(hub, actor(request, user), subscription_id)


def _writable(request: Request, hub: Hub, user: WebUser, subscription_id: str, action: str) -> Subscription:
    subscription = _visible(request, hub, user, subscription_id)
    require_writer_for(actor(request, user), subscription.member_code, action)
    return subscription


@portal.page(SUBSCRIPTIONS + "/{subscription_id}")
def subscription(
    request: Request, subscription_id: str, language: PortalLanguage, user: NewsroomUser, hub: HubDep
) -> Response:
    return _subscription_page(request, hub, user, _visible(request, hub, user, subscription_id))


@portal.form(SUBSCRIPTIONS + "/{subscription_id}")
async def save_subscription(
    request: Request, subscription_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    form = await checked_form(request)
    current = _visible(request, hub, user, subscription_id)
    typed = FilterForm.from_form(form)
    try:
        subscription_api.update_subscription(current.id, typed.body(), hub, actor(request, user))
    except TabadolError as error:
        return _subscription_page(request, hub, user, current, typed, problem_of(error))
    return see_other(request, f"{SUBSCRIPTIONS}/{current.id}", "saved")


@portal.form(SUBSCRIPTIONS + "/{subscription_id}/remove")
async def remove_subscription(
    request: Request, subscription_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    await checked_form(request)
    current = _visible(request, hub, user, subscription_id)
    subscription_api.remove_subscription(current.id, hub, actor(request, user))
    return see_other(request, SUBSCRIPTIONS + _member_query(hub, user, current.member_code), "removed")


# -- its webhook ------------------------------------------------------------------------------------
def _secret_page(request: Request, kind: str, back: str, values: dict[str, Any]) -> Response:
    """The one page that shows a new secret; nothing keeps it (no-store), nothing shows it again."""
    t = t_for(request)
    data = {"kind": kind, "back": back, **values}
    return render(
        request, "settings/secret", data, title=t(f"settings.secret.{kind}.title"), headers=NO_STORE
    )


@portal.form(SUBSCRIPTIONS + "/{subscription_id}/webhook")
async def set_webhook(
    request: Request, subscription_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    form = await checked_form(request)
    current = _writable(request, hub, user, subscription_id, "change webhooks")
    url = text_field(form, "url")
    try:
        secret = hooks.set_webhook(hub, current.id, url, actor(request, user))
    except TabadolError as error:
        return _subscription_page(request, hub, user, current, problem=problem_of(error), webhook_url=url)
    back = f"{SUBSCRIPTIONS}/{current.id}"
    if secret is None:
        return see_other(request, back, "webhook_saved")
    return _secret_page(request, "webhook", back, {"secret": secret, "subscription_name": current.name})


# The webhook's buttons (rotate, pause, resume, replay, remove) are one shape: check the form's CSRF
# token, check the person may change this subscription's webhook, make the change through
# deliver/webhooks.py (which writes the audit entry), then redirect with a notice. Each action is a
# row of WEBHOOK_ACTIONS and one route each is registered from it, so the URLs stay as they were.
@dataclass(frozen=True, slots=True)
class WebhookContext:
    """What an action needs: the request (for a page of its own), the hub, the subscription it
    changes, and the logged-in person's rights."""

    request: Request
    hub: Hub
    subscription: Subscription
    principal: Principal


@dataclass(frozen=True, slots=True)
class WebhookAction:
    name: str  # the last segment of the URL: .../webhook/<name>
    refusal: str  # what the person was refused, in the 403's message: "pause webhooks"
    change: Callable[[WebhookContext], str | Response]  # the notice to redirect with, or a page


def _rotate(context: WebhookContext) -> Response:
    current = context.subscription
    secret = hooks.rotate_webhook_secret(context.hub, current.id, context.principal)
    grace_hours = int(hooks.DEFAULT_ROTATION_GRACE.total_seconds() // 3600)
    values = {"secret": secret, "subscription_name": current.name, "grace_hours": grace_hours}
    return _secret_page(context.request, "rotated", f"{SUBSCRIPTIONS}/{current.id}", values)


def _pause(context: WebhookContext) -> str:
    hooks.pause_webhook(context.hub, context.subscription.id, True, context.principal)
    return "paused"


def _resume(context: WebhookContext) -> str:
    hooks.pause_webhook(context.hub, context.subscription.id, False, context.principal)
    return "resumed"


def _replay(context: WebhookContext) -> str:
    """Send the dead letters again: a replay from the oldest one not yet replayed (the events after
    it that were delivered go again too; receivers drop repeats by their idempotency key)."""
    hub, sid = context.hub, context.subscription.id
    waiting = [
        letter.event_id
        for letter in hooks.dead_letters(hub, sid, DEAD_LETTERS_COUNTED)
        if letter.replayed_at is None
    ]
    if not waiting:
        return "nothing_to_replay"
    hooks.replay_webhook(hub, sid, context.principal, from_event=min(waiting))
    return "replayed"


def _remove(context: WebhookContext) -> str:
    hooks.remove_webhook(context.hub, context.subscription.id, context.principal)
    return "webhook_removed"


WEBHOOK_ACTIONS = (
    WebhookAction("rotate", "rotate webhook secrets", _rotate),
    WebhookAction("pause", "pause webhooks", _pause),
    WebhookAction("resume", "resume webhooks", _resume),
    WebhookAction("replay", "replay webhooks", _replay),
    WebhookAction("remove", "remove webhooks", _remove),
)


def _webhook_handler(action: WebhookAction) -> Callable[..., Awaitable[Response]]:
    """The POST handler of one webhook action (FastAPI reads its parameters from the signature)."""

    async def handler(
        request: Request, subscription_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
    ) -> Response:
        await checked_form(request)
        current = _writable(request, hub, user, subscription_id, action.refusal)
        outcome = action.change(WebhookContext(request, hub, current, actor(request, user)))
        if isinstance(outcome, Response):
            return outcome
        return see_other(request, f"{SUBSCRIPTIONS}/{current.id}", outcome)

    handler.__name__ = handler.__qualname__ = f"webhook_{action.name}"
    return handler


for _action in WEBHOOK_ACTIONS:
    portal.form(f"{SUBSCRIPTIONS}/{{subscription_id}}/webhook/{_action.name}")(_webhook_handler(_action))


# -- its feeds --------------------------------------------------------------------------------------
@portal.form(SUBSCRIPTIONS + "/{subscription_id}/feed-tokens")
async def new_feed_token(
    request: Request, subscription_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    await checked_form(request)
    current = _writable(request, hub, user, subscription_id, "issue feed tokens")
    token_id, token = issue_feed_token(hub, current.id, actor(request, user))
    urls = feed_urls(base_url(request) + API_PREFIX, token)
    values = {"token_id": token_id, "urls": urls, "subscription_name": current.name}
    return _secret_page(request, "feed", f"{SUBSCRIPTIONS}/{current.id}", values)


@portal.form(SUBSCRIPTIONS + "/{subscription_id}/feed-tokens/{token_id}/revoke")
async def revoke_feed(
    request: Request,
    subscription_id: str,
    token_id: str,
    language: PortalLanguage,
    user: EditorUser,
    hub: HubDep,
) -> Response:
    await checked_form(request)
    current = _writable(request, hub, user, subscription_id, "revoke feed tokens")
    revoke_feed_token(hub, current.id, token_id, actor(request, user))
    return see_other(request, f"{SUBSCRIPTIONS}/{current.id}", "feed_revoked")


# -- keys -------------------------------------------------------------------------------------------
def _keys_page(
    request: Request, hub: Hub, user: WebUser, member: str, problem: Problem | None = None, typed: str = ""
) -> Response:
    t = t_for(request)
    lang = request.state.lang
    signing = [key for key in hub.storage.list_signing_keys() if key.member_code == member]
    data = {
        "user": user,
        "member": member,
        "member_name": member_names(hub, lang).get(member, member),
        "member_query": _member_query(hub, user, member),
        "is_admin": user.role is Role.ADMIN,
        "api_keys": hub.storage.list_api_keys(member),
        "signing_keys": signing,
        "roles": [role.value for role in Role],
        "problem": problem,
        "typed_public_key": typed,
        "notice": notice(request.query_params.get("done"), KEY_NOTICES),
    }
    status = 200 if problem is None else problem.status
    return render(request, "settings/keys", data, title=t("settings.keys.title"), status_code=status)


@portal.page(KEYS)
def keys(
    request: Request, language: PortalLanguage, user: EditorUser, hub: HubDep, member: str | None = None
) -> Response:
    return _keys_page(request, hub, user, member_in_view(hub, user, member))


@portal.form(KEYS + "/issue")
async def issue_api_key(
    request: Request, language: PortalLanguage, user: AdminUser, hub: HubDep, member: str | None = None
) -> Response:
    form = await checked_form(request)
    shown = member_in_view(hub, user, member)
    role = text_field(form, "role")
    if role not in {r.value for r in Role}:
        raise TabadolError(
            ErrorCode.INVALID_REQUEST_BODY, reason=f"role {role!r} is not one of admin, editor, reader"
        )
    key, token = hub.issue_key(shown, Role(role), text_field(form, "label"), actor=actor(request, user))
    values = {"token": token, "key_id": key.key_id, "role": key.role.value, "member": shown}
    return _secret_page(request, "api_key", KEYS + _member_query(hub, user, shown), values)


@portal.form(KEYS + "/{key_id}/revoke")
async def revoke_api_key(
    request: Request, key_id: str, language: PortalLanguage, user: AdminUser, hub: HubDep
) -> Response:
    await checked_form(request)
    found = hub.storage.get_api_key(key_id)
    hub.revoke_key(key_id, actor=actor(request, user))
    member = found[0].member_code if found is not None else user.member_code
    return see_other(request, KEYS + _member_query(hub, user, member), "key_revoked")


@portal.form("/newsroom/settings/signing-keys")
async def add_signing_key(
    request: Request, language: PortalLanguage, user: EditorUser, hub: HubDep, member: str | None = None
) -> Response:
    form = await checked_form(request)
    shown = member_in_view(hub, user, member)
    typed = text_field(form, "public_key")
    try:
        register_public_key(hub, shown, typed, text_field(form, "label"), actor(request, user))
    except TabadolError as error:
        return _keys_page(request, hub, user, shown, problem_of(error), typed)
    return see_other(request, KEYS + _member_query(hub, user, shown), "signing_added")


@portal.form("/newsroom/settings/signing-keys/{key_id}/revoke")
async def revoke_signing(
    request: Request, key_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    await checked_form(request)
    key = hub.storage.get_signing_key(key_id)
    revoke_signing_key(hub, key_id, actor(request, user))
    member = key.member_code if key is not None and key.member_code else user.member_code
    return see_other(request, KEYS + _member_query(hub, user, member), "signing_revoked")


# -- the usage ledger -------------------------------------------------------------------------------
def default_since(now: datetime, period: str | None) -> str | None:
    """Without `since`, months are shown for a year (this month and the eleven before it); other
    periods keep the API's default (the period `until` falls in)."""
    if (period or Period.MONTH.value) != Period.MONTH.value:
        return None
    months = now.astimezone(UTC).year * 12 + now.astimezone(UTC).month - 1 - (LEDGER_MONTHS - 1)
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _charts(report: ExchangeReport, names: dict[str, str], rtl: bool) -> dict[str, ledger_chart.Chart]:
    def name(code: str) -> str:
        return names.get(code, code)

    arrow = "←" if rtl else "→"  # from the source to the recipient, in the reading direction
    pairs = [
        ledger_chart.Category(
            f"{name(row.key.source)} {arrow} {name(row.key.recipient)}",
            (row.counts.supplied, row.counts.taken),
        )
        for row in report.totals
    ]
    by_period: dict[str, list[int]] = {}
    for row in report.rows:
        sums = by_period.setdefault(row.key.period, [0, 0])
        sums[0] += row.counts.supplied
        sums[1] += row.counts.taken
    periods = [ledger_chart.Category(label, (s, t)) for label, (s, t) in sorted(by_period.items())]
    return {
        "pairs": ledger_chart.horizontal("pairs", pairs, rtl),
        "periods": ledger_chart.vertical("periods", periods, rtl),
    }


@dataclass(frozen=True, slots=True)
class LedgerFilters:
    since: str
    until: str
    period: str
    member: str


@portal.page(LEDGER)
def ledger(
    request: Request,
    language: PortalLanguage,
    user: NewsroomUser,
    hub: HubDep,
    clock: ClockDep,
    since: str | None = None,
    until: str | None = None,
    period: str | None = None,
    member: str | None = None,
) -> Response:
    t = t_for(request)
    now = clock()
    filters = LedgerFilters(since or "", until or "", period or Period.MONTH.value, member or "")
    names = member_names(hub, language.code)
    data: dict[str, Any] = {
        "user": user,
        "filters": filters,
        "is_admin": user.role is Role.ADMIN,
        "members": sorted(names.items(), key=lambda pair: pair[1].lower()),
        "periods": [p.value for p in Period],
        "problem": None,
        "notice": None,
        "report": None,
        "charts": None,
        "by_language": None,
        "by_topic": None,
        "csv_href": _csv_href(request, language, None),
        "language_csv_href": _csv_href(request, language, LEDGER_BY_LANGUAGE),
        "topic_csv_href": _csv_href(request, language, LEDGER_BY_TOPIC),
    }
    scope = report_members(hub, actor(request, user), _blank(member))
    try:
        query = _ledger_query(scope, now, since, until, period)
    except TabadolError as error:
        data["problem"] = problem_of(error)
        return render(request, "settings/ledger", data, title=t("settings.ledger.title"), status_code=400)
    # One read of the takes for the three views: the pairs' ledger, the takes by language and by topic.
    takes = hub.storage.takes_between(query.since, query.until, query.members)
    report = exchange_report(hub.storage, query, takes)
    data["by_language"] = _language_rows(takes_by_language(query, takes), language)
    by_topic = takes_by_topic(query, takes, topics_of_takes(hub.storage, takes))
    data["by_topic"] = _topic_rows(by_topic, language, t)
    data["report"] = {
        "since": query.since,
        "until": query.until,
        "period": query.period.value,
        "rows": [_row(row, names) for row in report.rows],
        "totals": [_row(row, names) for row in report.totals],
    }
    data["charts"] = _charts(report, names, language.rtl)
    return render(request, "settings/ledger", data, title=t("settings.ledger.title"))


def _ledger_query(
    scope: tuple[str, ...] | None, now: datetime, since: str | None, until: str | None, period: str | None
) -> ReportQuery:
    """The report the page and its CSV show for the members in `scope` (report_members): months of
    the last year unless `since` says otherwise."""
    start = _blank(since) or default_since(now, _blank(period))
    return report_query(start, _blank(until), _blank(period), None, scope, now)


def _csv_href(request: Request, language: Language, by: str | None) -> str:
    """The CSV download of what the page shows (same filters), or of its takes by language or topic."""
    params = [(name, value) for name, value in request.query_params.multi_items() if name != "by"]
    if by:
        params.append(("by", by))
    return f"/{language.code}{LEDGER}.csv" + (f"?{urlencode(params)}" if params else "")


def _language_rows(rows: tuple[LanguageRow, ...], language: Language) -> list[dict[str, Any]]:
    """The takes by language as the page and its .json twin show them, with each language's name in
    the reader's language (CLDR's, so any language an item is written in has one)."""
    names = _language_names(rows, language)
    return [
        {
            "period": row.period,
            "language": row.language,
            "language_name": names[row.language],
            "taken": row.taken,
            "translated": row.translated,
        }
        for row in rows
    ]


def _language_names(rows: tuple[LanguageRow, ...], language: Language) -> dict[str, str]:
    return {row.language: language_label(row.language, language) for row in rows}


def _topic_rows(rows: tuple[TopicRow, ...], language: Language, t: Messages) -> list[dict[str, Any]]:
    """The takes by topic as the page and its .json twin show them, each topic labelled in the
    reader's language (the IPTC taxonomy's label, English where it has none)."""
    labels = _topic_labels(rows, language, t)
    return [
        {
            "period": row.period,
            "topic": row.topic,
            "topic_label": labels[row.topic],
            "taken": row.taken,
            "translated": row.translated,
        }
        for row in rows
    ]


def _topic_labels(rows: tuple[TopicRow, ...], language: Language, t: Messages) -> dict[str, str]:
    # Items not (yet) enriched have no topic: say so in words rather than show the code "none".
    return {
        row.topic: t("settings.ledger.no_topic")
        if row.topic == NO_TOPIC
        else topic_label(row.topic, language)
        for row in rows
    }


def _row(row: Any, names: dict[str, str]) -> dict[str, Any]:
    counts = row.counts
    return {
        "period": row.key.period,
        "source": row.key.source,
        "source_name": names.get(row.key.source, row.key.source),
        "recipient": row.key.recipient,
        "recipient_name": names.get(row.key.recipient, row.key.recipient),
        "supplied": counts.supplied,
        "updates": counts.updates,
        "kills": counts.kills,
        "taken": counts.taken,
        "translated": counts.translated,
    }


def ledger_csv(
    request: Request,
    language: PortalLanguage,
    user: NewsroomUser,
    hub: HubDep,
    clock: ClockDep,
    since: str | None = None,
    until: str | None = None,
    period: str | None = None,
    member: str | None = None,
    by: str | None = None,
) -> Response:
    """The ledger as the API's CSV (deliver/reports.report_csv), for the logged-in person's member;
    with `by=language`, the takes by period and original language (deliver/reports.language_csv); with
    `by=topic`, by period and the item's top-level topic (deliver/reports.topic_csv)."""
    grouping = _blank(by)
    if grouping is not None and grouping not in LEDGER_GROUPINGS:
        raise invalid("by", f"'{by}' is not one of {', '.join(LEDGER_GROUPINGS)} (or empty, for the pairs)")
    scope = report_members(hub, actor(request, user), _blank(member))
    query = _ledger_query(scope, clock(), since, until, period)
    if grouping == LEDGER_BY_LANGUAGE:
        return _language_download(hub, query, language)
    if grouping == LEDGER_BY_TOPIC:
        return _topic_download(hub, query, language, t_for(request))
    report = exchange_report(hub.storage, query)
    members = {info.code: info for info in hub.storage.list_members()}
    return _csv_response(report_csv(report, members, language.code), report_filename(query, "csv"))


def _language_download(hub: Hub, query: ReportQuery, language: Language) -> Response:
    rows = takes_by_language(query, hub.storage.takes_between(query.since, query.until, query.members))
    text = language_csv(rows, _language_names(rows, language))
    return _csv_response(text, report_filename(query, "csv", prefix="takes_by_language"))


def _topic_download(hub: Hub, query: ReportQuery, language: Language, t: Messages) -> Response:
    takes = hub.storage.takes_between(query.since, query.until, query.members)
    rows = takes_by_topic(query, takes, topics_of_takes(hub.storage, takes))
    text = topic_csv(rows, _topic_labels(rows, language, t))
    return _csv_response(text, report_filename(query, "csv", prefix="takes_by_topic"))


def _csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Not a page (no .json twin, no template): a download beside the ledger page.
portal.router.add_api_route("/{lang}" + LEDGER + ".csv", ledger_csv, methods=["GET"])
