from config_service.bench import schema_cost
from config_service.bench.run import sample_config
from config_service.validation.json_schema import compile_schema


def test_the_schema_checks_every_key_of_the_sample_and_the_sample_fits_it():
    config = sample_config(7)
    schema = compile_schema(schema_cost.schema_for(config))
    assert schema.violations(config, 20, 1) == []
    assert len(schema_cost.schema_for(config)["properties"]) == len(config) == 20
    broken = {**config, "key_01": "not a number", "extra": 1}
    assert len(schema.violations(broken, 20, 1)) == 2


def test_runs_alternate_and_the_figure_is_the_median_of_the_pairs():
    order = []

    def measure(pid, base_url, scenario):
        order.append(scenario)
        rps = 90.0 if scenario == "with" else 100.0
        return {"rps": rps, "cpu_ms_per_request": 1.0, "non_2xx": 0, "socket_errors": 0}

    result = schema_cost.compare(measure, 1, "http://x", {"schema": "with", "none": "without"}, 3)
    assert order == ["with", "without", "without", "with", "with", "without"]
    assert result["rps_ratio"] == 0.9 and result["cpu_ratio"] == 1.0
    assert "90.0%" in schema_cost.table(result)
