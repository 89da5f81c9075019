"""What a configuration's JSON Schema costs a PUT: one worker, PUTs of the same 20-key config to
configurations that carry a schema for it and to configurations without one, runs alternating in
pairs whose order flips each time (as bench/auth_cost.py does), so the machine's drift falls on
both alike. The median of the pairs' ratios is the figure."""

import statistics
from typing import Any

SIDES = ("schema", "none")


def schema_for(config: dict[str, Any]) -> dict[str, Any]:
    """A schema that `config` fits and that checks every key of it: its type, and its shape below."""

    def of(value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"type": "boolean"}
        if isinstance(value, int):
            return {"type": "integer", "minimum": -(2**53), "maximum": 2**53}
        if isinstance(value, str):
            return {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[a-z0-9-]+$"}
        if isinstance(value, list):
            return {"type": "array", "maxItems": 100}
        if isinstance(value, dict):
            return {
                "type": "object",
                "properties": {key: of(inner) for key, inner in value.items()},
                "required": sorted(value),
                "additionalProperties": False,
            }
        return {}

    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **of(config)}


def compare(measure, pid: int, base_url: str, scenarios: dict[str, str], pairs: int) -> dict:
    """`scenarios` maps each side to its scenario; `measure(pid, base_url, scenario)` is one run."""
    runs: dict[str, list[Any]] = {side: [] for side in SIDES}
    for pair in range(pairs):
        for side in SIDES if pair % 2 == 0 else reversed(SIDES):
            runs[side].append(measure(pid, base_url, scenarios[side]))
    pairs_of = list(zip(runs["schema"], runs["none"], strict=False))
    return {
        **{
            side: {
                "rps_median": statistics.median(run["rps"] for run in runs[side]),
                "cpu_ms_per_request": statistics.median(run["cpu_ms_per_request"] for run in runs[side]),
                "non_2xx": sum(run["non_2xx"] + run["socket_errors"] for run in runs[side]),
            }
            for side in SIDES
        },
        "rps_ratio": statistics.median(schema["rps"] / none["rps"] for schema, none in pairs_of),
        "cpu_ratio": statistics.median(
            schema["cpu_ms_per_request"] / none["cpu_ms_per_request"] for schema, none in pairs_of
        ),
        "pairs": pairs,
    }


def table(result: dict) -> str:
    schema, none = result["schema"], result["none"]
    return "\n".join(
        [
            "| 1 worker, PUT of a 20-key config, alternating | with a schema | without | with/without |",
            "|---|---|---|---|",
            f"| req/s (median of {result['pairs']} pairs) | {schema['rps_median']:,.0f} | {none['rps_median']:,.0f} "
            f"| {result['rps_ratio']:.1%} |",
            f"| service CPU ms/req | {schema['cpu_ms_per_request']:.3f} | {none['cpu_ms_per_request']:.3f} "
            f"| {result['cpu_ratio']:.1%} |",
            f"| non-2xx | {schema['non_2xx']} | {none['non_2xx']} | |",
        ]
    )
