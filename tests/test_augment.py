import torch

from gengap.data.augment import CropPipeline, centre_crop, random_crop
from gengap.data.preprocess import to_inputs


def test_centre_crop_takes_the_middle():
    x = torch.arange(32 * 32.0).reshape(1, 1, 32, 32)
    c = centre_crop(x, 28)
    assert c.shape == (1, 1, 28, 28) and c[0, 0, 0, 0] == 2 * 32 + 2


def test_random_crop_is_a_window_of_each_image_with_independent_offsets():
    x = torch.arange(2 * 32 * 32.0).reshape(1, 2, 32, 32).expand(500, 2, 32, 32)
    out = random_crop(x, 28, torch.Generator().manual_seed(0))
    assert out.shape == (500, 2, 28, 28)
    tops, lefts = (out[:, 0, 0, 0] // 32).long(), (out[:, 0, 0, 0] % 32).long()
    assert set(tops.tolist()) == set(range(5)) and set(lefts.tolist()) == set(range(5))  # every offset appears
    for i in (0, 7, 123):  # a window of the image, channels moving together
        t, l = int(tops[i]), int(lefts[i])
        assert torch.equal(out[i], x[i, :, t : t + 28, l : l + 28])


def test_crop_pipeline_standardizes_after_cropping():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(10, 3, 32, 32, generator=g)
    pipe = CropPipeline(x, 28)
    assert pipe.eval_inputs.shape == (10, 3, 28, 28)
    assert torch.allclose(pipe.eval_inputs.flatten(1).mean(1), torch.zeros(10), atol=1e-5)
    b = pipe.batch(torch.tensor([0, 3]), g)
    assert b.shape == (2, 3, 28, 28) and torch.allclose(b.flatten(1).std(1, correction=0), torch.ones(2), atol=1e-4)
    mnist_like = CropPipeline(torch.rand(4, 1, 28, 28, generator=g), 28)  # padded by 2, then cropped
    assert mnist_like.raw.shape == (4, 1, 32, 32) and mnist_like.eval_inputs.shape == (4, 1, 28, 28)
    plain = to_inputs((x[:, :, 2:30, 2:30] * 255), "standardize")
    assert torch.allclose(pipe.eval_inputs, plain, atol=1e-4)
