"""Fixtures shared by the model and explorer tests (helpers live in ``strategies.py``)."""

import pytest

from dormancy_widgets.models import MECHANISMS, mechanism


@pytest.fixture(params=MECHANISMS)
def model(request):
    return mechanism(request.param)
