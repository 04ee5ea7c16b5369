"""What the commands share: the error exit, the guard for the optional socialflow_demo, a progress
bar for work that reports `(done, total)`, and the progress-bar run of `materialize_everything`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType

import typer
from tqdm import tqdm

DEMO_INSTALL = 'pip install -e ".[demo]" -e ./demo'


def fail(message: str) -> typer.Exit:
    """Print `message` as an error; the caller raises the returned exit (status 2)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


@contextmanager
def needs_demo(command: str) -> Iterator[None]:
    """Around the imports of socialflow_demo: the synthetic world is a separate distribution (the
    production install has none), so its absence is a usage error that names the install command."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "socialflow_demo":
            raise
        raise fail(
            f"`socialflow {command}` needs socialflow_demo (the synthetic world), which is not installed:"
            f" from the repository root, `{DEMO_INSTALL}` (`make install` does it)"
        ) from exc


class ProgressBar:
    """A bar on stderr for `progress(done, total)` callbacks, drawn from the first report (nothing
    is printed for work that reports none) and closed on exit, error or not."""

    def __init__(self, desc: str, *, unit: str) -> None:
        self.desc, self.unit = desc, unit
        self._bar: tqdm | None = None

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(desc=self.desc, unit=self.unit, total=total, file=sys.stderr)
        self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.close()


def materialize_with_progress(start: datetime, end: datetime) -> None:
    """Every asset with one progress bar, then a line per step (details are in the Dagster UI)."""
    from socialflow_pipelines.cli.materialize import materialize_everything, materialize_steps
    from socialflow_pipelines.platform.instance import get_instance

    with tqdm(total=len(materialize_steps()) + 1, desc="materializing", unit="step") as bar:
        begun: list[str] = []

        def on_step(names: str) -> None:
            if begun:
                bar.update(1)
            begun.append(names)
            bar.set_postfix_str(names[:60])

        try:
            outcomes = materialize_everything(get_instance(), start, end, on_step=on_step)
        except RuntimeError as exc:
            raise fail(str(exc)) from exc
        bar.update(bar.total - bar.n)
        bar.set_postfix_str("done")
    for outcome in outcomes:
        passed = outcome.checks_passed
        checks = f"{passed} check{'s' * (passed != 1)} passed" if passed else "no checks"
        if outcome.checks_failed:
            checks += f", FAILED: {', '.join(outcome.checks_failed)}"
        typer.echo(f"  {outcome.seconds:6.1f} s  {outcome.names}  ({checks})")
