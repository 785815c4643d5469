"""torch.utils.data: TensorDataset, DataLoader (batching, drop_last, batch_size=None, default collation of
tensors, numbers, tuples and dicts, shuffling) and random_split. Shuffled orders come from each engine's own
generator, so only what does not depend on the order is compared there."""
from . import scenario


@scenario
def tensor_dataset_and_loader(torch, rec):
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
    x = torch.tensor(rec.data(5, 2))
    y = torch.arange(5)
    ds = TensorDataset(x, y)
    rec("dataset", [len(ds), ds[1], type(ds[1]).__name__])
    rec.raises("size_mismatch", lambda: TensorDataset(x, torch.arange(4)))
    for name, loader in {"batches": DataLoader(ds, batch_size=2), "drop_last": DataLoader(ds, batch_size=2, drop_last=True),
                         "default_batch": DataLoader(ds), "unbatched": DataLoader(ds, batch_size=None)}.items():
        rec(name, [len(loader), [list(batch) for batch in loader]])
    rec("numbers", list(DataLoader([1, 2, 3, 4, 5], batch_size=2)))
    rec("tuples", list(DataLoader([(1, 2.0), (3, 4.0)], batch_size=2)))
    rec("dicts", list(DataLoader([{"a": torch.ones(2)}, {"a": torch.zeros(2)}], batch_size=2)))


@scenario
def shuffling_and_splits(torch, rec):
    """A shuffled epoch visits every sample once in batches of the asked size; random_split's lengths (counts
    or fractions) and that its subsets cover the dataset; a Generator's seed."""
    data = torch.utils.data  # the subject's (an import statement would take real torch's)
    DataLoader, TensorDataset, random_split = data.DataLoader, data.TensorDataset, data.random_split
    ds = TensorDataset(torch.arange(10.).reshape(5, 2), torch.arange(5))
    generator = torch.Generator().manual_seed(0)
    batches = list(DataLoader(ds, batch_size=2, shuffle=True, generator=generator))
    rec("shuffled", [[len(b[1]) for b in batches], sorted(i for b in batches for i in b[1].tolist())])
    rec("generator_seed", [generator.initial_seed(), torch.manual_seed(3).initial_seed()])
    permutation = torch.randperm(6, generator=generator)
    rec("randperm", [permutation.dtype, sorted(permutation.tolist()), torch.randperm(0).shape])
    for lengths in ([3, 2], [0.7, 0.3]):
        parts = random_split(range(10) if isinstance(lengths[0], float) else ds, lengths,
                             generator=torch.Generator().manual_seed(42))
        rec(f"split.{lengths}", [[len(p) for p in parts], type(parts[0]).__name__])
    parts = random_split(range(10), [4, 6])
    rec("split_covers", sorted(i for p in parts for i in p))
    rec.raises("split_bad_lengths", lambda: random_split(range(10), [4, 5]))
