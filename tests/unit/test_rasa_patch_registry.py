"""Switching the Rasa patches on and off (bot_rasa/patches/__init__.py, bot_rasa/launch.py)."""

from __future__ import annotations

import copy
import importlib
import logging
import sys

import pytest

from bot_rasa import patches
from bot_rasa.patches import PATCHES, UnknownPatch, apply_enabled, patch_module, revert_all
from bot_rasa.patches._switch import as_called


@pytest.fixture(autouse=True)
def plain_rasa_then_back():
    """Every test starts with plain Rasa; whatever was on before is on again after."""
    before = revert_all()
    yield
    revert_all()
    apply_enabled({patches.ENV_VAR: ",".join(before) or "0"})


def replacements(name):
    return patch_module(name)._replacements()


def current(replacement):
    return vars(replacement.owner).get(replacement.attribute)


def is_ours(replacement):
    return as_called(current(replacement)) is as_called(replacement.new)


def is_rasas_own(replacement):
    value = as_called(current(replacement))
    if replacement.attribute == "copy":  # log_only_copies swaps the module's `copy` module
        return value is copy
    return value.__module__.startswith("rasa.")


def all_replacements():
    return [(name, item) for name in PATCHES for item in replacements(name)]


def test_every_patch_has_the_same_interface_and_a_docstring():
    for name in PATCHES:
        module = patch_module(name)
        assert name == module.NAME
        assert module.SUMMARY and len(module.__doc__.strip().splitlines()) > 5, name
        assert callable(module.apply) and callable(module.revert) and module.applied() is False
        assert replacements(name), name


def test_rasa_version_is_the_one_the_patches_were_written_for():
    import rasa

    assert rasa.__version__ == patches.RASA_VERSION


def test_nothing_is_on_after_importing_bot_rasa():
    import bot_rasa
    import bot_rasa.risk_entities
    import bot_rasa.tracker_store

    for module in (bot_rasa, bot_rasa.tracker_store, bot_rasa.risk_entities):
        importlib.reload(module)
    assert patches.applied() == []
    assert all(is_rasas_own(item) for _, item in all_replacements())


@pytest.mark.parametrize("value", ["0", "none", " off "])
def test_zero_runs_plain_rasa(value):
    assert apply_enabled({patches.ENV_VAR: value}) == []
    assert patches.applied() == []
    for name, item in all_replacements():
        assert is_rasas_own(item), (name, item.attribute)


@pytest.mark.parametrize("env", [{}, {patches.ENV_VAR: ""}, {patches.ENV_VAR: "1"}, {patches.ENV_VAR: "all"}])
def test_default_is_every_patch(env):
    assert apply_enabled(env) == list(PATCHES)
    assert patches.applied() == list(PATCHES)
    for name, item in all_replacements():
        assert is_ours(item), (name, item.attribute)


def test_a_list_applies_exactly_those():
    on = apply_enabled({patches.ENV_VAR: "gc_freeze, rule_index"})
    assert on == ["rule_index", "gc_freeze"]  # in the registry's order
    assert patches.applied() == ["rule_index", "gc_freeze"]
    for name, item in all_replacements():
        assert is_ours(item) if name in on else is_rasas_own(item), (name, item.attribute)


def test_an_unknown_name_is_a_clear_error_and_applies_nothing():
    with pytest.raises(UnknownPatch, match=r"unknown Rasa patch\(es\) 'rule_indx'.*known: cached_validators"):
        apply_enabled({patches.ENV_VAR: "rule_index,rule_indx"})
    assert patches.applied() == []
    with pytest.raises(UnknownPatch):
        patch_module("speedups")


def test_on_another_rasa_version_patches_stay_off_with_a_warning(caplog, monkeypatch):
    import rasa

    with caplog.at_level(logging.WARNING, logger="bot_rasa.patches"):
        assert apply_enabled({}, rasa_version="3.6.20") == []
    assert "Rasa 3.6.20 is not 3.6.21" in caplog.text and "plain Rasa" in caplog.text
    monkeypatch.setattr(rasa, "__version__", "3.7.0")  # the version check reads Rasa's own version
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot_rasa.patches"):
        assert apply_enabled({patches.ENV_VAR: "rule_index"}) == []
    assert "Rasa 3.7.0" in caplog.text and "rule_index" in caplog.text
    assert patches.applied() == []
    assert all(is_rasas_own(item) for _, item in all_replacements())


def test_applying_twice_keeps_rasas_own_functions():
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    from bot_rasa.patches import gc_freeze, rule_index

    first = rule_index.apply()
    assert apply_enabled({}) == list(PATCHES)
    assert apply_enabled({}) == list(PATCHES)
    assert rule_index.apply() == first
    assert RulePolicy._get_possible_keys is rule_index.possible_rule_keys
    assert first[0].original.__module__ == "rasa.core.policies.rule_policy"
    assert gc_freeze._rasa_load_model.__module__ == "rasa.core.agent"
    assert Agent.load_model is gc_freeze.load_model_then_freeze
    revert_all()  # one revert is enough after any number of applies
    assert all(is_rasas_own(item) for _, item in all_replacements())


@pytest.mark.parametrize("name", PATCHES)
def test_each_patch_switches_on_and_off(name):
    module = patch_module(name)
    before = [
        (item.owner, item.attribute, vars(item.owner).get(item.attribute, "inherited")) for item in replacements(name)
    ]
    replaced = module.apply()
    assert module.applied() and patches.applied() == [name]
    assert [(r.owner, r.attribute, r.original) for r in replaced] == before
    assert all(is_ours(item) for item in replacements(name))
    assert module.revert() == replaced
    assert not module.applied()
    after = [
        (item.owner, item.attribute, vars(item.owner).get(item.attribute, "inherited")) for item in replacements(name)
    ]
    assert all(a[2] is b[2] for a, b in zip(after, before)), "the very same objects (staticmethods stay static)"
    for keep in [item.keep_original_as for item in replacements(name) if item.keep_original_as]:
        assert getattr(module, keep) is None
    assert module.revert() == []  # reverting a patch that is off does nothing


def test_revert_puts_back_an_inherited_attribute():
    from bot_rasa.patches._switch import Replacement, Switch

    class Base:
        def hello(self):
            return "rasa"

    class Child(Base):
        pass

    switch = Switch({}, lambda: [Replacement(Child, "hello", lambda self: "ours")])
    switch.apply()
    assert Child().hello() == "ours"
    switch.revert()
    assert "hello" not in vars(Child) and Child().hello() == "rasa"


# --- the launcher ---------------------------------------------------------------------------


@pytest.fixture
def fake_rasa_cli(monkeypatch):
    import rasa.__main__

    seen = {}

    def main():
        seen.update(argv=list(sys.argv), applied=patches.applied())

    monkeypatch.setattr(rasa.__main__, "main", main)
    monkeypatch.setattr(sys, "argv", ["launch"])
    return seen


def test_launch_applies_the_selected_patches_then_runs_rasas_cli(fake_rasa_cli, monkeypatch, capsys):
    from bot_rasa import launch

    monkeypatch.setenv(patches.ENV_VAR, "rule_index,diet_predict")
    launch.main(["run", "--enable-api", "-p", "5005"])
    assert fake_rasa_cli == {
        "argv": ["rasa", "run", "--enable-api", "-p", "5005"],
        "applied": ["rule_index", "diet_predict"],
    }
    assert "Rasa patches on: rule_index, diet_predict" in capsys.readouterr().err


def test_launch_with_zero_is_plain_rasa(fake_rasa_cli, monkeypatch, capsys):
    from bot_rasa import launch

    monkeypatch.setenv(patches.ENV_VAR, "0")
    monkeypatch.setattr(sys, "argv", ["launch", "test", "core"])
    launch.main()
    assert fake_rasa_cli == {"argv": ["rasa", "test", "core"], "applied": []}
    assert "none (plain Rasa)" in capsys.readouterr().err


def test_launch_refuses_an_unknown_patch_before_rasa_starts(fake_rasa_cli, monkeypatch):
    from bot_rasa import launch

    monkeypatch.setenv(patches.ENV_VAR, "gc-freeze")
    with pytest.raises(UnknownPatch, match="gc-freeze"):
        launch.main(["run"])
    assert fake_rasa_cli == {}


def test_the_stack_starts_rasa_through_the_launcher(tmp_path):
    from bot.ops.stack import VENV_BIN, Stack

    stack = Stack(ports={"gateway": 1, "rasa": 2, "rasa-2": 3, "actions": 4, "nlg": 5}, model=tmp_path / "m.tar.gz")
    commands = stack.commands()
    for name in ("rasa", "rasa-2"):
        assert commands[name][:4] == [str(VENV_BIN / "python"), "-m", "bot_rasa.launch", "run"]
        assert "--enable-api" in commands[name]
