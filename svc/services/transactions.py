"""Many use cases in one unit of work, all or none: locks taken in a stable order first, then
each step as it would run alone; a failure names the step."""
from dataclasses import dataclass
from typing import Any, Callable

from errors import OperationFailed, ServiceError
from services.contracts import UnitOfWork

# A step's run: the unit of work and the ids of what earlier steps created by ref -> (status, result).
Run = Callable[[UnitOfWork, dict[str, str]], tuple[int, Any]]


@dataclass(frozen=True)
class Step:
    run: Run
    applications: tuple[str, ...] = ()  # ids of the applications and configurations it touches,
    configurations: tuple[str, ...] = ()  # locked before any step runs


def run_transaction(uow: UnitOfWork, steps: list[Step]) -> list[tuple[int, Any]]:
    """Run every step, or raise OperationFailed (the unit of work then rolls all back).

    Rows are locked up front, applications then configurations, each in id order, so two
    transactions touching the same rows queue instead of deadlocking.
    """
    configurations = sorted({id for step in steps for id in step.configurations})
    owners = uow.configurations.owners_of(configurations)
    applications = sorted({id for step in steps for id in step.applications} | set(owners.values()))
    uow.applications.lock_all(applications)
    uow.configurations.lock_all(configurations)
    refs: dict[str, str] = {}
    results = []
    for index, step in enumerate(steps):
        try:
            results.append(step.run(uow, refs))
        except ServiceError as error:
            raise OperationFailed(index, error) from None
    return results
