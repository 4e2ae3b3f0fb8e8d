from __future__ import annotations

import pytest

from tests.state.databases import state_store_for


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    with state_store_for(request.param, tmp_path) as store:
        yield store
