import pytest


@pytest.fixture
def demo_catalog(db):
    from lookout.catalog import demo

    demo.load(progress=lambda message: None)
