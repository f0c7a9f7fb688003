"""Write a configuration dict as TOML, for tests and benchmarks that run the real commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any


def _value(v: Any) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):  # an inline table, e.g. a [web.users] entry
        items = (f"{json.dumps(str(k), ensure_ascii=False)} = {_value(x)}" for k, x in v.items())
        return "{ " + ", ".join(items) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, body in data.items():
        if isinstance(body, list) and body and isinstance(body[0], dict):
            for table in body:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {_value(v)}" for k, v in table.items() if v is not None]
                lines.append("")
        elif isinstance(body, dict) and body and all(isinstance(b, dict) for b in body.values()):
            # Named sub-tables, e.g. [oauth2.m365].
            for name, table in body.items():
                lines.append(f"[{section}.{name}]")
                lines += [f"{k} = {_value(v)}" for k, v in table.items() if v is not None]
                lines.append("")
        elif isinstance(body, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {_value(v)}" for k, v in body.items() if v is not None]
            lines.append("")
    return "\n".join(lines)


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(dumps(data), encoding="utf-8")
    return path
