import re

from prometheus_client import Counter, Gauge, Histogram

from config_service.metrics import families

ALL = [value for value in vars(families).values() if isinstance(value, Counter | Gauge | Histogram)]
# Labels whose values are bounded by the code, never by the data (no ids, no paths, no names).
BOUNDED_LABELS = {"method", "route", "status", "outcome", "kind", "change"}


def test_every_metric_is_named_by_the_conventions():
    assert len(ALL) == 18
    for metric in ALL:
        name = metric._name
        assert name.startswith("config_service_"), name
        if isinstance(metric, Counter):  # exposed with _total, named without it
            samples = {sample.name for family in metric.collect() for sample in family.samples}
            assert not name.endswith("_total") and (not samples or samples <= {name + "_total", name + "_created"})
        if isinstance(metric, Histogram):
            assert name.endswith("_seconds"), name
        assert re.fullmatch(r"[a-z_]+", name) and metric._documentation


def test_no_label_can_grow_with_the_data():
    for metric in ALL:
        assert set(metric._labelnames) <= BOUNDED_LABELS, (metric._name, metric._labelnames)


def test_the_readmes_table_names_every_metric_with_its_type_and_labels():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    rows = re.findall(r"^\| `(config_service_\w+)` \| (\w+) \| ([^|]+) \|", readme, re.M)
    documented = {name: (kind, labels.strip()) for name, kind, labels in rows}
    expected = {}
    for metric in ALL:
        kind = {Counter: "counter", Gauge: "gauge", Histogram: "histogram"}[type(metric)]
        name = metric._name + ("_total" if kind == "counter" else "")
        expected[name] = (kind, ", ".join(f"`{label}`" for label in metric._labelnames) or "-")
    assert documented == expected
