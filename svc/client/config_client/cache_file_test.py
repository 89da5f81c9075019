import json
import os
import stat

import pytest

from config_client import cache_file


def test_a_copy_is_written_whole_with_mode_0600_and_read_back(tmp_path):
    path = tmp_path / "deep" / "copy.json"
    cache_file.write(path, "http://s", "app", "cfg", 3, {"k": [1, 2]})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert cache_file.read(path, "http://s", "app", "cfg") == (3, {"k": [1, 2]})
    cache_file.write(path, "http://s", "app", "cfg", 4, {"k": 2})
    assert cache_file.read(path, "http://s", "app", "cfg") == (4, {"k": 2}) and os.listdir(path.parent) == ["copy.json"]


def test_a_failed_write_leaves_the_old_copy_and_no_temporary_file(tmp_path):
    path = tmp_path / "copy.json"
    cache_file.write(path, "http://s", "app", "cfg", 1, {"k": 1})
    with pytest.raises(TypeError):
        cache_file.write(path, "http://s", "app", "cfg", 2, {"k": object()})  # not JSON: fails halfway through
    assert cache_file.read(path, "http://s", "app", "cfg") == (1, {"k": 1}) and os.listdir(tmp_path) == ["copy.json"]


@pytest.mark.parametrize(
    "content",
    [
        None,
        "not json",
        "[]",
        json.dumps({"format": "other"}),
        json.dumps(
            {"format": cache_file.FORMAT, "application": "x", "configuration": "cfg", "version": 1, "config": {}}
        ),
        json.dumps({"format": cache_file.FORMAT, "application": "app", "configuration": "cfg", "version": "1"}),
    ],
)
def test_a_copy_that_is_missing_broken_or_of_another_configuration_is_not_used(tmp_path, content):
    path = tmp_path / "copy.json"
    if content is not None:
        path.write_text(content)
    assert cache_file.read(path, "http://s", "app", "cfg") is None
