"""What checking a token costs: one worker with AUTH=tokens and one with AUTH=off, both up at
once, their runs alternating in pairs whose order flips each time (tokens-off, off-tokens, ...),
so that the shared machine's drift falls on both alike and going first favours neither. A
pair's ratio compares two runs seconds apart; the median of the ratios is the figure, with
the req/s and the server CPU per request of each side."""

import statistics
from typing import Any

SIDES = ("tokens", "off")


def compare(measure, servers: dict, scenarios: list[str], pairs: int, sides: tuple[str, str] = SIDES) -> dict:
    """`servers` maps each side to (pid, base_url); `measure(pid, base_url, scenario)` is one run.
    Ratios are of the first side to the second (bench/run.py also compares metrics on and off)."""
    results = {}
    first, second = sides
    for scenario in scenarios:
        runs: dict[str, list[Any]] = {side: [] for side in sides}
        for pair in range(pairs):
            for side in sides if pair % 2 == 0 else reversed(sides):
                runs[side].append(measure(*servers[side], scenario))
        pairs_of = list(zip(runs[first], runs[second], strict=False))
        rps_ratios = [a["rps"] / b["rps"] for a, b in pairs_of]
        cpu_ratios = [a["cpu_ms_per_request"] / b["cpu_ms_per_request"] for a, b in pairs_of]
        results[scenario] = {
            **{
                side: {
                    "rps_median": statistics.median(run["rps"] for run in runs[side]),
                    "cpu_ms_per_request": statistics.median(run["cpu_ms_per_request"] for run in runs[side]),
                    "non_2xx": sum(run["non_2xx"] + run["socket_errors"] for run in runs[side]),
                }
                for side in sides
            },
            "rps_ratio": statistics.median(rps_ratios),
            "cpu_ratio": statistics.median(cpu_ratios),
            "rps_ratios": rps_ratios,
            "cpu_ratios": cpu_ratios,
            "pairs": pairs,
        }
    return results


def table(results: dict, sides: tuple[str, str] = SIDES, names: tuple[str, str] = ("tokens", "AUTH=off")) -> str:
    a, b = names
    ratio = "/".join(sides)
    lines = [
        f"| 1 worker each, alternating | {a} req/s | {b} req/s | {ratio} req/s (median of pairs) "
        f"| CPU ms/req {a} | {b} | {ratio} CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario, row in results.items():
        tokens, off = row[sides[0]], row[sides[1]]
        lines.append(
            f"| `{scenario}` | {tokens['rps_median']:,.0f} | {off['rps_median']:,.0f} | {row['rps_ratio']:.1%} "
            f"| {tokens['cpu_ms_per_request']:.3f} | {off['cpu_ms_per_request']:.3f} | {row['cpu_ratio']:.1%} |"
        )
    return "\n".join(lines)
