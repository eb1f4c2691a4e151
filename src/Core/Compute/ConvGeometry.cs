namespace Distributed.Core.Compute;

/// <summary>The shape arithmetic of a 2-D convolution or pooling window over an NCHW batch.</summary>
public readonly record struct ConvGeometry(
    int Channels, int Height, int Width, int KernelH, int KernelW, int Stride, int Padding)
{
    public int OutHeight => ((Height + (2 * Padding) - KernelH) / Stride) + 1;

    public int OutWidth => ((Width + (2 * Padding) - KernelW) / Stride) + 1;

    public int InputPlane => Height * Width;

    public int OutputPlane => OutHeight * OutWidth;

    /// <summary>Rows of the im2col matrix: one per (channel, kernel row, kernel column).</summary>
    public int PatchSize => Channels * KernelH * KernelW;

    public void Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0 || KernelH <= 0 || KernelW <= 0 || Stride <= 0 || Padding < 0)
        {
            // Not {this}: the record's ToString prints OutHeight, which divides by a zero stride.
            throw new ArgumentOutOfRangeException(nameof(ConvGeometry),
                $"invalid window: channels {Channels}, input {Height}x{Width}, kernel {KernelH}x{KernelW}, stride {Stride}, padding {Padding}");
        }

        if (Height + (2 * Padding) < KernelH || Width + (2 * Padding) < KernelW)
        {
            throw new ArgumentException($"kernel {KernelH}x{KernelW} is larger than the padded input {Height}x{Width} (padding {Padding})");
        }
    }
}
