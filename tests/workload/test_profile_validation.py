"""Profiles load strictly: bad input names the file, the line and the key (no root needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.workload.profile import known_profiles, load_profile

GOOD = """\
description: test profile
default_data_size: 8M
users: [ann]
groups:
  - {path: etc, content: config, share: 1, size: [100, 4K]}
  - {path: "{home}/Documents", content: office, share: 3, size: [4K, 64K], mode: "0600"}
specials:
  - {kind: symlink, path: "{home}/Desktop", target: Documents}
churn:
  active_hours: [9, 17]
  ops:
    - {op: create, in: "{home}/Documents", rate: 0.1}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(text)
    return path


def test_shipped_profiles_all_load_and_expose_homes() -> None:
    assert set(known_profiles()) >= {"classroom", "laptop", "fileserver", "media", "database"}
    for name in known_profiles():
        profile = load_profile(name)
        assert profile.home_dirs and all(h.startswith("home/") for h in profile.home_dirs)
        tops = {g.path.split("/")[0] for g in profile.groups}
        assert {"etc", "usr", "var"} <= tops or profile.os, name  # an os profile's OS part is the real one
        assert any(g.path.startswith("{home}") for g in profile.groups), name
        assert profile.churn, name
        assert profile.min_data_size() <= profile.default_data_size


def test_a_profile_can_be_given_by_path(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD))
    assert profile.name == "custom"
    assert profile.home_dirs == ["home/ann"]
    assert profile.groups[1].mode == 0o600
    assert profile.active_hours == (9, 17)


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        load_profile("no-such-profile")
    assert "no-such-profile" in str(err.value)
    for name in ("classroom", "laptop", "fileserver", "media", "database"):
        assert name in str(err.value)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("users: [ann]", "users: [ann"))
    with pytest.raises(UsageError) as err:
        load_profile(path)
    message = str(err.value)
    assert str(path) in message and "malformed YAML" in message
    line = int(message.split(":")[1])
    assert 3 <= line <= 5  # the unclosed list on line 3 is reported where the parser gives up


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = GOOD.replace('share: 3, size: [4K, 64K], mode: "0600"}', 'share: 3, size: [4K, 64K], colour: red}')
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as err:
        load_profile(path)
    assert f"{path}:6:" in str(err.value)
    assert "unknown key 'colour'" in str(err.value)


def test_unknown_top_level_key_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "retention: 7\n")
    with pytest.raises(UsageError, match=r"custom.yaml:13: unknown key 'retention'"):
        load_profile(path)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("content: config", "content: poetry", "content"),
        ('mode: "0600"', 'mode: "0999"', "mode"),
        ("share: 1,", "share: -1,", "share"),
        ("size: [100, 4K]", "size: [4K, 100]", "size"),
        ("rate: 0.1", "rate: 3", "rate"),
        ("active_hours: [9, 17]", "active_hours: [17, 9]", "active_hours"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(UsageError) as err:
        load_profile(path)
    assert f"'{key}'" in str(err.value) and str(path) in str(err.value)


def test_churn_in_an_unknown_folder_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('in: "{home}/Documents"', 'in: "{home}/Musik"'))
    with pytest.raises(UsageError, match="Musik"):
        load_profile(path)


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("default_data_size: 8M\n", ""))
    with pytest.raises(UsageError, match="missing the key 'default_data_size'"):
        load_profile(path)


def test_too_small_a_size_says_the_minimum() -> None:
    profile = load_profile("media")
    minimum = profile.min_data_size()
    assert minimum > 1 << 20
    with pytest.raises(UsageError) as err:
        profile.check_data_size(minimum - (1 << 20))
    assert f"at least {minimum >> 20}M" in str(err.value)
    profile.check_data_size(minimum)  # the minimum itself is accepted
