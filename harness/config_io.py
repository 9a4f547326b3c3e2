"""Load user YAML into pydantic models with one-line errors (problem + fix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError
from harness.file_checks import require_file
from harness.text_encoding import read_text

M = TypeVar("M", bound=BaseModel)
# libyaml's loader when PyYAML was built with it: same results, ~10x faster (compare and the dashboard read
# every domain manifest and suite YAML; the pure-Python loader was most of a cold comparison's time).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> dict[str, Any]:
    require_file(path, "config file", "check the path or create the file",
                 folder_fix="pass the path of a YAML file inside that folder")
    try:
        data = yaml.load(read_text(path)[0], Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)  # Latin-1 / UTF-16 configs from Windows editors read too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise HarnessError(f"{path} is not valid YAML{where}", "fix the YAML syntax in that file") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HarnessError(f"{path} must hold a mapping at top level", "write `key: value` pairs")
    return data


def validate(model: type[M], data: dict[str, Any], source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()  # an unknown (often misspelt) field first: it usually explains the rest
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise HarnessError(f"{source}: field '{loc}': {err['msg']}",
                           f"fix '{loc}' in {source} (`harness config show DOMAIN` lists every field and its doc)"
                           ) from exc


def load_yaml_model(model: type[M], path: Path, overrides: dict[str, Any] | None = None) -> M:
    data = read_yaml(path)
    if overrides:
        data = deep_merge(data, overrides)
    return validate(model, data, str(path))


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """CLI `--set a.b=3` pairs into a nested dict; values parsed as YAML scalars."""
    result: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise HarnessError(f"override '{item}' has no '='", "write --set key=value, e.g. --set sft.max_steps=20")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = result
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result
