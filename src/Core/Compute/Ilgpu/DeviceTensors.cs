using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The device copy of every tensor storage a backend has touched. A <see cref="Tensor"/> is a view into a host
/// array; the first kernel that sees an array gets a device buffer of the same length, filled from the host once
/// (parameters are initialised there). From then on the device copy is the tensor: kernels read and write it, and
/// the host copy changes only through <see cref="Download"/> and reaches the device only through <see cref="Upload"/>.
/// Both go through one page-locked staging buffer, so the copies are asynchronous DMA transfers on the stream.
/// </summary>
internal sealed class DeviceTensors : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly Dictionary<float[], MemoryBuffer1D<float, Stride1D.Dense>> _buffers = new(ReferenceEqualityComparer.Instance);
    private PageLockedArray1D<float> _staging;
    private long _stagingUsed;

    public DeviceTensors(Accelerator accelerator, AcceleratorStream stream)
    {
        _accelerator = accelerator;
        _stream = stream;
        _staging = accelerator.AllocatePageLocked1D<float>(1 << 16);
    }

    /// <summary>Device bytes held for tensors.</summary>
    public long Bytes { get; private set; }

    /// <summary>Host-to-device floats copied by <see cref="Upload"/> (the first sight of a storage included).</summary>
    public long FloatsUploaded { get; private set; }

    /// <summary>Device-to-host floats copied by <see cref="Download"/>.</summary>
    public long FloatsDownloaded { get; private set; }

    /// <summary>The device view of <paramref name="t"/>'s elements, creating (and filling) its storage's buffer on first sight.</summary>
    public ArrayView<float> View(Tensor t)
    {
        if (!_buffers.TryGetValue(t.Storage, out var buffer))
        {
            buffer = _accelerator.Allocate1D<float>(Math.Max(1, t.Storage.Length));
            _buffers.Add(t.Storage, buffer);
            Bytes += buffer.LengthInBytes;
            CopyIn(t.Storage, buffer.View, 0, t.Storage.Length);
        }

        return buffer.View.SubView(t.Offset, t.Length);
    }

    /// <summary>Copies the host elements of <paramref name="t"/> to the device, queued on the stream.</summary>
    public void Upload(Tensor t)
    {
        if (!_buffers.TryGetValue(t.Storage, out var buffer))
        {
            View(t);
            return;
        }

        CopyIn(t.Storage, buffer.View, t.Offset, t.Length);
    }

    /// <summary>Waits for the stream, then copies the device elements of <paramref name="t"/> to its host array.</summary>
    public void Download(Tensor t)
    {
        if (!_buffers.TryGetValue(t.Storage, out var buffer) || t.Length == 0)
        {
            // Never on the device: the host copy is the only one.
            return;
        }

        var staging = Reserve(t.Length);
        ((ArrayView<float>)buffer.View).SubView(t.Offset, t.Length).CopyToCPU(_stream, ref staging[0], t.Length);
        Synchronize();
        staging[..t.Length].CopyTo(t.Span);
        FloatsDownloaded += t.Length;
    }

    /// <summary>Waits for everything queued; the staging buffer is free again afterwards.</summary>
    public void Synchronize()
    {
        _stream.Synchronize();
        _stagingUsed = 0;
    }

    /// <summary>Copies small results out: waits for the stream and returns them in page-locked host memory.</summary>
    public ReadOnlySpan<T> Read<T>(ArrayView<T> source, int count)
        where T : unmanaged
    {
        var floats = ((long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + sizeof(float) - 1) / sizeof(float);
        var staging = System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(Reserve(floats));
        source.SubView(0, count).CopyToCPU(_stream, ref staging[0], count);
        Synchronize();
        return staging[..count];
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers.Values)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
        _staging.Dispose();
    }

    private void CopyIn(float[] storage, ArrayView<float> target, int offset, int length)
    {
        if (length == 0)
        {
            return;
        }

        var staging = Reserve(length);
        storage.AsSpan(offset, length).CopyTo(staging);
        target.SubView(offset, length).CopyFromCPUUnsafeAsync(_stream, ref staging[0], length);
        FloatsUploaded += length;
    }

    /// <summary>
    /// A slice of the staging buffer no queued copy still reads. Slices are handed out in order and all become free
    /// at the next synchronisation, so a batch's inputs and targets can be in flight together.
    /// </summary>
    private Span<float> Reserve(long length)
    {
        if (_stagingUsed + length > _staging.Length)
        {
            Synchronize();
            if (length > _staging.Length)
            {
                _staging.Dispose();
                _staging = _accelerator.AllocatePageLocked1D<float>(Math.Max(length, _staging.Length * 2));
            }
        }

        var slice = _staging.Span.Slice((int)_stagingUsed, (int)length);
        _stagingUsed += length;
        return slice;
    }
}
