using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>
/// A per-layer activation buffer sized for the largest batch seen, handing out a view of the current batch.
/// The view is cached, so a steady batch size allocates nothing per step.
/// </summary>
public sealed class BatchBuffer(params int[] sampleShape)
{
    private readonly int[] _sampleShape = sampleShape;
    private Tensor? _storage;
    private Tensor? _view;

    public Tensor For(int batch)
    {
        if (_view is not null && _view.Dim(0) == batch)
        {
            return _view;
        }

        if (_storage is null || _storage.Dim(0) < batch)
        {
            _storage = new Tensor([batch, .. _sampleShape]);
        }

        _view = _storage.FirstRows(batch);
        return _view;
    }
}
