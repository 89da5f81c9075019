from config_service.bench.auth_cost import compare, table


def test_runs_alternate_in_pairs_whose_order_flips_and_the_figure_is_the_median_of_the_pairs_ratios():
    # the second pair runs while the machine is busy elsewhere: both of its runs slump
    figures = {"t": iter([9_800, 5_000, 9_700]), "o": iter([10_000, 5_100, 10_000])}
    calls = []

    def measure(pid, base_url, scenario):
        calls.append((pid, base_url, scenario))
        return {
            "rps": next(figures[base_url]),
            "cpu_ms_per_request": 0.102 if base_url == "t" else 0.1,
            "non_2xx": 1 if base_url == "o" else 0,
            "socket_errors": 0,
        }

    results = compare(measure, {"tokens": (1, "t"), "off": (2, "o")}, ["GET x"], pairs=3)

    tokens_first, off_first = [(1, "t", "GET x"), (2, "o", "GET x")], [(2, "o", "GET x"), (1, "t", "GET x")]
    assert calls == tokens_first + off_first + tokens_first
    row = results["GET x"]
    assert [round(r, 3) for r in row["rps_ratios"]] == [0.98, 0.98, 0.97]
    assert abs(row["rps_ratio"] - 0.98) < 1e-9 and abs(row["cpu_ratio"] - 1.02) < 1e-9 and row["pairs"] == 3
    assert (row["tokens"]["rps_median"], row["off"]["rps_median"]) == (9_700, 10_000)
    assert (row["tokens"]["non_2xx"], row["off"]["non_2xx"]) == (0, 3)
    assert "| `GET x` | 9,700 | 10,000 | 98.0% | 0.102 | 0.100 | 102.0% |" in table(results)
