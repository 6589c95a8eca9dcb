"""Loaders of the topic-stance public datasets (stance.data.topics).

Tiny fixtures in each real format (nothing copied from the real files); the last tests read the real
copies under shared/datasets, when present, and check DATASETS.md's counts.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from stance.data.errors import DataError
from stance.data.targets import _check_target
from stance.data.topics import (
    TOPIC_LOADERS,
    anchor,
    anchored,
    load_ibm_claim_stance,
    load_pstance,
    load_semeval2016,
    load_vast,
)
from stance.training import DataSource, read_source

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def check_rows(rows, path="fixture"):
    """Every row in the project's stance format: anchored targets pass the project's own span check."""
    for line, row in enumerate(rows, 1):
        assert row["text"] and row["topic"] and row["topic_stance"] in ("favor", "against", "neutral")
        assert len(row["targets"]) <= 1
        for target in row["targets"]:
            _check_target(target, row["text"], path, line, "targets[0]")


def raises_at(path: Path, line: int | None, words: str, field: str | None = None):
    where = f"{path}:{line}" if line is not None else str(path)
    if field:
        where += f": field {field!r}"
    return pytest.raises(DataError, match=f"{re.escape(where)}.*{re.escape(words)}")


def stance_of(row):
    return row["targets"][0]["stance"] if row["targets"] else None


# --------------------------------------------------------------------------- anchoring


@pytest.mark.parametrize(
    "text, topic, mention",
    [
        ("Thank you @realDonaldTrump for nothing", "Donald Trump", "@realDonaldTrump"),
        ("so proud of #JoeBiden tonight", "Joe Biden", "#JoeBiden"),  # a handle also matches as a hashtag
        ("HILLARY CLINTON for president", "Hillary Clinton", "HILLARY CLINTON"),  # longest alias, any case
        ("Vote Bernie, not Joe", "Bernie Sanders", "Bernie"),
        ("what Clinton said", "Hillary Clinton", "Clinton"),
        ("Global  warming is real", "Climate Change is a Real Concern", "Global  warming"),
        ("the gun control debate", "gun control", "gun control"),  # a topic without aliases is its own
    ],
)
def test_anchor_finds_topic_or_alias(text, topic, mention):
    target = anchor(text, topic)
    assert target["mention"] == mention and text[target["start"]:target["end"]] == mention
    assert target["actor"] == topic


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Trumpets and trumpeters", "Donald Trump"),  # whole words only
        ("follow @realDonaldTrumpFan", "Donald Trump"),
        ("Joe and Donald had lunch", "Joe Biden"),  # ambiguous first names are no aliases
        ("abortions are", "Atheism"),
    ],
)
def test_anchor_needs_a_whole_alias(text, topic):
    assert anchor(text, topic) is None


def test_anchor_takes_the_first_occurrence():
    target = anchor("Biden met Bernie Sanders, then Sanders left", "Bernie Sanders")
    assert (target["mention"], target["start"]) == ("Bernie Sanders", 10)


# --------------------------------------------------------------------------- SemEval-2016 (TweetEval)


def write_semeval(folder: Path, target: str, split: str, texts: list[str], labels: list[str]) -> Path:
    (folder / target).mkdir(parents=True, exist_ok=True)
    (folder / target / f"{split}_text.txt").write_text("".join(t + " \n" for t in texts), encoding="utf-8")
    (folder / target / f"{split}_labels.txt").write_text("".join(label + "\n" for label in labels), encoding="utf-8")
    return folder / target


def test_semeval_maps_labels_strips_semst_and_keeps_unanchored_rows(tmp_path):
    folder = tmp_path / "stance"
    write_semeval(folder, "hillary", "train", ["@user Hillary has my vote #SemST", "No way, #HillaryClinton #SemST",
                                               "Rain again today #SemST"], ["2", "1", "0"])
    write_semeval(folder, "hillary", "val", ["Clinton spoke  today #SemST"], ["0"])
    write_semeval(folder, "atheism", "train", ["God is great #SemST"], ["1"])
    rows = load_semeval2016(folder)
    check_rows(rows)
    by_text = {r["text"]: r for r in rows}
    assert set(by_text) == {"@user Hillary has my vote", "No way, #HillaryClinton", "Rain again today",
                            "Clinton spoke today", "God is great"}
    assert [stance_of(by_text[t]) for t in ("@user Hillary has my vote", "No way, #HillaryClinton", "Clinton spoke today")] \
        == ["favor", "against", "neutral"]
    assert by_text["No way, #HillaryClinton"]["targets"][0]["mention"] == "#HillaryClinton"
    unanchored = by_text["God is great"]
    assert unanchored["targets"] == [] and unanchored["topic"] == "Atheism" and unanchored["topic_stance"] == "against"
    assert by_text["Clinton spoke today"]["split"] == "val" and by_text["Rain again today"]["origin"] == "hillary/train_text.txt:3"
    # One target folder is enough; the folder name gives the target.
    assert {r["topic"] for r in load_semeval2016(folder / "hillary")} == {"Hillary Clinton"}


def test_anchored_keeps_anchored_rows_and_warns_per_file(tmp_path):
    folder = tmp_path / "stance"
    write_semeval(folder, "hillary", "train", ["Hillary! #SemST", "Rain #SemST", "Sun #SemST"], ["2", "0", "0"])
    rows = load_semeval2016(folder)
    with pytest.warns(UserWarning, match=r"semeval2016: left out 2 of 3 rows of hillary/train_text.txt: their topic is not mentioned"):
        kept = anchored(rows)
    assert [r["text"] for r in kept] == ["Hillary!"]


def test_semeval_bad_input_names_file_line_and_field(tmp_path):
    folder = tmp_path / "stance"
    labels = write_semeval(folder, "feminist", "train", ["a #SemST", "b #SemST"], ["2", "3"]) / "train_labels.txt"
    with raises_at(labels, 2, "unknown label '3'", "label"):
        load_semeval2016(folder)
    labels.write_text("2\n", encoding="utf-8")
    with raises_at(labels, None, "1 labels for the 2 lines of train_text.txt"):
        load_semeval2016(folder)
    with raises_at(tmp_path, None, "not a TweetEval stance folder"):
        load_semeval2016(tmp_path)


def test_semeval_dedupes_by_text_and_topic(tmp_path, caplog):
    folder = tmp_path / "stance"
    write_semeval(folder, "abortion", "train", ["Abortion is care #SemST", "Abortion  is care #SemST", "Abortion? #SemST",
                                                "Abortion? #SemST"], ["2", "2", "1", "2"])
    caplog.set_level(logging.INFO, logger="stance.data")
    assert [r["text"] for r in load_semeval2016(folder)] == ["Abortion is care"]
    assert {r.drop_reason: r.dropped for r in caplog.records if hasattr(r, "dropped")} == {
        "duplicate (text, topic) rows (kept one)": 1,
        "copies of (text, topic) rows with conflicting stances (all copies dropped)": 2}
    assert len(load_semeval2016(folder, dedupe=False)) == 4


# --------------------------------------------------------------------------- P-Stance

PSTANCE = (
    "Tweet,Target,Stance\r\n"
    "\"Thanks @JoeBiden, you &amp; me\",Joe Biden,FAVOR\r\n"
    "Biden is a disaster,Joe Biden,AGAINST\r\n"
    "Four more years!,Joe Biden,FAVOR\r\n"
)


def test_pstance_maps_labels_unescapes_and_takes_split_from_name(tmp_path):
    (tmp_path / "raw_train_biden.csv").write_text(PSTANCE, encoding="utf-8", newline="")
    rows = load_pstance(tmp_path)
    check_rows(rows)
    assert [(r["text"], stance_of(r), r["topic_stance"]) for r in rows] == [
        ("Thanks @JoeBiden, you & me", "favor", "favor"), ("Biden is a disaster", "against", "against"),
        ("Four more years!", None, "favor")]
    assert rows[0]["targets"][0]["mention"] == "@JoeBiden" and rows[0]["targets"][0]["actor"] == "Joe Biden"
    assert {r["split"] for r in rows} == {"train"} and rows[1]["origin"] == "raw_train_biden.csv:3"


@pytest.mark.parametrize(
    "content, line, words, field",
    [
        ("Tweet,Stance\r\nhi,FAVOR\r\n", 1, "missing column(s) Target", "Target"),
        ("Tweet,Target,Stance\r\nhi,Joe Biden,NONE\r\n", 2, "unknown label 'NONE'", "Stance"),
        ("Tweet,Target,Stance\r\nhi,Kamala Harris,FAVOR\r\n", 2, "unknown target 'Kamala Harris'", "Target"),
        ("Tweet,Target,Stance\r\nhi,Joe Biden\r\n", 2, "expected 3 comma-separated fields", None),
    ],
)
def test_pstance_bad_input(tmp_path, content, line, words, field):
    path = tmp_path / "raw_val_biden.csv"
    path.write_text(content, encoding="utf-8", newline="")
    with raises_at(path, line, words, field):
        load_pstance(path)


# --------------------------------------------------------------------------- VAST

VAST_HEADER = ["author", "post", "ori_topic", "ori_id", "new_topic", "label", "type_idx", "new_id", "arc_id", "text",
               "pos_text", "text_s", "topic", "topic_str", "seen?", "contains_topic?"]


def write_vast(path: Path, rows: list[dict], header: list[str] = VAST_HEADER) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "vast_train"
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    book.save(path)
    return path


def test_vast_maps_labels_coerces_cells_and_fixes_synthetic_topics(tmp_path, caplog):
    post = "Gun control saves lives. Remember 9/11 and the 911 calls. Nestl\u00c3\u00a9 too."
    path = write_vast(tmp_path / "vast_train.xlsx", [
        {"post": post, "new_topic": "gun control", "label": 1, "type_idx": 1, "new_id": 1, "topic_str": "gun control"},
        {"post": post, "new_topic": datetime(2024, 9, 11), "label": 0, "type_idx": 3, "new_id": 2,
         "topic_str": datetime(2024, 9, 11)},
        {"post": post, "new_topic": 911, "label": 2, "type_idx": 2, "new_id": 3, "topic_str": 911},
        {"post": post, "new_topic": "gun control", "label": 2, "type_idx": 4, "new_id": 4, "topic_str": "mother teresa"},
        {"post": "Taxes on capital gains", "new_topic": "capital gains", "label": 0, "type_idx": 1, "new_id": 5,
         "topic_str": "capital gain"},
    ])
    caplog.set_level(logging.INFO, logger="stance.data")
    rows = load_vast(path)
    check_rows(rows)
    assert [(r["topic"], r["topic_stance"], r["type_idx"]) for r in rows] == [
        ("gun control", "favor", 1), ("9/11", "against", 3), ("911", "neutral", 2), ("mother teresa", "neutral", 4),
        ("capital gains", "against", 1)]
    assert [r["targets"][0]["mention"] if r["targets"] else None for r in rows] == [
        "Gun control", "9/11", "911", None, "capital gains"]
    assert rows[0]["text"].endswith("Nestl\u00e9 too.") and "repaired double-encoded UTF-8 in 4 texts" in caplog.text
    assert rows[0]["origin"] == "vast_train.xlsx:2" and rows[0]["split"] == "train" and rows[0]["id"] == 1


def test_vast_bad_input(tmp_path):
    path = write_vast(tmp_path / "vast_train.xlsx", [{"post": "p", "new_topic": "t", "label": 5, "type_idx": 1}])
    with raises_at(path, 2, "unknown label '5'", "label"):
        load_vast(path)
    path = write_vast(tmp_path / "vast_train.xlsx", [{"post": "p"}], header=["post", "label"])
    with raises_at(path, 1, "missing column(s) new_topic, type_idx", "new_topic"):
        load_vast(path)
    broken = tmp_path / "vast_dev.xlsx"
    broken.write_text("not a workbook", encoding="utf-8")
    with raises_at(broken, None, "not a readable .xlsx workbook"):
        load_vast(broken)


def test_vast_without_openpyxl_says_how_to_install(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_openpyxl(name, *args, **kwargs):
        if name == "openpyxl":
            raise ImportError("No module named 'openpyxl'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    with pytest.raises(ImportError, match=r"pip install openpyxl .*stance-mining\[public\]"):
        load_vast(tmp_path / "vast_train.xlsx")


# --------------------------------------------------------------------------- IBM Claim Stance

IBM_HEADER = ("topicId,split,topicText,topicTarget,topicSentiment,claims.claimId,claims.stance,claims.claimCorrectedText,"
              "claims.claimOriginalText,claims.article.rawFile,claims.article.rawSpan.start,claims.article.rawSpan.end,"
              "claims.article.cleanFile,claims.article.cleanSpan.start,claims.article.cleanSpan.end,claims.Compatible,"
              "claims.claimTarget.text,claims.claimTarget.span.start,claims.claimTarget.span.end,claims.claimSentiment,"
              "claims.targetsRelation")


def ibm_line(claim_id: str, stance: str, text: str, compatible: str, target: str, start: str, end: str, sentiment: str,
             split: str = "train") -> str:
    quoted = '"' + text.replace('"', '""') + '"'
    return (f"7,{split},This house would ban boxing,boxing,-1,{claim_id},{stance},{quoted},{quoted},a.txt,1,2,b.txt,1,2,"
            f"{compatible},{target},{start},{end},{sentiment},{sentiment and '1'}")


def write_ibm(folder: Path, *lines: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "claim_stance_dataset_v1.csv"
    path.write_text("\r\n".join((IBM_HEADER, *lines)) + "\r\n", encoding="utf-8", newline="")
    return path


def test_ibm_uses_target_spans_checks_them_and_skips_the_shifted_row(tmp_path, caplog):
    path = write_ibm(
        tmp_path,
        ibm_line("1", "CON", "boxing is a noble art", "yes", "boxing", "0", "6", "1"),
        ibm_line("2", "PRO", "the sport\nharms the brain", "yes", "the sport", "0", "9", "-1", "test"),  # a newline in both texts: 3 lines
        ibm_line("3", "PRO", "we fear head injuries", "yes", "head injuries", "0", "4", "-1"),  # wrong span: searched
        ibm_line("4", "PRO", "people love violence", "no", "", "", "", ""),  # incompatible: no target
        ibm_line("5", "PRO", "it is a sport", "yes", "cricket", "0", "7", "1"),  # target not in the text: reported
        '9,train,T,t,1,824404,PRO,"a;"" that is"," """"b""","a;"" that is"," """"b""",r.txt,1,2,c.txt,1,2,yes,a,0,1,1,1',
    )
    caplog.set_level(logging.INFO, logger="stance.data")
    rows = load_ibm_claim_stance(tmp_path)
    check_rows(rows)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert [(r["topic_stance"], stance_of(r)) for r in rows] == [
        ("against", "favor"), ("favor", "against"), ("favor", "against"), ("favor", None), ("favor", None)]
    assert rows[1]["text"] == "the sport\nharms the brain" and rows[1]["split"] == "test" and rows[1]["origin"].endswith(":3")
    assert rows[2]["targets"][0]["start"] == 8 and rows[0]["topic"] == "This house would ban boxing"
    assert "column-shifted row (claim_stance_dataset_v1.csv:9, claimId 824404: 23 fields, expected 21)" in caplog.text
    assert "1 claim targets are neither at their span nor in the claim" in caplog.text and "csv:8" in caplog.text
    with pytest.warns(UserWarning, match="left out 2 of 5 rows"):
        assert len(anchored(rows)) == 3
    assert path.is_file()


def test_ibm_bad_input(tmp_path):
    path = write_ibm(tmp_path, ibm_line("1", "PRO", "x y", "yes", "x", "0", "1", "0"))
    with raises_at(path, 2, "unknown label '0'", "claims.claimSentiment"):
        load_ibm_claim_stance(path)
    path = write_ibm(tmp_path, ibm_line("1", "MAYBE", "x y", "yes", "x", "0", "1", "1"))
    with raises_at(path, 2, "unknown label 'MAYBE'", "claims.stance"):
        load_ibm_claim_stance(path)
    path.write_text("topicId,split\r\n1,train\r\n", encoding="utf-8")
    with raises_at(path, 1, "missing column(s) topicText", "topicText"):
        load_ibm_claim_stance(path)


# --------------------------------------------------------------------------- training sources


def test_training_reads_topic_datasets_through_anchored(tmp_path):
    (tmp_path / "raw_train_trump.csv").write_text(
        "Tweet,Target,Stance\r\nTrump won,Donald Trump,FAVOR\r\nSad day,Donald Trump,AGAINST\r\n", encoding="utf-8", newline="")
    assert set(TOPIC_LOADERS) == {"semeval2016", "pstance", "vast", "ibm_claim_stance"}
    with pytest.warns(UserWarning, match="left out 1 of 2 rows of raw_train_trump.csv"):
        rows = read_source(DataSource(str(tmp_path), loader="pstance", task="stance"))
    assert [(r["text"], r["targets"][0]["stance"], r["task"], r["source"]) for r in rows] == [
        ("Trump won", "favor", "stance", "pstance")]
    ibm = write_ibm(tmp_path / "ibm", ibm_line("1", "PRO", "boxing is fun", "yes", "boxing", "0", "6", "1"))
    assert len(read_source(DataSource(str(ibm), loader="ibm_claim_stance", task="stance"))) == 1


# --------------------------------------------------------------------------- real data (DATASETS.md counts)


def real(name: str) -> Path:
    folder = DATASETS / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    return folder


def test_real_semeval2016():
    rows = load_semeval2016(real("semeval2016_stance_tweeteval"), dedupe=False)
    check_rows(rows)
    assert Counter((r["split"], r["topic_stance"]) for r in rows) == {
        ("train", "neutral"): 688, ("train", "against"): 1254, ("train", "favor"): 678,
        ("val", "neutral"): 78, ("val", "against"): 141, ("val", "favor"): 75}
    assert Counter(r["topic"] for r in rows)["Hillary Clinton"] == 620 + 69
    assert not any("#SemST" in r["text"] for r in rows)


def test_real_pstance():
    rows = load_pstance(real("pstance"), dedupe=False)
    check_rows(rows)
    assert Counter((r["split"], r["topic_stance"]) for r in rows) == {
        ("train", "favor"): 8347, ("train", "against"): 8877, ("val", "favor"): 1052, ("val", "against"): 1141}
    assert Counter(r["topic"] for r in rows) == {"Donald Trump": 6362 + 814, "Joe Biden": 5806 + 745, "Bernie Sanders": 5056 + 634}


def test_real_vast():
    pytest.importorskip("openpyxl")
    rows = load_vast(real("vast"), dedupe=False)
    check_rows(rows)
    assert len(rows) == 13477
    assert Counter(r["topic_stance"] for r in rows) == {"against": 5595, "favor": 5327, "neutral": 2555}
    assert {"9/11", "911"} <= {r["topic"] for r in rows}
    assert not any("\u00c3" in r["text"] for r in rows)


def test_real_ibm_claim_stance(caplog):
    caplog.set_level(logging.INFO, logger="stance.data")
    rows = load_ibm_claim_stance(real("ibm_claim_stance"), dedupe=False)
    check_rows(rows)
    # DATASETS.md: 2,394 claims (PRO 1,325 / CON 1,069); claimId 824404 (a PRO claim) is column-shifted and skipped.
    assert len(rows) == 2393 and "824404" in caplog.text
    assert Counter(r["topic_stance"] for r in rows) == {"favor": 1324, "against": 1069}
    assert len({r["topic"] for r in rows}) == 55
    assert sum(bool(r["targets"]) for r in rows) == 2259  # every Compatible = yes claim, at its given span
