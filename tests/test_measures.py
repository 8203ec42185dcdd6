import math

import numpy as np
import pytest
import torch
from torch import nn

from gengap.measures import MEASURES, MeasureContext, compute_measures


def two_layer_net(w1, w2, b1=None):
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor(w1))
        net[1].bias.copy_(torch.tensor(b1 or [0.0, 0.0]))
        net[3].weight.copy_(torch.tensor(w2))
        net[3].bias.zero_()
    return net


@pytest.fixture
def ctx():
    # W1 = [[3, 0], [0, 4]] (spectral 4, Frobenius 5); W2 = [[1, 2], [2, 4]] (rank 1: spectral = Frobenius = 5)
    net = two_layer_net([[3.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]])
    init = two_layer_net([[3.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 2.0]])
    # inputs chosen so the logits are known: f(x) = W2 relu(W1 x)
    x = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[-1.0, 0.0]], [[0.0, -1.0]]])
    # f = [3, 6], [8, 16], [0, 0], [0, 0] -> argmax 1, 1, 0 (tie -> first), 0
    y_train = torch.tensor([1, 1, 0, 1])  # one training error in four
    y_test = torch.tensor([0, 1, 0, 0])  # one test error in four... on the first point
    return MeasureContext(net=net, init=init, train_x=x, train_y=y_train, test_x=x, test_y=y_test)


def test_errors_and_gap(ctx):
    rows = {r["measure"]: r["value"] for r in compute_measures(ctx, ["train_error", "test_error", "gap", "params"])}
    assert rows["train_error"] == 0.25
    assert rows["test_error"] == 0.25
    assert rows["gap"] == 0.0
    assert rows["params"] == 2 * 2 + 2 + 2 * 2 + 2


def test_norm_products_against_hand_values(ctx):
    rows = {r["measure"]: r["value"] for r in compute_measures(ctx, ["spectral_product", "frobenius_product"])}
    assert rows["spectral_product"] == pytest.approx(4.0 * 5.0)
    assert rows["frobenius_product"] == pytest.approx(5.0 * 5.0)


def test_dist_init_against_hand_value(ctx):
    # W1 - W1^0 = [[0, 0], [0, 3]], W2 - W2^0 = [[0, 0], [0, 2]] -> sqrt(9 + 4); biases are not weights
    assert MEASURES["dist_init"](ctx) == pytest.approx(math.sqrt(13.0))


def test_norms_match_float64_numpy_on_random_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    init = nn.Sequential(nn.Flatten(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    x = torch.randn(10, 1, 7)
    ctx = MeasureContext(net=net, init=init, train_x=x, train_y=torch.zeros(10, dtype=torch.long),
                         test_x=x, test_y=torch.zeros(10, dtype=torch.long))
    ws = [net[1].weight.detach().double().numpy(), net[3].weight.detach().double().numpy()]
    w0 = [init[1].weight.detach().double().numpy(), init[3].weight.detach().double().numpy()]
    assert MEASURES["spectral_product"](ctx) == pytest.approx(np.prod([np.linalg.norm(w, 2) for w in ws]), rel=1e-12)
    assert MEASURES["frobenius_product"](ctx) == pytest.approx(np.prod([np.linalg.norm(w) for w in ws]), rel=1e-12)
    assert MEASURES["dist_init"](ctx) == pytest.approx(
        math.sqrt(sum(np.linalg.norm(a - b) ** 2 for a, b in zip(ws, w0))), rel=1e-12)


def test_a_failing_measure_gives_nan_and_its_error(ctx):
    ctx.net = nn.Sequential(nn.Flatten(), nn.ReLU())  # no weight matrices
    ctx.init = ctx.net
    (row,) = compute_measures(ctx, ["spectral_product"])
    assert math.isnan(row["value"]) and "no linear or convolutional layers" in row["error"]


def test_every_row_carries_its_measures_label_and_kind():
    """A measure describes itself where it is registered; each row the measure job writes carries
    the label and kind, and an entry of a dict measure gets its own (a numerator, an auxiliary
    value, or what the measure names)."""
    from gengap.measures.registry import KINDS, describe_row

    for name in MEASURES:
        entry = MEASURES[name]
        assert entry.label and entry.kind in KINDS, name
    assert describe_row("bartlett17_numerator") == describe_row("bartlett17").__class__(
        "Bartlett et al. 2017 (numerator)", "numerator")
    assert describe_row("path_norm_bound").kind == "bound" and describe_row("path_norm").kind == "complexity"
    assert describe_row("pacbayes_init_sigma").kind == "auxiliary" and describe_row("margins_p10").kind == "margin"
    assert describe_row("no_such_measure") is None


def test_a_measure_of_an_unknown_kind_is_refused():
    from gengap.measures.registry import Measure

    with pytest.raises(ValueError, match="measure kind 'bond'; allowed: error, bound"):
        Measure(lambda ctx: 0.0, "typo", "bond")


def test_a_new_bound_is_drawn_and_ranked_from_its_rows_alone():
    """What a figure or the ranking does with a measure comes from its rows' kind and label: a
    measure no list in gengap.report names is drawn as a bound (with the vacuous mark) and ranked."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from gengap.report.figures import FIGURES, plt
    from gengap.report.ranking import rank_measures

    rows = []
    for seed in (0, 1, 2):
        for n in (128, 512, 2048):
            base = dict(suite="s", dataset="mnist", model="mlp_2x128", corruption="true", reg="none", seed=seed,
                        draw=1, n=n, status="fitted", lr=0.01, batch_size=64, weight_decay=0.0, dropout=0.0)
            for measure, label, kind, value in (
                    ("test_error", "test error", "error", 0.3 * n ** -0.3 * (1 + 0.01 * seed)),
                    ("gap", "gap", "error", 0.2 * n ** -0.3 * (1 + 0.02 * seed)),
                    ("my_bound", "my new bound", "bound", 5 * n ** 0.2 * (1 + 0.01 * seed))):
                rows.append(dict(base, measure=measure, value=value, label=label, kind=kind))
    summary = pd.DataFrame(rows)
    fig = FIGURES["bounds_vs_n"](summary, None)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["test error", "my new bound"]
    assert any("> 1" in t.get_text() for t in fig.axes[0].texts)
    plt.close(fig)
    ranking = rank_measures(summary)
    assert list(ranking["measure"]) == ["my_bound"]  # errors are what the measures predict, not ranked
