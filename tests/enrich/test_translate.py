"""Machine translation plug-in: a real CTranslate2 model built here, a real HTTP service started here.

The CTranslate2 model is a one-layer Transformer whose weights are set by hand so that it copies its
input: the decoder's cross-attention at output position t looks only at source position t (one-hot
position encodings, a large query scale) and carries that source token's one-hot embedding to the output
projection. Copying makes every step of the real path checkable: SentencePiece tokenisation, the
language tokens added to the source and forced on the target, sentence and chunk batching,
`translate_batch`, token clean-up and detokenisation. Its positions stop at 160 tokens, so only text cut
into short enough segments comes back whole.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sentencepiece as spm
from ctranslate2.specs import transformer_spec
from hypothesis import given
from hypothesis import strategies as st

from tabadol.enrich.translate import (
    MachineTranslation,
    Translator,
    translate_item,
    translator_from_settings,
)
from tabadol.enrich.translate_ct2 import CTranslate2Translator
from tabadol.enrich.translate_http import HttpTranslator
from tabadol.enrich.translate_segments import split_sentences, translate_by_sentence
from tabadol.errors import ErrorCode, TabadolError

# -- a tiny copying CTranslate2 model ---------------------------------------------------------------

TRAINING_SENTENCES = [
    "The hub exchanges news between agencies.",
    "Wires arrive in many formats every day.",
    "An embargo holds a story until its release time.",
    "Kills withdraw an item from every member!",
    "Паром из Актау прибыл в порт Баку.",
    "Министры обсудили поставки газа.",
    "کشتی مسافربری خزر به بندر انزلی رسید.",
    "آیا صادرات گاز از سر گرفته شد؟",
]
LANGUAGE_TOKENS = {"en": "eng_Latn", "ru": "rus_Cyrl", "fa": "pes_Arab"}
MAX_POSITIONS = 160


def _sentencepiece_model(path: Path) -> Any:
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING_SENTENCES * 3),
        model_writer=buffer,
        vocab_size=120,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        user_defined_symbols=list(LANGUAGE_TOKENS.values()),
        # No "▁" before the first word: the first piece of a text then carries a letter, so a copy that
        # loses it (source language token missing) shows in the text.
        add_dummy_prefix=False,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    path.write_bytes(buffer.getvalue())
    return spm.SentencePieceProcessor(model_file=str(path))


def _copy_model_spec(vocabulary: list[str], add_source_eos: bool) -> Any:
    size, positions = len(vocabulary), MAX_POSITIONS
    width = size + positions  # one-hot token block, then one-hot position block
    spec = transformer_spec.TransformerSpec.from_config(1, 1)

    def zeros(*shape: int) -> np.ndarray:
        return np.zeros(shape, dtype=np.float32)

    def linear(layer: Any, weight: np.ndarray) -> None:
        layer.weight = weight.astype(np.float32)
        layer.bias = zeros(weight.shape[0])

    def norm(layer: Any) -> None:
        layer.gamma = np.ones(width, dtype=np.float32)
        layer.beta = zeros(width)

    def silent(layer: Any) -> None:
        # Self-attention and feed-forward add nothing: the residual stream passes unchanged.
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], zeros(3 * width, width))
        linear(layer.self_attention.linear[1], zeros(width, width))
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, zeros(4, width))
        linear(layer.ffn.linear_1, zeros(width, 4))

    position_codes = zeros(positions, width)
    position_codes[np.arange(positions), size + np.arange(positions)] = 1.0
    token_codes = zeros(size, width)
    token_codes[np.arange(size), np.arange(size)] = 1.0

    encoder, decoder = spec.encoder, spec.decoder
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = token_codes
    encoder.position_encodings.encodings = position_codes
    norm(encoder.layer_norm)
    silent(encoder.layer[0])

    decoder.scale_embeddings = False
    decoder.embeddings.weight = zeros(size, width)  # the decoder only knows where it is
    decoder.position_encodings.encodings = position_codes
    norm(decoder.layer_norm)
    layer = decoder.layer[0]
    silent(layer)
    norm(layer.attention.layer_norm)
    query = zeros(width, width)
    query[size:, size:] = 50.0 * np.eye(positions)
    key_value = zeros(2 * width, width)
    key_value[size:width, size:width] = np.eye(positions)  # keys: source positions
    key_value[width : width + size, :size] = np.eye(size)  # values: source tokens
    linear(layer.attention.linear[0], query)
    linear(layer.attention.linear[1], key_value)
    out = zeros(width, width)
    out[:size, :size] = 10.0 * np.eye(size)
    linear(layer.attention.linear[2], out)
    projection = zeros(size, width)
    projection[:, :size] = 10.0 * np.eye(size)
    linear(decoder.projection, projection)

    spec.config.add_source_eos = add_source_eos
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    return spec


def build_copy_model(folder: Path, spm_name: str, settings: dict[str, Any] | None) -> Path:
    """A model folder as an operator would lay it out. With language settings the source carries its
    own "</s>" (as NLLB and M2M100 want), otherwise the model config adds it (as Marian conversions do)."""
    folder.mkdir(parents=True)
    processor = _sentencepiece_model(folder / spm_name)
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    spec = _copy_model_spec(vocabulary, add_source_eos=not (settings or {}).get("append_eos", False))
    spec.save(str(folder))
    if spm_name == "source.spm":
        (folder / "target.spm").write_bytes((folder / "source.spm").read_bytes())
    if settings is not None:
        (folder / "tabadol-translation.json").write_text(json.dumps(settings), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bilingual_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OPUS-MT layout: source.spm + target.spm, one direction, short inputs to force chunking."""
    settings = {"model_id": "copy-en-ru-1", "pairs": [["en", "ru"]], "max_input_tokens": 24, "beam_size": 2}
    return build_copy_model(tmp_path_factory.mktemp("ct2") / "opus-copy", "source.spm", settings)


@pytest.fixture(scope="module")
def multilingual_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NLLB layout: one shared sentencepiece.bpe.model, language tokens in the source and as prefix."""
    settings = {
        "model_id": "copy-nllb-1",
        "language_tokens": LANGUAGE_TOKENS,
        "source_language_token": True,
        "target_language_token": "prefix",
        "append_eos": True,
    }
    return build_copy_model(tmp_path_factory.mktemp("ct2") / "nllb-copy", "sentencepiece.bpe.model", settings)


@pytest.fixture(scope="module")
def plain_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No tabadol-translation.json at all: defaults, any pair."""
    return build_copy_model(tmp_path_factory.mktemp("ct2") / "plain-copy", "sentencepiece.model", None)


# -- CTranslate2 ------------------------------------------------------------------------------------


def ct2(folder: Path) -> CTranslate2Translator:
    # One core each: CTranslate2's default (all cores, OpenMP spinning) crawls on a shared test machine.
    return CTranslate2Translator(folder, intra_threads=1)


def test_plain_folder_copies_through_the_real_model(plain_dir: Path) -> None:
    translator = ct2(plain_dir)
    assert isinstance(translator, Translator)
    assert translator.name == "ctranslate2"
    assert translator.model_id == "plain-copy"
    assert translator.languages is None
    texts = ["The hub exchanges news.", "Паром прибыл в порт.", ""]
    assert translator.translate(texts, "en", "ru") == texts


def test_translation_is_deterministic(plain_dir: Path) -> None:
    translator = ct2(plain_dir)
    text = "Wires arrive every day."
    first = translator.translate([text], "en", "fa")
    assert translator.translate([text], "en", "fa") == first == [text]


def test_body_longer_than_the_model_reads_is_cut_into_sentences_and_rebuilt(plain_dir: Path) -> None:
    paragraph = " ".join(TRAINING_SENTENCES[:4])
    body = f"{paragraph}\n\n{TRAINING_SENTENCES[4]} {TRAINING_SENTENCES[5]}\n{TRAINING_SENTENCES[7]}"
    tokenizer = spm.SentencePieceProcessor(model_file=str(plain_dir / "sentencepiece.model"))
    assert len(tokenizer.encode(body)) > MAX_POSITIONS  # far beyond what the model reads at once
    assert ct2(plain_dir).translate([body], "en", "ru") == [body]


def test_a_sentence_longer_than_max_input_tokens_is_cut_at_word_starts(bilingual_dir: Path) -> None:
    sentence = " ".join(["the hub exchanges news between agencies and wires arrive in many formats"] * 3)
    tokenizer = spm.SentencePieceProcessor(model_file=str(bilingual_dir / "source.spm"))
    assert len(tokenizer.encode(sentence)) > MAX_POSITIONS  # the model cannot read it in one go
    translator = ct2(bilingual_dir)
    assert translator.translate([sentence], "en", "ru") == [sentence]


def test_multilingual_model_gets_source_token_and_forced_target_token(multilingual_dir: Path) -> None:
    translator = ct2(multilingual_dir)
    assert translator.model_id == "copy-nllb-1"
    assert ("fa", "ru") in (translator.languages or set())
    # The copy of position t is only right if the source token fills position 0, and the forced
    # target token must not leak into the text.
    texts = ["کشتی به بندر انزلی رسید.", "Министры обсудили поставки газа."]
    assert translator.translate(texts, "fa-Arab", "ru") == texts
    assert translator.translate(["Паром прибыл."], "ru", "en") == ["Паром прибыл."]


def test_pairs_the_model_does_not_have_are_refused(bilingual_dir: Path, multilingual_dir: Path) -> None:
    with pytest.raises(TabadolError) as refused:
        ct2(bilingual_dir).translate(["Hello."], "ru", "en")
    assert refused.value.code is ErrorCode.TRANSLATION_UNAVAILABLE
    assert "ru→en" in refused.value.message
    assert ct2(bilingual_dir).translate(["An item."], "en-GB", "ru") == ["An item."]
    with pytest.raises(TabadolError) as no_token:
        ct2(multilingual_dir).translate(["Salam."], "az", "en")
    assert no_token.value.code is ErrorCode.TRANSLATION_UNAVAILABLE


def test_translate_item_is_labelled_machine(multilingual_dir: Path) -> None:
    before = datetime.now(UTC)
    result = translate_item(
        ct2(multilingual_dir), "Паром прибыл.", "Министры обсудили поставки газа.", "ru", "en"
    )
    assert result.machine is True
    assert (result.backend, result.model_id) == ("ctranslate2", "copy-nllb-1")
    assert (result.source_language, result.target_language) == ("ru", "en")
    assert result.headline == "Паром прибыл."
    assert result.text == "Паром прибыл.\n\nМинистры обсудили поставки газа."
    assert before <= result.created_at <= datetime.now(UTC)
    assert result.created_at.tzinfo is not None
    as_json = result.to_json()
    assert as_json["machine_translation"] is True
    assert "Machine translation ru→en" in as_json["label"]
    assert json.loads(json.dumps(as_json))["created_at"].endswith("Z")
    assert MachineTranslation.from_json(json.loads(json.dumps(as_json))) == result


def test_concurrent_callers_share_one_lazily_loaded_model(plain_dir: Path) -> None:
    translator = CTranslate2Translator(plain_dir, inter_threads=2, intra_threads=1)
    assert translator.translate(["", " \n"], "en", "ru") == ["", " \n"]
    assert not translator.is_loaded  # nothing to translate: the model stays on disk
    texts = [[sentence] for sentence in TRAINING_SENTENCES]
    results: dict[int, list[str]] = {}

    def work(index: int) -> None:
        results[index] = translator.translate(texts[index], "en", "ru")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == dict(enumerate(texts))
    assert translator.is_loaded


@pytest.mark.parametrize(
    ("remove", "settings", "reason"),
    [
        ("model.bin", None, "model.bin is missing"),
        ("sentencepiece.model", None, "no SentencePiece model"),
        (None, {"beam": 4}, "unknown keys"),
        (None, {"beam_size": 0}, "beam_size must be at least 1"),
        (None, {"max_input_tokens": True}, "max_input_tokens must be a int"),
        (None, {"target_language_token": "suffix"}, "target_language_token must be one of"),
        (None, {"pairs": [["en"]]}, "is not [source, target]"),
        (None, {"language_tokens": ["fa"]}, "language_tokens must map"),
        (None, {"source_spm": "missing.spm"}, "missing.spm is missing"),
    ],
)
def test_broken_folders_are_refused_up_front(
    plain_dir: Path, tmp_path: Path, remove: str | None, settings: dict[str, Any] | None, reason: str
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for file in plain_dir.iterdir():
        if file.name != remove:
            (folder / file.name).write_bytes(file.read_bytes())
    if settings is not None:
        (folder / "tabadol-translation.json").write_text(json.dumps(settings), encoding="utf-8")
    with pytest.raises(TabadolError) as refused:
        ct2(folder)
    assert refused.value.code is ErrorCode.MODEL_INVALID
    assert reason in refused.value.message


def test_settings_that_are_not_json_are_refused(plain_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for file in plain_dir.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    (folder / "tabadol-translation.json").write_text("{model_id: copy}", encoding="utf-8")
    with pytest.raises(TabadolError) as refused:
        ct2(folder)
    assert "not readable JSON" in refused.value.message


def test_a_corrupt_model_fails_on_first_use_with_model_invalid(plain_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for file in plain_dir.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    (folder / "model.bin").write_bytes(b"not a model")
    translator = ct2(folder)  # lazy: the layout is fine, nothing loaded yet
    with pytest.raises(TabadolError) as refused:
        translator.translate(["The hub."], "en", "ru")
    assert refused.value.code is ErrorCode.MODEL_INVALID


# -- sentences ----------------------------------------------------------------------------------------


def test_sentences_end_at_terminal_punctuation_in_every_script() -> None:
    text = '«Паром прибыл.» Министры ответили? آیا گاز رسید؟ بله. He said "no." Then left'
    assert split_sentences(text).sentences == (
        "«Паром прибыл.»",
        "Министры ответили?",
        "آیا گاز رسید؟",
        "بله.",
        'He said "no."',
        "Then left",
    )


def test_line_breaks_end_sentences_and_whitespace_is_kept() -> None:
    segmented = split_sentences("  Headline without stop\n\nBody one. Body two.  ")
    assert segmented.sentences == ("Headline without stop", "Body one.", "Body two.")
    assert segmented.gaps == ("  ", "\n\n", " ", "  ")


@given(st.text(alphabet=st.sampled_from("ab .?؟\n\t»"), max_size=40))
def test_rebuilding_from_the_sentences_gives_the_text_back(text: str) -> None:
    segmented = split_sentences(text)
    assert segmented.rebuild(segmented.sentences) == text
    assert all(s and s == s.strip() for s in segmented.sentences)


def test_translate_by_sentence_batches_all_texts_in_one_call() -> None:
    calls: list[list[str]] = []

    def shout(sentences: list[str]) -> list[str]:
        calls.append(sentences)
        return [s.upper() for s in sentences]

    assert translate_by_sentence(["One. Two.", "", "three\nfour"], shout) == ["ONE. TWO.", "", "THREE\nFOUR"]
    assert calls == [["One.", "Two.", "three", "four"]]


# -- the HTTP service -------------------------------------------------------------------------------


class LibreTranslateStub(ThreadingHTTPServer):
    """A LibreTranslate-compatible server on 127.0.0.1 that "translates" by tagging each text with the
    target language; `mode` makes it misbehave in one of the ways a real service can."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _LibreHandler)
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout tests) leaves a broken pipe behind: expected, not news.
        pass


class _LibreHandler(BaseHTTPRequestHandler):
    server: LibreTranslateStub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        mode = self.server.mode
        if mode == "slow" and self.server.release.wait(5):
            return  # the test is over: nobody is listening any more
        if body.get("api_key") != "k3y":
            return self._answer(403, {"error": "Invalid API key"})
        if mode == "error":
            return self._answer(400, {"error": f"{body['target']} is not supported"})
        if mode == "html":
            return self._answer(500, b"<html>Internal Server Error</html>")
        if mode == "not-json":
            return self._answer(200, b"translatedText: nope")
        if mode == "short":
            return self._answer(200, {"translatedText": body["q"][:-1]})
        if mode == "trickle":
            return self._trickle()
        return self._answer(200, {"translatedText": [f"[{body['target']}] {q}" for q in body["q"]]})

    def _answer(self, status: int, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _trickle(self) -> None:
        # Each byte arrives well within the read timeout, the whole answer does not.
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):
            if self.server.release.wait(0.05):
                return
            self.wfile.write(b" ")
            self.wfile.flush()


@pytest.fixture
def service() -> Iterator[LibreTranslateStub]:
    server = LibreTranslateStub()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def test_http_translates_with_the_libretranslate_api(service: LibreTranslateStub) -> None:
    translator = HttpTranslator(service.url + "/", api_key="k3y", timeout=5)
    assert isinstance(translator, Translator)
    result = translator.translate(["Паром прибыл.", "  ", "Газ."], "ru-Cyrl", "kk-Latn")
    assert result == ["[kk] Паром прибыл.", "  ", "[kk] Газ."]
    (request,) = service.requests
    assert request == {
        "path": "/translate",
        "q": ["Паром прибыл.", "Газ."],
        "source": "ru",
        "target": "kk",
        "format": "text",
        "api_key": "k3y",
    }
    translator.close()


def test_http_sends_large_batches_in_several_requests(service: LibreTranslateStub) -> None:
    translator = HttpTranslator(service.url, api_key="k3y", timeout=5, max_texts_per_request=4)
    texts = [f"text {i}" for i in range(10)]
    assert translator.translate(texts, "en", "tr") == [f"[tr] {t}" for t in texts]
    assert [len(r["q"]) for r in service.requests] == [4, 4, 2]


def test_http_translate_item_is_labelled(service: LibreTranslateStub) -> None:
    translator = HttpTranslator(f"{service.url}/translate", api_key="k3y", timeout=5)
    result = translate_item(translator, "Headline", "Body.", "en", "fa")
    assert (result.headline, result.body, result.machine) == ("[fa] Headline", "[fa] Body.", True)
    assert result.backend == "http"
    assert result.model_id == f"libretranslate@127.0.0.1:{service.server_address[1]}/translate"


@pytest.mark.parametrize(
    ("mode", "api_key", "reason"),
    [
        ("ok", "wrong", "HTTP 403: Invalid API key"),
        ("error", "k3y", "HTTP 400: tr is not supported"),
        ("html", "k3y", "HTTP 500"),
        ("not-json", "k3y", "not JSON"),
        ("short", "k3y", "no 'translatedText' list of 2 texts"),
    ],
)
def test_http_errors_become_translation_failed(
    service: LibreTranslateStub, mode: str, api_key: str, reason: str
) -> None:
    service.mode = mode
    translator = HttpTranslator(service.url, api_key=api_key, timeout=5)
    with pytest.raises(TabadolError) as failed:
        translator.translate(["one", "two"], "en", "tr")
    assert failed.value.code is ErrorCode.TRANSLATION_FAILED
    assert reason in failed.value.message
    assert api_key not in str(failed.value)
    assert len(service.requests) == 1  # no retries


@pytest.mark.parametrize("mode", ["slow", "trickle"])
def test_http_never_waits_past_the_timeout(service: LibreTranslateStub, mode: str) -> None:
    service.mode = mode
    translator = HttpTranslator(service.url, api_key="k3y", timeout=0.4)
    started = time.monotonic()
    with pytest.raises(TabadolError) as failed:
        translator.translate(["one"], "en", "tr")
    assert time.monotonic() - started < 2.0
    assert "did not answer within 0.4 s" in failed.value.message
    assert len(service.requests) == 1


def test_http_unreachable_service_fails_at_once() -> None:
    server = LibreTranslateStub()  # bound, then closed: nothing listens on that port any more
    url = server.url
    server.server_close()
    with pytest.raises(TabadolError) as failed:
        HttpTranslator(url, timeout=2).translate(["one"], "en", "tr")
    assert failed.value.code is ErrorCode.TRANSLATION_FAILED
    assert "cannot reach the service" in failed.value.message


def test_http_url_must_be_http_and_credentials_stay_out_of_the_model_id() -> None:
    for url in ("file:///etc/passwd", "ftp://mt.internal/", "mt.internal:5000", "http:///translate"):
        with pytest.raises(ValueError):
            HttpTranslator(url)
    translator = HttpTranslator("https://user:secret@mt.internal:5000/mt/?x=1")
    assert translator.endpoint == "https://user:secret@mt.internal:5000/mt/translate?x=1"
    assert translator.model_id == "libretranslate@mt.internal:5000/mt/translate"


# -- configuration and the record -------------------------------------------------------------------


def test_translation_is_off_by_default() -> None:
    assert translator_from_settings({}) is None
    assert translator_from_settings({"TABADOL_TRANSLATION_BACKEND": " OFF "}) is None
    with pytest.raises(TabadolError) as unavailable:
        translate_item(None, "Headline", "Body", "fa", "en")
    assert unavailable.value.code is ErrorCode.TRANSLATION_UNAVAILABLE


def test_settings_build_each_backend(plain_dir: Path) -> None:
    ct2 = translator_from_settings(
        {
            "TABADOL_TRANSLATION_BACKEND": "ctranslate2",
            "TABADOL_TRANSLATION_MODEL_DIR": str(plain_dir),
            "TABADOL_TRANSLATION_INTER_THREADS": "2",
            "TABADOL_TRANSLATION_INTRA_THREADS": "1",
        }
    )
    assert isinstance(ct2, CTranslate2Translator)
    assert (ct2.inter_threads, ct2.intra_threads) == (2, 1)
    http = translator_from_settings(
        {
            "TABADOL_TRANSLATION_BACKEND": "http",
            "TABADOL_TRANSLATION_URL": "http://mt.internal:5000",
            "TABADOL_TRANSLATION_API_KEY": "k3y",
            "TABADOL_TRANSLATION_TIMEOUT": "2.5",
        }
    )
    assert isinstance(http, HttpTranslator)
    assert http.timeout == 2.5


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"TABADOL_TRANSLATION_BACKEND": "deepl"}, "TABADOL_TRANSLATION_BACKEND"),
        ({"TABADOL_TRANSLATION_BACKEND": "ctranslate2"}, "TABADOL_TRANSLATION_MODEL_DIR"),
        (
            {"TABADOL_TRANSLATION_BACKEND": "ctranslate2", "TABADOL_TRANSLATION_MODEL_DIR": "/nonexistent/m"},
            "TABADOL_TRANSLATION_MODEL_DIR",
        ),
        ({"TABADOL_TRANSLATION_BACKEND": "http"}, "TABADOL_TRANSLATION_URL"),
        (
            {"TABADOL_TRANSLATION_BACKEND": "http", "TABADOL_TRANSLATION_URL": "file:///x"},
            "TABADOL_TRANSLATION_URL",
        ),
        (
            {
                "TABADOL_TRANSLATION_BACKEND": "http",
                "TABADOL_TRANSLATION_URL": "http://mt:5000",
                "TABADOL_TRANSLATION_TIMEOUT": "-1",
            },
            "TABADOL_TRANSLATION_TIMEOUT",
        ),
    ],
)
def test_configuration_mistakes_name_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(TabadolError) as invalid:
        translator_from_settings(env)
    assert invalid.value.code is ErrorCode.CONFIG_INVALID
    assert setting in invalid.value.message


def test_thread_counts_must_be_whole_numbers(plain_dir: Path) -> None:
    env = {
        "TABADOL_TRANSLATION_BACKEND": "ctranslate2",
        "TABADOL_TRANSLATION_MODEL_DIR": str(plain_dir),
        "TABADOL_TRANSLATION_INTER_THREADS": "0",
    }
    with pytest.raises(TabadolError) as invalid:
        translator_from_settings(env)
    assert "TABADOL_TRANSLATION_INTER_THREADS" in invalid.value.message


def test_translating_into_the_same_language_is_refused(plain_dir: Path) -> None:
    with pytest.raises(TabadolError) as refused:
        translate_item(ct2(plain_dir), "Headline", "Body", "kk-Cyrl", "kk-Latn")
    assert refused.value.code is ErrorCode.TRANSLATION_FAILED


def test_a_machine_translation_needs_a_utc_time() -> None:
    fields: dict[str, Any] = {
        "text": "t",
        "source_language": "fa",
        "target_language": "en",
        "backend": "http",
        "model_id": "m",
    }
    for bad in (
        datetime(2026, 11, 23, 12, 0),
        datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=3))),
    ):
        with pytest.raises(ValueError):
            MachineTranslation(created_at=bad, **fields)
    assert MachineTranslation(created_at=datetime(2026, 11, 23, tzinfo=UTC), **fields).machine is True
