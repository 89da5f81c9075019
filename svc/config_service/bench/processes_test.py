import os
import socket

from config_service.bench.processes import free_port, postgres_cpu_seconds, process_tree_cpu_seconds


def test_cpu_of_a_process_tree_is_counted():
    before = process_tree_cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert process_tree_cpu_seconds(os.getpid()) > before


def test_postgres_cpu_is_a_sum_that_only_grows():
    first = postgres_cpu_seconds()
    assert 0 <= first <= postgres_cpu_seconds()


def test_a_free_port_can_be_bound():
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
