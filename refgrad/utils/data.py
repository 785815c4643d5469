"""torch.utils.data's map-style datasets and single-process DataLoader: TensorDataset, Subset, random_split,
default_collate, batching with drop_last, and shuffling. Shuffled orders come from refgrad's own generator
(refgrad.randperm), so they differ from PyTorch's; everything else is PyTorch's."""
import collections.abc
import math

from .. import _creation, _ops
from .._tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "default_collate", "default_convert", "DataLoader"]


class Dataset:
    """A map-style dataset: `__getitem__` and `__len__`."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        raise NotImplementedError("refgrad.utils.data has no ConcatDataset")


class TensorDataset(Dataset):
    """Samples are the tensors' rows: dataset[i] is (t[i] for each tensor)."""

    def __init__(self, *tensors):
        if not all(tensors[0].size(0) == t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Subsets of the given lengths (or fractions) of a random permutation (refgrad's generator)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(len(dataset) * frac)) for frac in lengths]
        for i in range(len(dataset) - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = _creation.randperm(sum(lengths), generator=generator).tolist()
    splits, start = [], 0
    for n in lengths:
        splits.append(Subset(dataset, order[start:start + n]))
        start += n
    return splits


def default_collate(batch):
    """PyTorch's default_collate: tensors stacked, Python numbers made tensors (float64 for floats), and
    tuples, lists and dicts collated element by element."""
    first = batch[0]
    if isinstance(first, Tensor):
        return _ops.stack(batch, 0)
    if isinstance(first, bool):
        return _creation.tensor(batch)
    if isinstance(first, float):
        return _creation.tensor(batch, dtype=_creation.dt.float64)
    if isinstance(first, int):
        return _creation.tensor(batch)
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(first)}")


def default_convert(sample):
    """What DataLoader(batch_size=None) makes of a sample: tuples and lists become lists, dicts stay dicts,
    element by element; tensors, numbers and strings are left as they are."""
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, collections.abc.Sequence) and not isinstance(sample, (str, bytes)):
        return [default_convert(v) for v in sample]
    return sample


class DataLoader:
    """Batches of a map-style dataset in one process: indices in order (or shuffled), grouped by batch_size
    (the last batch short unless drop_last), each batch collated; batch_size=None yields single samples
    unbatched. num_workers > 0 is refused (no worker processes)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 generator=None, **options):
        if num_workers:
            raise NotImplementedError("refgrad's DataLoader runs in one process: num_workers must be 0")
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError("refgrad's DataLoader takes no sampler or batch_sampler")
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.shuffle, self.generator = bool(shuffle), generator
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None else default_convert)

    def _indices(self):
        if self.shuffle:
            return _creation.randperm(len(self.dataset), generator=self.generator).tolist()
        return list(range(len(self.dataset)))

    def __iter__(self):
        indices = self._indices()
        if self.batch_size is None:
            for i in indices:
                yield self.collate_fn(self.dataset[i])
            return
        for start in range(0, len(indices), self.batch_size):
            chunk = indices[start:start + self.batch_size]
            if len(chunk) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn([self.dataset[i] for i in chunk])

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
