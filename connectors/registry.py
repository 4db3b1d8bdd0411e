"""Driver names to driver classes. A connector stores a name; this finds its class."""

from importlib import import_module

from connectors.base import Driver

_DRIVERS: dict[str, type[Driver]] = {}


def register(driver: type[Driver]) -> type[Driver]:
    """Class decorator: makes ``driver`` available under ``driver.name``."""
    if driver.name in _DRIVERS and _DRIVERS[driver.name] is not driver:
        raise ValueError(f"driver {driver.name!r} registered twice")
    _DRIVERS[driver.name] = driver
    return driver


def get_driver(name: str) -> type[Driver]:
    """The driver class, or KeyError for an unknown name."""
    _load()
    return _DRIVERS[name]


def all_drivers() -> list[type[Driver]]:
    _load()
    return sorted(_DRIVERS.values(), key=lambda d: d.label)


def driver_choices(capability: str | None = None) -> list[tuple[str, str]]:
    return [
        (d.name, d.label) for d in all_drivers() if capability is None or d.supports(capability)
    ]


DRIVER_MODULES = (
    "connectors.demo.driver",
    "connectors.ical.driver",
    "connectors.ilsdi.driver",
    "connectors.marc_file.driver",
    "connectors.oai_pmh.driver",
    "connectors.patron_file.driver",
    "connectors.sip2.driver",
    "connectors.sru.driver",
    "connectors.sushi.driver",
)


def _load() -> None:
    # Drivers register themselves when their module is imported.
    for module in DRIVER_MODULES:
        import_module(module)
