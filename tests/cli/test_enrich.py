"""The enrichment commands: enrich (queue, stale, rebuild of one component), analyze, topics, and the
enrichment fields in export. The default pipeline runs here, every component included."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import RunCli

from tabadol.hub import Hub
from tabadol.storage.writes import ENRICH_JOB
from tabadol.types import MemberInfo

RUSSIAN = "Президент Казахстана Касым-Жомарт Токаев прибыл в Тегеран 12 марта 2025 года. Переговоры о Каспии."
PERSIAN = "رئیس جمهور ایران در تهران با وزیر امور خارجه روسیه دیدار کرد."


def add_items(run_cli: RunCli, tmp_path: Path, member: MemberInfo) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    # Plain text: the first paragraph is the headline.
    (folder / "ru.txt").write_text(RUSSIAN.replace(". ", ".\n\n", 1), encoding="utf-8")
    (folder / "fa.txt").write_text("دیدار در تهران\n\n" + PERSIAN, encoding="utf-8")
    result = run_cli("ingest", "--agency", member.code, str(folder / "ru.txt"), str(folder / "fa.txt"))
    assert result.exit_code == 0, result.output


def test_enrich_wait_empties_the_queue_and_export_carries_every_field(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    add_items(run_cli, tmp_path, member)
    assert hub.storage.queue_depth([ENRICH_JOB]) == 2
    result = run_cli("enrich", "--wait")
    assert result.exit_code == 0, result.output
    assert "queue empty" in result.output
    assert hub.storage.queue_depth([ENRICH_JOB]) == 0
    records = [json.loads(line) for line in run_cli("export").stdout.splitlines()]
    by_language = {record["enrichment"]["language"]: record["enrichment"] for record in records}
    russian = by_language["ru"]
    assert {"place/tehran", "place/kazakhstan"} <= {entity["id"] for entity in russian["entities"]}
    assert russian["topics"] and russian["topics"][0]["scheme"] == "iptc"
    assert [d["date"] for d in russian["dates"]] == ["2025-03-12"]
    assert "12" in russian["numbers"]
    assert russian["story_id"].startswith("st_")
    assert len(russian["vector"]["values"]) == 384
    assert set(russian["components"]) == {
        "language",
        "normalize",
        "dates",
        "numbers",
        "entities",
        "embed",
        "topics",
    }
    assert "place/tehran" in {entity["id"] for entity in by_language["fa"]["entities"]}


def test_enrich_does_only_stale_work_and_rebuilds_one_component(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    add_items(run_cli, tmp_path, member)
    assert "2 items enriched" in run_cli("enrich").output
    assert "0 items enriched" in run_cli("enrich").output  # nothing stale
    before = {item_id: r["entities"].updated_at for item_id, r in _results(hub).items()}
    result = run_cli("enrich", "--rebuild", "--component", "entities")
    assert result.exit_code == 0 and "2 items enriched (entities)" in result.output
    after = _results(hub)
    for item_id, results in after.items():
        assert results["entities"].updated_at > before[item_id]
    unknown = run_cli("enrich", "--component", "telepathy")
    assert unknown.exit_code == 1 and "E602" in unknown.stderr


def _results(hub: Hub) -> dict[str, dict]:  # type: ignore[type-arg]
    ids = hub.storage.all_item_ids()
    return hub.storage.enrichment_of(ids)


def test_analyze_reads_json_lines_and_writes_one_line_each(run_cli: RunCli, hub: Hub) -> None:
    lines = json.dumps({"id": "a", "text": RUSSIAN}) + "\n" + json.dumps({"id": 7, "text": PERSIAN}) + "\n"
    from typer.testing import CliRunner

    from tabadol.cli import app

    env = {"TABADOL_DATABASE_URL": hub.settings.database_url}
    result = CliRunner().invoke(app, ["analyze", "--vectors"], input=lines, env=env)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "7"]
    assert [o["language"] for o in out] == ["ru", "fa"]
    assert all(len(o["vector"]) == 384 for o in out)
    assert "person/kassym-jomart-tokayev" in {e["id"] for e in out[0]["entities"]}
    bad = CliRunner().invoke(app, ["analyze"], input='{"id": 1}\n', env=env)
    assert bad.exit_code == 1 and "E608" in bad.stderr and "line 1" in bad.stderr


def test_topics_train_applies_a_members_scheme_beside_iptc(
    run_cli: RunCli, hub: Hub, member: MemberInfo, tmp_path: Path
) -> None:
    rows = [
        ("energy-desk", "Gas exports through the pipeline rose this year."),
        ("energy-desk", "The oil field doubled its output of crude."),
        ("energy-desk", "A new power plant feeds the grid with electricity."),
        ("energy-desk", "Газпром увеличил поставки газа по трубопроводу."),
        ("sports-desk", "The national team won the football match."),
        ("sports-desk", "The wrestler took gold at the championship."),
        ("sports-desk", "The marathon runners crossed the finish line."),
        ("sports-desk", "Сборная выиграла футбольный матч."),
    ]
    tsv = tmp_path / "desk.tsv"
    tsv.write_text("label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    result = run_cli("topics", "train", "irna-desks", str(tsv))
    assert result.exit_code == 0, result.output
    assert "irna-desks" in run_cli("topics", "list").stdout
    analysis = _analyze(hub, "Нефтяная компания увеличила добычу газа и нефти.", "irna-desks")
    assert analysis["topics"] and {t["scheme"] for t in analysis["topics"]} == {"irna-desks"}
    assert analysis["topics"][0]["code"] == "energy-desk"
    bad = tmp_path / "bad.tsv"
    bad.write_text("only-one-label\tsome text\n", encoding="utf-8")
    refused = run_cli("topics", "train", "broken", str(bad))
    assert refused.exit_code == 1 and "E604" in refused.stderr


def _analyze(hub: Hub, text: str, scheme: str) -> dict:  # type: ignore[type-arg]
    from typer.testing import CliRunner

    from tabadol.cli import app

    env = {"TABADOL_DATABASE_URL": hub.settings.database_url}
    result = CliRunner().invoke(
        app, ["analyze", "--scheme", scheme], input=json.dumps({"text": text}) + "\n", env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]
