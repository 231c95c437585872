"""Task files: clear errors for corrupt files, checksums, and committed files equal to regenerated ones."""

from __future__ import annotations

import json

import pytest

import agentgym
from agentgym.errors import TaskFileError
from agentgym.taskstore import dump_tasks, load_tasks, write_tasks
from agentgym.types import Task


def _write(tmp_path, lines):
    path = tmp_path / "test.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_json_names_file_and_line(tmp_path):
    good = json.dumps({"id": "a", "env": "x", "split": "test"})
    path = _write(tmp_path, [good, '{"id": "b", "env": '])
    with pytest.raises(TaskFileError, match=r"test.jsonl:2: not valid JSON"):
        load_tasks(path)


def test_wrong_schema_names_the_field(tmp_path):
    path = _write(tmp_path, [json.dumps({"id": "a", "env": "x", "split": "test", "seed": "many"})])
    with pytest.raises(TaskFileError, match=r"test.jsonl:1: field 'seed': Input should be a valid integer"):
        load_tasks(path)
    path = _write(tmp_path, [json.dumps({"id": "a", "env": "x"})])
    with pytest.raises(TaskFileError, match=r":1: field 'split': Field required"):
        load_tasks(path)


def test_duplicate_ids_are_rejected(tmp_path):
    line = json.dumps({"id": "a", "env": "x", "split": "test"})
    with pytest.raises(TaskFileError, match=r":2: field 'id': duplicate task id 'a'"):
        load_tasks(_write(tmp_path, [line, line]))


def test_checksum_detects_an_edited_file(tmp_path):
    tasks = [Task(id=f"t{i}", env="x", split="test") for i in range(3)]
    path = write_tasks(tmp_path, "test", tasks)
    assert load_tasks(path) == tasks
    path.write_text(path.read_text().replace('"t1"', '"t9"'))
    with pytest.raises(TaskFileError, match="does not match SHA256SUMS"):
        load_tasks(path)


@pytest.mark.parametrize("name", agentgym.list_envs())
def test_committed_task_files_equal_the_generator_output(name):
    cls = agentgym.env_class(name)
    for split in cls.splits:
        path = cls.task_dir() / f"{split}.jsonl"
        assert path.exists(), f"missing {path}; run `agentgym tasks generate {name}`"
        assert path.read_bytes() == dump_tasks(cls.generate_tasks(split)), \
            f"{path} is stale; run `agentgym tasks generate {name}`"
