import math

import pytest
import torch

from gengap.evaluation import margins_of
from gengap.train.loop import collapsed, fit
from gengap.train.losses import LOSSES
from gengap.train.schedules import decay_start, lr_at_step
from gengap.train.stopping import EvalStats, should_stop
from gengap.models import build_model
from gengap.settings import TrainingSettings

SETTINGS = TrainingSettings(lr=0.05, batch_size=32, lr_decay=0.95, max_epochs=200)


def toy_problem(n=128, d=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 1, d, generator=g), torch.randint(10, (n,), generator=g)


def test_lr_decays_per_examples_seen_not_per_epoch():
    # one decay step per 50,000 examples: 390.625 steps of 128 examples
    assert lr_at_step(0, lr=0.01, batch_size=128, decay=0.95) == 0.01
    assert lr_at_step(50_000 // 128 * 2, lr=0.01, batch_size=100, decay=0.95) == pytest.approx(0.01 * 0.95 ** (780 * 100 / 50_000))
    assert lr_at_step(500, lr=0.1, batch_size=100, decay=0.95) == pytest.approx(0.1 * 0.95)
    # small n: after 300 epochs of 4,096 points the rate is still 0.95^24.6 = 28 % of its start
    assert lr_at_step(300 * 32, lr=1.0, batch_size=128, decay=0.95) == pytest.approx(0.95 ** (300 * 4096 / 50_000))


def test_decay_after_an_accuracy_holds_the_rate_until_then():
    history = [{"step": 10, "train_accuracy": 0.5}, {"step": 20, "train_accuracy": 0.99}, {"step": 30, "train_accuracy": 1.0}]
    assert decay_start(history, None) == 0 and decay_start(history, 0.99) == 20
    assert decay_start(history[:1], 0.99) == math.inf
    assert lr_at_step(500, lr=0.1, batch_size=100, decay=0.95, start=math.inf) == 0.1
    assert lr_at_step(500, lr=0.1, batch_size=100, decay=0.95, start=250) == pytest.approx(0.1 * 0.95 ** 0.5)
    x, y = toy_problem()
    out = fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y,
              SETTINGS.replace(lr_decay=0.5, lr_decay_examples=128, lr_decay_after=0.5), seed=0, log=lambda m: None)
    first = next(h for h in out.history if h["train_accuracy"] >= 0.5)
    assert first["epoch"] > 1  # the rate was held for a while
    assert all(h["lr"] == 0.05 for h in out.history if h["epoch"] <= first["epoch"])
    after = [h for h in out.history if h["epoch"] > first["epoch"]]
    assert after and all(h["lr"] == pytest.approx(0.05 * 0.5 ** ((h["step"] - 1 - first["step"]) * 32 / 128))
                         for h in after)


def test_sigmoid_cross_entropy_is_the_mean_over_batch_and_classes():
    # Nagarajan & Kolter: reduce_mean(sigmoid_cross_entropy_with_logits): 2 points x 3 classes
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 3.0]])
    y = torch.tensor([0, 2])
    softplus = lambda z: math.log1p(math.exp(z))  # -log sigmoid(-z); -log sigmoid(z) = softplus(-z)
    per_logit = [softplus(-2.0), softplus(0.0), softplus(-1.0),   # targets 1, 0, 0
                 softplus(0.5), softplus(1.0), softplus(-3.0)]    # targets 0, 0, 1
    hand = sum(per_logit) / 6
    assert LOSSES["sigmoid_cross_entropy"](logits, y).item() == pytest.approx(hand, rel=1e-6)
    assert hand == pytest.approx(0.5782, abs=1e-4)  # the sum over classes would be 3x this


def test_margins_and_stopping_rules():
    logits = torch.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, 5.0], [1.0, 1.0, 1.0]])
    m = margins_of(logits, torch.tensor([0, 2, 1]))
    assert m.tolist() == [2.0, 3.0, 0.0]
    stats = EvalStats(loss=0.1, accuracy=2 / 3, margins=m)
    assert not should_stop(stats, {"criterion": "train_accuracy", "target": 1.0})
    assert should_stop(stats, {"criterion": "train_accuracy", "target": 0.6})
    assert should_stop(stats, {"criterion": "margin", "gamma": 2.0, "fraction": 0.6})
    assert not should_stop(stats, {"criterion": "margin", "gamma": 2.5, "fraction": 0.6})
    assert not should_stop(stats, {"criterion": "epochs"})


def test_fits_random_labels_to_100_percent_and_records_steps_to_fit():
    x, y = toy_problem()
    net = build_model("mlp_1x512", (1, 1, 20), 10)
    out = fit(net, x, y, SETTINGS, seed=0, log=lambda m: None)
    assert out.status == "fitted"
    assert out.final["train_accuracy"] == 1.0
    assert out.steps_to_fit == out.steps == out.epochs * math.ceil(128 / 32)
    assert [h["epoch"] for h in out.history] == list(range(1, out.epochs + 1))


def test_fixed_batch_order_takes_the_same_batches_every_epoch():
    # Nagarajan & Kolter's experiments.py: batch i is points [64 i, 64 (i + 1)) of the drawn set,
    # every epoch; gengap's default reshuffles every epoch
    x, y = toy_problem(n=96)
    settings = SETTINGS.replace(max_epochs=3, stop={"criterion": "epochs"})

    def batches(order):
        seen = []

        def record(idx, gen):
            seen.append(idx.tolist())
            return x[idx]

        torch.manual_seed(0)
        fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y, settings.replace(batch_order=order), seed=0,
            log=lambda m: None, batch_inputs=record)
        return [seen[i : i + 3] for i in range(0, len(seen), 3)]  # 3 batches of 32 per epoch

    fixed = batches("fixed")
    assert fixed == [[list(range(0, 32)), list(range(32, 64)), list(range(64, 96))]] * 3
    shuffled = batches("reshuffle")
    assert shuffled[0] != shuffled[1] and sorted(sum(shuffled[0], [])) == list(range(96))
    assert batches("reshuffle") == shuffled  # the order comes from the seed
    with pytest.raises(ValueError, match="batch_order = 'sorted'"):
        batches("sorted")


def test_epoch_cap_is_reported_when_the_rule_is_not_met():
    x, y = toy_problem()
    out = fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y, SETTINGS.replace(max_epochs=2),
              seed=0, log=lambda m: None)
    assert out.status == "max_epochs" and out.epochs == 2 and out.steps_to_fit is None


class LosesItsFit(torch.nn.Module):
    """A network whose weights are zeroed at training step ``at``: a run that fits and then
    collapses, as one Fashion-MNIST cell did (loss 0.015, then an unstable step, then chance)."""

    def __init__(self, net: torch.nn.Module, at: int):
        super().__init__()
        self.net, self.at, self.steps = net, at, 0

    def forward(self, x):
        if self.training:
            self.steps += 1
            if self.steps == self.at:
                with torch.no_grad():
                    for p in self.net.parameters():
                        p.zero_()
        return self.net(x)


def test_a_run_that_loses_its_fit_before_the_cap_is_collapsed_not_max_epochs():
    x, y = toy_problem()
    never_stops = SETTINGS.replace(max_epochs=60, stop={"criterion": "epochs"})
    kept = fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y, never_stops, seed=0, log=lambda m: None)
    assert kept.status == "max_epochs" and kept.final["train_accuracy"] == 1.0
    lines = []
    lost = fit(LosesItsFit(build_model("mlp_1x512", (1, 1, 20), 10), at=4 * 50), x, y, never_stops, seed=0,
               log=lines.append)
    assert max(r["train_accuracy"] for r in lost.history) == 1.0
    assert lost.final["train_accuracy"] == torch.bincount(y).max().item() / len(y)  # the commonest label
    assert lost.status == "collapsed" and "the fit was lost" in lines[-1]


def test_collapse_needs_a_fit_and_a_return_towards_chance():
    rows = lambda *acc: [{"epoch": i, "train_accuracy": a} for i, a in enumerate(acc)]
    assert collapsed(rows(0.5, 1.0, 0.12), chance=0.1)
    assert collapsed(rows(0.99, 0.6), chance=0.5)  # two classes: nearer chance than the fit
    assert not collapsed(rows(0.5, 1.0, 0.97), chance=0.1)  # a dip, not a collapse
    assert not collapsed(rows(0.3, 0.8, 0.1), chance=0.1)  # never fitted
    assert not collapsed([{"epoch": 1, "train_loss": 2.3}], chance=0.1)  # never evaluated


def test_same_seed_gives_identical_weights_on_cpu():
    x, y = toy_problem()
    nets = []
    for _ in range(2):
        torch.manual_seed(1)
        net = build_model("mlp_1x512", (1, 1, 20), 10)
        fit(net, x, y, SETTINGS.replace(max_epochs=3), seed=5, log=lambda m: None)
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a, b)


def test_non_finite_loss_is_recorded_as_diverged_not_raised():
    x, y = toy_problem()
    x[3] = float("nan")
    out = fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y, SETTINGS, seed=0, log=lambda m: None)
    assert out.status == "diverged" and out.epochs == 1
    assert math.isnan(out.history[-1]["train_loss"])


@pytest.mark.parametrize("batch_size, resumed_at", [
    (32, "in epoch 4 at point 96 of 128 (step 15)"),  # the last save fell inside epoch 4
    (128, "at epoch 3 (step 3)"),  # one batch an epoch: saves fall between epochs only
])
def test_killed_run_resumes_from_checkpoint_with_identical_result(tmp_path, batch_size, resumed_at):
    x, y = toy_problem()
    settings = SETTINGS.replace(max_epochs=6, batch_size=batch_size, stop={"criterion": "epochs"})

    def run(log, ckpt=None):
        torch.manual_seed(3)
        net = build_model("mlp_1x512", (1, 1, 20), 10, dropout=0.3)  # dropout: the global RNG matters
        out = fit(net, x, y, settings, seed=2, log=log, checkpoint=ckpt, checkpoint_seconds=0, progress_seconds=0,
                  identity="run" if ckpt else "")
        return net, out

    reference, straight = run(lambda m: None)

    class Killed(Exception):
        pass

    def killer(msg):
        if msg.startswith("epoch     4"):  # logged before epoch 4's own save
            raise Killed

    ckpt = tmp_path / "checkpoint.pt"
    with pytest.raises(Killed):
        run(killer, ckpt)
    assert ckpt.exists()
    messages = []
    resumed, out = run(messages.append, ckpt)
    assert messages[0] == f"resumed from checkpoint {resumed_at}"
    for a, b in zip(reference.parameters(), resumed.parameters()):
        assert torch.equal(a, b)
    # the resumed epoch summed the same losses as the uninterrupted one
    assert [h["train_loss"] for h in out.history] == [h["train_loss"] for h in straight.history]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run it where one is lent)")
def test_a_killed_gpu_run_with_dropout_resumes_with_identical_result(tmp_path):
    """Dropout on a GPU draws from the device's generator, which the checkpoint must carry too:
    without it the resumed run's generator is back at the seed, not where the killed run left it."""
    x, y = (t.cuda() for t in toy_problem())
    settings = SETTINGS.replace(max_epochs=4, stop={"criterion": "epochs"})

    def run(log, ckpt=None):
        torch.manual_seed(3)
        net = build_model("mlp_1x512", (1, 1, 20), 10, dropout=0.3).cuda()
        fit(net, x, y, settings, seed=2, log=log, checkpoint=ckpt, checkpoint_seconds=0, progress_seconds=0,
            identity="run" if ckpt else "")
        return net

    reference = run(lambda m: None)

    def killer(msg):
        if msg.startswith("epoch     3"):
            raise KeyboardInterrupt

    ckpt = tmp_path / "checkpoint.pt"
    with pytest.raises(KeyboardInterrupt):
        run(killer, ckpt)
    resumed = run(lambda m: None, ckpt)
    for a, b in zip(reference.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_a_long_epoch_logs_progress_within_it():
    x, y = toy_problem()
    lines = []
    fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y, SETTINGS.replace(max_epochs=1, batch_size=32), seed=0,
        log=lines.append, progress_seconds=0)
    assert lines[:3] == ["  in epoch 1: 32 of 128 points, step 1" + lines[0][lines[0].index(" ("):],
                         "  in epoch 1: 64 of 128 points, step 2" + lines[1][lines[1].index(" ("):],
                         "  in epoch 1: 96 of 128 points, step 3" + lines[2][lines[2].index(" ("):]]
    assert lines[3].startswith("epoch     1 step       4")


def test_precision_is_a_training_setting_restored_after_training():
    x, y = toy_problem(n=64)
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    runs = {}
    for precision in ("float32", "tf32", "bf16"):
        torch.manual_seed(0)
        net = build_model("mlp_1x512", (1, 1, 20), 10)
        runs[precision] = fit(net, x, y, SETTINGS.replace(max_epochs=3, precision=precision), seed=0, log=lambda m: None)
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
    # on a CPU tf32 changes nothing; bf16 autocast rounds the forward pass, so the losses differ
    assert [h["train_loss"] for h in runs["tf32"].history] == [h["train_loss"] for h in runs["float32"].history]
    assert runs["bf16"].history[-1]["train_loss"] != runs["float32"].history[-1]["train_loss"]
    assert runs["bf16"].history[-1]["train_loss"] == pytest.approx(runs["float32"].history[-1]["train_loss"], rel=0.1)
    with pytest.raises(ValueError, match="precision = 'fp8'"):
        fit(build_model("mlp_1x512", (1, 1, 20), 10), x, y, SETTINGS.replace(precision="fp8"), seed=0, log=lambda m: None)
