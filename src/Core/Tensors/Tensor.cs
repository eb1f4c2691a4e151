namespace Distributed.Core.Tensors;

/// <summary>
/// A dense, row-major float32 tensor: a shape over a contiguous range of a shared storage array.
/// Views share storage, which is how every parameter and gradient lives inside one flat buffer
/// (the layout that bucketed all-reduce and ZeRO sharding slice by offset).
/// </summary>
public sealed class Tensor
{
    private readonly int[] _shape;

    public Tensor(params int[] shape)
        : this(new float[Checked(shape)], 0, shape)
    {
    }

    private Tensor(float[] storage, int offset, int[] shape)
    {
        _shape = (int[])shape.Clone();
        Length = Checked(_shape);
        if (offset < 0 || offset + Length > storage.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"view [{offset}, {offset + Length}) exceeds storage of {storage.Length}");
        }

        Storage = storage;
        Offset = offset;
    }

    /// <summary>Wraps existing data without copying.</summary>
    public static Tensor FromArray(float[] data, params int[] shape) => new(data, 0, shape);

    public float[] Storage { get; }

    public int Offset { get; }

    public int Length { get; }

    public ReadOnlySpan<int> Shape => _shape;

    public int Rank => _shape.Length;

    public Span<float> Span => Storage.AsSpan(Offset, Length);

    public float this[int index]
    {
        get => Span[index];
        set => Span[index] = value;
    }

    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>Elements per index of the first axis (e.g. per sample for a batch).</summary>
    public int RowLength => _shape.Length == 0 ? 1 : Length / Math.Max(1, _shape[0]);

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/>, sharing storage.</summary>
    public Tensor Slice(int start, int length) => View(start, length);

    /// <summary>A view with a new shape starting <paramref name="start"/> elements into this tensor.</summary>
    public Tensor View(int start, params int[] shape)
    {
        var length = Checked(shape);
        if (start < 0 || start + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"view [{start}, {start + length}) exceeds tensor of {Length}");
        }

        return new Tensor(Storage, Offset + start, shape);
    }

    /// <summary>The same elements seen with another shape of equal size.</summary>
    public Tensor Reshape(params int[] shape) => View(0, ThrowUnlessSize(shape, Length));

    /// <summary>The first <paramref name="rows"/> entries of the first axis, e.g. a partial last batch.</summary>
    public Tensor FirstRows(int rows)
    {
        var shape = (int[])_shape.Clone();
        shape[0] = rows;
        return View(0, shape);
    }

    public float[] ToArray() => Span.ToArray();

    public override string ToString() => $"Tensor[{string.Join('x', _shape)}]";

    private static int Checked(int[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), $"negative dimension in [{string.Join(',', shape)}]");
            }

            n *= d;
            if (n > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), $"tensor [{string.Join(',', shape)}] is too large");
            }
        }

        return (int)n;
    }

    private static int[] ThrowUnlessSize(int[] shape, int length) =>
        Checked(shape) == length
            ? shape
            : throw new ArgumentException($"cannot reshape {length} elements to [{string.Join(',', shape)}]");
}
