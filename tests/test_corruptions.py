import pytest
import torch

from helpers import synthetic_dataset
from gengap.data.corruptions import CorruptionSpecError, parse_corruption
from gengap.data.label_noise import label_noise_level
from gengap.data.training_set import make_training_set, subset_indices
from gengap.registry import UnknownNameError


@pytest.fixture(scope="module")
def data():
    return synthetic_dataset(n_train=20_000, n_test=500, shape=(3, 6, 6))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_label_corruption_changes_about_0_9_p(data, p):
    out = make_training_set(data, 20_000, seed=0, corruption=f"labels@{p}")
    changed = (out["train_y"] != out["clean_train_y"]).float().mean().item()
    assert changed == pytest.approx(0.9 * p, abs=0.015)
    assert torch.equal(out["test_y"], data["test_y"])  # the test set is never corrupted
    assert torch.equal(out["train_x"], data["train_x"][out["indices"]])


def test_label_corruption_is_nested_in_p_and_random_labels_is_p_1(data):
    sets = {p: make_training_set(data, 5000, 3, f"labels@{p}") for p in (0.2, 0.6, 1.0)}
    changed = {p: s["train_y"] != s["clean_train_y"] for p, s in sets.items()}
    assert torch.all(changed[0.6][changed[0.2]])  # corrupted at 0.2 => corrupted at 0.6
    random = make_training_set(data, 5000, 3, "random_labels")
    assert torch.equal(random["train_y"], sets[1.0]["train_y"])
    assert torch.equal(make_training_set(data, 5000, 3, "labels@0")["train_y"], sets[1.0]["clean_train_y"])


def test_random_labels_are_uniform(data):
    out = make_training_set(data, 20_000, 1, "random_labels")
    counts = torch.bincount(out["train_y"], minlength=10).float() / 20_000
    assert torch.all((counts - 0.1).abs() < 0.01)


def test_shuffled_pixels_is_one_permutation_for_train_and_test(data):
    out = make_training_set(data, 1000, 0, "shuffled_pixels")
    x0 = data["train_x"][out["indices"]].flatten(2)
    x1 = out["train_x"].flatten(2)
    assert not torch.equal(x0, x1)
    # every image is a permutation of the original, and it is the same permutation everywhere
    assert torch.equal(x0.sort(-1).values, x1.sort(-1).values)
    probe = torch.arange(36, dtype=torch.float32)[None, None]  # distinct values reveal the permutation
    ds = dict(data, train_x=probe.expand(2, 3, 36).reshape(2, 3, 6, 6).clone(), train_y=torch.zeros(2, dtype=torch.long),
              test_x=probe.expand(1, 3, 36).reshape(1, 3, 6, 6).clone())
    shuffled = make_training_set(ds, 2, 0, "shuffled_pixels")
    perm = shuffled["train_x"][0, 0].flatten().long()
    assert torch.equal(shuffled["train_x"][1, 2].flatten().long(), perm)  # same for all images, channels
    assert torch.equal(shuffled["test_x"][0, 1].flatten().long(), perm)  # and for the test set
    assert torch.equal(out["train_x"].flatten(2), x0[..., perm])
    assert torch.equal(out["test_x"].flatten(2), data["test_x"].flatten(2)[..., perm])


def test_random_pixels_permutes_each_image_independently(data):
    probe = torch.arange(36, dtype=torch.float32).expand(50, 3, 36).reshape(50, 3, 6, 6).clone()
    ds = dict(data, train_x=probe, train_y=torch.zeros(50, dtype=torch.long), test_x=probe[:5].clone())
    out = make_training_set(ds, 50, 0, "random_pixels")
    perms = out["train_x"][:, 0].flatten(1).long()
    assert torch.equal(perms.sort(1).values, torch.arange(36).expand(50, 36))  # each is a permutation
    assert len({tuple(p.tolist()) for p in perms}) == 50  # all different
    assert torch.equal(out["train_x"][:, 0], out["train_x"][:, 2])  # channels move together
    assert not torch.equal(out["test_x"], probe[:5])  # test images too


def test_gaussian_matches_channel_mean_and_std_and_keeps_labels(data):
    out = make_training_set(data, 20_000, 0, "gaussian")
    x = out["train_x"]
    assert x.dtype == torch.float32
    assert torch.allclose(x.mean(dim=(0, 2, 3)), data["channel_mean"], rtol=0.01)
    assert torch.allclose(x.std(dim=(0, 2, 3)), data["channel_std"], rtol=0.01)
    assert torch.equal(out["train_y"], out["clean_train_y"])
    assert torch.equal(out["test_x"], data["test_x"])


def test_same_seed_same_data_other_seed_other_data(data):
    a = make_training_set(data, 1000, 7, "labels@0.5")
    b = make_training_set(data, 1000, 7, "labels@0.5")
    c = make_training_set(data, 1000, 8, "labels@0.5")
    assert torch.equal(a["train_y"], b["train_y"]) and torch.equal(a["indices"], b["indices"])
    assert not torch.equal(a["indices"], c["indices"])


def test_subset_is_shared_across_corruptions_and_rejects_bad_n(data):
    a = make_training_set(data, 100, 0, "true")
    b = make_training_set(data, 100, 0, "gaussian")
    assert torch.equal(a["indices"], b["indices"])
    with pytest.raises(ValueError, match="n = 0"):
        subset_indices(100, 0, 0)
    with pytest.raises(ValueError, match="n = 101"):
        subset_indices(100, 101, 0)


def test_sampling_with_replacement_sizes_repeats_and_determinism(data):
    total = len(data["train_y"])  # 20,000
    n = 2 * total  # beyond the dataset: allowed only with replacement
    a = make_training_set(data, n, 5, "true", sampling="replacement")
    assert a["sampling"] == "replacement" and len(a["train_y"]) == n and a["train_x"].shape[0] == n
    assert torch.equal(a["train_x"], data["train_x"][a["indices"]])
    # n uniform draws from N points: the expected distinct fraction is N/n (1 - exp(-n/N))
    distinct = len(torch.unique(a["indices"])) / n
    assert distinct == pytest.approx(0.5 * (1 - torch.e ** -2), abs=0.01)
    assert torch.equal(a["indices"], make_training_set(data, n, 5, "true", sampling="replacement")["indices"])
    assert not torch.equal(a["indices"], make_training_set(data, n, 6, "true", sampling="replacement")["indices"])
    s2 = make_training_set(data, n, 5, "true", draw=2, sampling="replacement")
    assert not torch.equal(a["indices"], s2["indices"])
    # below the dataset size repeats still happen: the authors' sets are not distinct points
    small = subset_indices(total, 5000, 0, sampling="replacement")
    assert len(torch.unique(small)) < 5000
    assert make_training_set(data, 100, 0, "true")["sampling"] == "distinct"
    with pytest.raises(ValueError, match="sampling = 'bootstrap'"):
        subset_indices(total, 10, 0, sampling="bootstrap")


def test_corruption_names_are_parsed_and_checked():
    assert parse_corruption("labels@0.25") == ("labels", 0.25)
    assert parse_corruption("gaussian") == ("gaussian", None)
    assert label_noise_level("true") == 0.0 and label_noise_level("random_labels") == 1.0
    assert label_noise_level("labels@0.4") == 0.4 and label_noise_level("gaussian") is None
    with pytest.raises(CorruptionSpecError, match="outside"):
        parse_corruption("labels@1.5")
    with pytest.raises(CorruptionSpecError, match="needs a parameter"):
        parse_corruption("labels")
    with pytest.raises(CorruptionSpecError, match="takes no parameter"):
        parse_corruption("gaussian@0.1")
    with pytest.raises(UnknownNameError, match="allowed: gaussian, labels"):
        parse_corruption("blur")
