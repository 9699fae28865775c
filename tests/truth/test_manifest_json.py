"""A manifest entry's JSON keeps the file format: the fields in their order, defaults left out."""

from __future__ import annotations

from dataclasses import asdict, fields

from workbench.truth.manifest import ManifestEntry


def _as_before(entry: ManifestEntry) -> dict[str, object]:
    """The serialisation as it was written with ``dataclasses.asdict`` (the format's definition)."""
    data = asdict(entry)
    del data["allocated_bytes"]
    for key in ("target", "link_group", "xattrs", "hash", "sparse"):
        if data[key] is None or data[key] == {} or data[key] is False:
            del data[key]
    return data


def test_an_entry_serialises_as_before_key_for_key() -> None:
    full = ManifestEntry("a/b", "file", 5, 0o100644, 1, 2, 3, link_group=4, xattrs={"user.k": "76"},
                         hash="ab" * 32, sparse=True, allocated_bytes=4096)
    bare = ManifestEntry("c", "symlink", 0, 0o120777, 0, 0, 9, target="a/b")
    for entry in (full, bare):
        assert list(entry.to_json().items()) == list(_as_before(entry).items())
    assert "allocated_bytes" not in full.to_json()
    written = set(full.to_json()) | set(bare.to_json())
    assert written == {f.name for f in fields(ManifestEntry)} - {"allocated_bytes"}, "a field is left out"
    assert ManifestEntry.from_json(full.to_json()) == full


def test_the_json_does_not_share_the_entrys_xattrs() -> None:
    entry = ManifestEntry("a", "file", 1, 0o100644, 0, 0, 1, xattrs={"user.k": "76"})
    entry.to_json()["xattrs"]["user.other"] = "00"
    assert entry.xattrs == {"user.k": "76"}
