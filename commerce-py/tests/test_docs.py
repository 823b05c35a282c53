"""Every example in the package's docstrings runs, including those of the native classes."""

from __future__ import annotations

import doctest
import inspect

import pytest

import commerce
from commerce import errors, types


def documented_objects() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = [("commerce", commerce), ("commerce.errors", errors),
                                       ("commerce.types", types)]
    for name in commerce.__all__:
        value = getattr(commerce, name)
        if inspect.ismodule(value):
            continue
        found.append((f"commerce.{name}", value))
        if inspect.isclass(value):
            for attribute, member in vars(value).items():
                if not attribute.startswith("_") and getattr(member, "__doc__", None):
                    found.append((f"commerce.{name}.{attribute}", member))
    return found


EXAMPLES = [
    (name, test)
    for name, value in documented_objects()
    for test in doctest.DocTestFinder(recurse=False).find(value, name, globs={"commerce": commerce, **vars(commerce)})
    if test.examples
]


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize(("name", "test"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_docstring_examples_run(name: str, test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} example(s) failed"
