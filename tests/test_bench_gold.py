"""The benchmark's gold answer (`bot.bench_bot.GoldAnswers`): what the right action says for the gold intent,
rendered as the REST channel renders it, so a reply that names a response is compared by its text."""
from __future__ import annotations

import knowledge.query
from bot.bench_bot import GoldAnswers


def test_a_response_named_by_the_action_is_compared_by_its_text(kb, monkeypatch):
    monkeypatch.setattr(knowledge.query, "_default", kb)
    gold = GoldAnswers()
    said = gold.reply("vertel een mop", "out_of_scope", {})
    assert said == [gold.rendered("utter_out_of_scope")]
    assert said[0]["text"].startswith("Daar kan ik u helaas niet mee helpen")
    assert [b["title"] for b in said[0]["buttons"]] == ["Wat kun je wel?"]


def test_a_rule_that_utters_a_response_gives_its_text(kb, monkeypatch):
    monkeypatch.setattr(knowledge.query, "_default", kb)
    gold = GoldAnswers()
    intent, action = next((i, a) for i, a in gold.action_of.items() if a.startswith("utter_"))
    assert gold.reply("hallo", intent, {})[0]["text"] == gold.domain.responses[action][0]["text"]
