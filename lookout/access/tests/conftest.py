import pytest

from lookout.access import matrix


@pytest.fixture(autouse=True)
def _matrix_indexed_afresh():
    """Each test indexes the grants itself, as a new process would: an index warmed by an
    earlier test (or by the process mutmut forks each mutant's run from) would hide what
    indexing does."""
    matrix.cells.cache_clear()
    yield
