"""Nothing is tuned to five: populations with three and four planted food-bank types.

``SynthSpec(foodbank_types=...)`` plants only some of the seed's types; the typology must choose
that number with the same default spec, and recover the planted types (adjusted Rand index).
"""

from __future__ import annotations

import pytest
from sklearn.metrics import adjusted_rand_score

from smartstart.analyses import Typology, TypologySpec

POPULATIONS = [(1, (2, 3, 5)), (2, (1, 2, 4, 5))]


@pytest.fixture(scope="module")
def fitted(planted_three_four):
    _, worlds = planted_three_four  # built once per session (conftest): POPULATIONS
    assert [(w.seed, w.foodbank_types) for w in worlds] == POPULATIONS
    return [(w, Typology(TypologySpec()).fit(w.households)) for w in worlds]


@pytest.mark.parametrize("i", range(len(POPULATIONS)))
def test_the_planted_number_of_types_is_chosen(fitted, i):
    world, model = fitted[i]
    planted = len(world.foodbank_types)
    assert sorted(world.planted.unique()) == list(world.foodbank_types)
    assert model.result_.chosen_k == planted
    assert model.result_.n_types == planted
    ari = adjusted_rand_score(world.planted, model.labels_.loc[world.planted.index])
    assert ari >= 0.8


def test_three_types_named_from_their_own_profile(fitted):
    world, model = fitted[0]
    names = set(model.result_.types["name_nl"])
    assert len(names) == 3
    young = model.result_.types.set_index("type")["name_nl"]
    single_parents = model.labels_[world.planted.index][world.planted == 3]
    assert young[single_parents.mode().iloc[0]].startswith("Jong eenouderhuishouden")
