namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// A <see cref="ConvGeometry"/> as plain fields for kernel arguments. ConvGeometry derives its output sizes with
/// divisions on every access; a kernel reads them per thread, so they are computed once on the host instead.
/// </summary>
internal readonly struct WindowShape
{
    public readonly int Channels;
    public readonly int Height;
    public readonly int Width;
    public readonly int KernelH;
    public readonly int KernelW;
    public readonly int Stride;
    public readonly int Padding;
    public readonly int OutHeight;
    public readonly int OutWidth;
    public readonly int InputPlane;
    public readonly int OutputPlane;

    /// <summary>KernelH·KernelW: the patch rows each channel contributes.</summary>
    public readonly int KernelArea;

    public WindowShape(ConvGeometry g)
    {
        g.Validate();
        Channels = g.Channels;
        Height = g.Height;
        Width = g.Width;
        KernelH = g.KernelH;
        KernelW = g.KernelW;
        Stride = g.Stride;
        Padding = g.Padding;
        OutHeight = g.OutHeight;
        OutWidth = g.OutWidth;
        InputPlane = g.InputPlane;
        OutputPlane = g.OutputPlane;
        KernelArea = g.KernelH * g.KernelW;
    }
}
