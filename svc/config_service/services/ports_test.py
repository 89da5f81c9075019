"""The Protocols of services/ports.py against what implements them: the real
repositories and unit of work, and the fakes the service tests use."""

import inspect
import typing

import pytest

from config_service.db.pool import create_pool
from config_service.db.unit_of_work import UnitOfWork
from config_service.repositories.applications import ApplicationRepository
from config_service.repositories.changes import ChangeRepository
from config_service.repositories.configurations import ConfigurationRepository
from config_service.repositories.idempotency import IdempotencyRepository
from config_service.repositories.migrations import MigrationRepository
from config_service.repositories.tokens import TokenRepository
from config_service.services import ports
from config_service.testing import fakes

IMPLEMENTATIONS = [
    (ports.Applications, ApplicationRepository),
    (ports.Applications, fakes.FakeApplications),
    (ports.Configurations, ConfigurationRepository),
    (ports.Configurations, fakes.FakeConfigurations),
    (ports.Changes, ChangeRepository),
    (ports.Changes, fakes.FakeChanges),
    (ports.Tokens, TokenRepository),
    (ports.Tokens, fakes.FakeTokens),
    (ports.Idempotency, IdempotencyRepository),
    (ports.Idempotency, fakes.FakeIdempotency),
    (ports.Migrations, MigrationRepository),
    (ports.Migrations, fakes.FakeMigrations),
]


def parameters(function) -> list[tuple[str, bool]]:
    """Each parameter's name and whether it has a default, `self` left out."""
    return [(p.name, p.default is not p.empty) for p in inspect.signature(function).parameters.values()][1:]


def gaps(protocol: type, implementation: type) -> list[str]:
    """What `implementation` lacks of `protocol`, or declares differently."""
    found = []
    for name in sorted(typing.get_protocol_members(protocol)):
        declared = getattr(protocol, name, None)  # an attribute (annotation only) is checked on instances
        if not callable(declared):
            continue
        if not hasattr(implementation, name):
            found.append(f"{implementation.__name__} has no {name}")
        elif parameters(getattr(implementation, name)) != parameters(declared):
            found.append(f"{implementation.__name__}.{name} takes other parameters than {protocol.__name__}.{name}")
    return found


@pytest.mark.parametrize(
    "protocol, implementation", IMPLEMENTATIONS, ids=[f"{impl.__name__}" for _, impl in IMPLEMENTATIONS]
)
def test_every_implementation_has_every_method_its_protocol_declares(protocol, implementation):
    assert gaps(protocol, implementation) == []


def repository_gaps(uow) -> list[str]:
    return [name for name in typing.get_protocol_members(ports.UnitOfWork) if not hasattr(uow, name)]


def test_the_fake_unit_of_work_exposes_every_repository():
    assert repository_gaps(fakes.FakeUnitOfWork(fakes.FakeDatabase().committed)) == []


def test_the_real_unit_of_work_exposes_every_repository(settings):
    pool = create_pool(settings)
    try:
        with UnitOfWork(pool) as uow:
            assert repository_gaps(uow) == []
    finally:
        pool.closeall()


def test_a_missing_or_changed_method_is_caught():
    class Partial:
        def add(self, id, name, comments): ...

        def get(self, id, extra): ...

    found = gaps(ports.Applications, Partial)
    assert "Partial has no delete" in found and "Partial has no list" in found
    assert "Partial.get takes other parameters than Applications.get" in found
